/** simple_reference: two agents each know the other's goal landmark and must say it (mpe-spec §4.5). */
import { Scenario, agentJson, dist2, landmarkJson, roleNames, unsetRefs, worldJson } from "../scenario.js";
import type { World } from "../world.js";

const LANDMARK_COLORS = [
  [0.75, 0.25, 0.25],
  [0.25, 0.75, 0.25],
  [0.25, 0.25, 0.75],
];

const AGENT_COLOR = [0.25, 0.25, 0.25];

/** Writes agent a's reward in environment e (before any sharing) to out[k]; returns nothing so no double is boxed. */
function reward(w: World, e: number, a: number, out: Float64Array, k: number): void {
  const ga = w.goalA[w.agt(e, a)];
  const gb = w.goalB[w.agt(e, a)];
  if (ga < 0 || gb < 0) {
    out[k] = 0.0;
    return;
  }
  out[k] = -dist2(w, e, ga, gb);
}

export const simpleReference: Scenario = {
  name: "simple_reference",
  description: "two speaking agents each guide the other to a landmark only they know (shared reward)",
  requirements: {
    agentFields: [],
    landmarkFields: [],
    scenarioFields: ["goal_a", "goal_b"],
    check(L, w, e) {
      for (let a = 0; a < L.nAgents; a++) {
        const gb = w.goalB[w.agt(e, a)];
        if (gb >= 0 && w.colorLen[w.ent(e, gb)] !== L.dimColor) return `the colour of agent ${a}'s goal_b must have length dim_color = ${L.dimColor}`;
      }
      return null;
    },
  },

  makeWorld() {
    const dimC = 10;
    return {
      scenario: "simple_reference",
      world: worldJson(dimC, { collaborative: true }),
      agents: Array.from({ length: 2 }, (_, i) => agentJson(`agent ${i}`, dimC, { collide: false })),
      landmarks: Array.from({ length: 3 }, (_, i) => landmarkJson(`landmark ${i}`, { collide: false })),
      scenario_state: { goal_a: unsetRefs(2), goal_b: unsetRefs(2) },
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    if (nA !== 2 || nE - nA !== 3) throw new Error("simple_reference's reset needs exactly 2 agents and 3 landmarks");
    for (let a = 0; a < nA; a++) {
      w.goalA[w.agt(e, a)] = -1;
      w.goalB[w.agt(e, a)] = -1;
    }
    // each agent wants the other to go to a landmark only it knows
    w.goalA[w.agt(e, 0)] = 1;
    w.goalB[w.agt(e, 0)] = nA + rng.int(nE - nA);
    w.goalA[w.agt(e, 1)] = 0;
    w.goalB[w.agt(e, 1)] = nA + rng.int(nE - nA);
    for (let a = 0; a < nA; a++) w.setColor(e, a, AGENT_COLOR);
    for (let j = 0; j < 3; j++) w.setColor(e, nA + j, LANDMARK_COLORS[j]);
    for (let a = 0; a < nA; a++) w.copyColor(e, w.goalA[w.agt(e, a)], w.goalB[w.agt(e, a)]);
    w.zeroMotion(e);
    for (let i = 0; i < nE; i++) w.randomPosition(e, i, rng, -1, +1);
  },

  // [p_vel (2), rel(landmarks) (2 each), colour of own goal_b (3), others' c (dim_c each)]
  obsSize: (L) => 2 + 2 * L.nLandmarks + L.dimColor + L.dimC * (L.nAgents - 1),
  observe(o, w, e, a) {
    const L = w.layout;
    o.vel(a);
    for (let i = w.nAgents; i < w.nEntities; i++) o.rel(i, a);
    const goalB = w.goalB[w.agt(e, a)];
    if (goalB >= 0) o.color(goalB, L.dimColor);
    else o.zeros(L.dimColor);
    for (let b = 0; b < w.nAgents; b++) if (b !== a) o.comm(b);
  },

  // how far the other agent (goal_a) is from the landmark this agent knows (goal_b)
  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) reward(w, e, a, out, off + a);
  },

  agentNames: (L) => roleNames(L, () => "agent"),
};
