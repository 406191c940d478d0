/** simple_speaker_listener (cooperative communication): an immovable speaker guides a silent listener (mpe-spec §4.6). */
import { Scenario, agentJson, dist2, landmarkJson, roleNames, unsetRefs, worldJson } from "../scenario.js";
import type { World } from "../world.js";

const LANDMARK_COLORS = [
  [0.65, 0.15, 0.15],
  [0.15, 0.65, 0.15],
  [0.15, 0.15, 0.65],
];

const AGENT_COLOR = [0.25, 0.25, 0.25];

/** The reward of both agents: the listener's squared distance to the speaker's goal landmark, negated. */
function reward(w: World, e: number): number {
  return -dist2(w, e, w.goalA[w.agt(e, 0)], w.goalB[w.agt(e, 0)]);
}

export const simpleSpeakerListener: Scenario = {
  name: "simple_speaker_listener",
  description: "a speaker that cannot move tells a listener that cannot speak which landmark to reach",
  requirements: {
    agentFields: [],
    landmarkFields: [],
    scenarioFields: ["goal_a", "goal_b"],
    check(L, w, e) {
      if (w.goalA[w.agt(e, 0)] < 0 || w.goalB[w.agt(e, 0)] < 0) return "agent 0 (the speaker) needs goal_a and goal_b";
      for (let a = 0; a < L.nAgents; a++) {
        if (L.movable[a] && !L.silent[a]) return `agent ${a} must be immovable (a speaker) or silent (a listener)`;
        const gb = w.goalB[w.agt(e, a)];
        if (!L.movable[a] && gb >= 0 && w.colorLen[w.ent(e, gb)] !== L.dimColor) return `the colour of agent ${a}'s goal_b must have length dim_color`;
      }
      return null;
    },
  },

  makeWorld() {
    const dimC = 3;
    return {
      scenario: "simple_speaker_listener",
      world: worldJson(dimC, { collaborative: true }),
      agents: [
        agentJson("agent 0", dimC, { collide: false, size: 0.075, movable: false }),
        agentJson("agent 1", dimC, { collide: false, size: 0.075, silent: true }),
      ],
      landmarks: Array.from({ length: 3 }, (_, i) => landmarkJson(`landmark ${i}`, { collide: false, size: 0.04 })),
      scenario_state: { goal_a: unsetRefs(2), goal_b: unsetRefs(2) },
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    if (nA !== 2 || nE - nA !== 3) throw new Error("simple_speaker_listener's reset needs exactly 2 agents and 3 landmarks");
    for (let a = 0; a < nA; a++) {
      w.goalA[w.agt(e, a)] = -1;
      w.goalB[w.agt(e, a)] = -1;
    }
    w.goalA[w.agt(e, 0)] = 1;
    w.goalB[w.agt(e, 0)] = nA + rng.int(nE - nA);
    for (let a = 0; a < nA; a++) w.setColor(e, a, AGENT_COLOR);
    for (let j = 0; j < 3; j++) w.setColor(e, nA + j, LANDMARK_COLORS[j]);
    w.copyColor(e, 1, w.goalB[w.agt(e, 0)], 0.45);
    w.zeroMotion(e);
    for (let i = 0; i < nE; i++) w.randomPosition(e, i, rng, -1, +1);
  },

  // speaker: [goal_b colour (3)]; listener: [p_vel (2), rel(landmarks) (2 each), others' c (dim_c each)]
  obsSize: (L, a) => (!L.movable[a] ? L.dimColor : 2 + 2 * L.nLandmarks + L.dimC * (L.nAgents - 1)),
  observe(o, w, e, a) {
    const L = w.layout;
    if (!L.movable[a]) {
      const gb = w.goalB[w.agt(e, a)];
      if (gb >= 0) o.color(gb, L.dimColor);
      else o.zeros(L.dimColor);
      return;
    }
    o.vel(a);
    for (let i = w.nAgents; i < w.nEntities; i++) o.rel(i, a);
    for (let b = 0; b < w.nAgents; b++) if (b !== a) o.comm(b);
  },

  // squared distance from the listener (speaker's goal_a) to the goal landmark (speaker's goal_b)
  rewards(w, e, out, off) {
    const r = reward(w, e);
    for (let a = 0; a < w.nAgents; a++) out[off + a] = r;
  },

  // The original's benchmark_data raises NameError on every step (`reward(agent, reward)`); it
  // evidently meant the reward, which is what we return.
  benchmark(w, e) {
    return reward(w, e);
  },

  agentNames: (L) => roleNames(L, (a) => (!L.movable[a] ? "speaker" : "listener")),
};
