/** simple_push (keep-away): the good agent reaches the goal landmark, the adversary pushes it away (mpe-spec §4.4). */
import { Scenario, agentJson, dist, landmarkJson, missingGoalA, missingGoodAgent, roleNames, unsetRefs, worldJson } from "../scenario.js";
import type { World } from "../world.js";

const LANDMARK_BASE = [0.1, 0.1, 0.1];
const ADVERSARY_COLOR = [0.75, 0.25, 0.25];
const AGENT_BASE = [0.25, 0.25, 0.25];

/** Writes agent a's reward in environment e (before any sharing) to out[k]; returns nothing so no double is boxed. */
function reward(w: World, e: number, a: number, out: Float64Array, k: number): void {
  const L = w.layout;
  if (!L.adversary[a]) {
    out[k] = -dist(w, e, a, w.goalA[w.agt(e, a)]);
    return;
  }
  // keep the nearest good agent away from its goal, while staying near the goal itself
  let posRew = Infinity;
  for (let b = 0; b < w.nAgents; b++) {
    if (L.adversary[b]) continue;
    const d = dist(w, e, b, w.goalA[w.agt(e, b)]);
    if (d < posRew) posRew = d;
  }
  out[k] = posRew - dist(w, e, w.goalA[w.agt(e, a)], a);
}

export const simplePush: Scenario = {
  name: "simple_push",
  description: "a good agent goes to its goal landmark; an adversary, not knowing which, pushes it away",
  requirements: {
    agentFields: ["adversary"],
    landmarkFields: ["index"],
    scenarioFields: ["goal_a"],
    check: (L, w, e) => missingGoalA(L, w, e) ?? missingGoodAgent(L),
  },

  makeWorld() {
    const dimC = 2;
    return {
      scenario: "simple_push",
      world: worldJson(dimC),
      agents: Array.from({ length: 2 }, (_, i) => agentJson(`agent ${i}`, dimC, { collide: true, silent: true, adversary: i < 1 })),
      landmarks: Array.from({ length: 2 }, (_, i) => landmarkJson(`landmark ${i}`, { collide: false, index: i })),
      scenario_state: { goal_a: unsetRefs(2) },
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    const L = w.layout;
    if (nE - nA > 2) throw new Error("simple_push's reset colours landmark i by component i+1 of RGB, so it supports at most 2 landmarks");
    for (let j = 0; j < nE - nA; j++) {
      w.setColor(e, nA + j, LANDMARK_BASE);
      w.shiftColor(e, nA + j, j + 1, 0.8);
    }
    const goal = nA + rng.int(nE - nA);
    for (let a = 0; a < nA; a++) {
      w.goalA[w.agt(e, a)] = goal;
      w.setColor(e, a, L.adversary[a] ? ADVERSARY_COLOR : AGENT_BASE);
      if (!L.adversary[a]) w.shiftColor(e, a, L.landmarkIndex[goal - nA] + 1, 0.5);
    }
    w.zeroMotion(e);
    for (let i = 0; i < nE; i++) w.randomPosition(e, i, rng, -1, +1);
  },

  // good: [p_vel (2), rel(goal) (2), own colour (3), rel(landmarks) (2 each), landmark colours (3 each), rel(others) (2 each)]
  // adversary: [p_vel (2), rel(landmarks) (2 each), rel(others) (2 each)]
  obsSize: (L, a) => 2 + 2 * L.nLandmarks + 2 * (L.nAgents - 1) + (L.adversary[a] ? 0 : 2 + L.dimColor + L.dimColor * L.nLandmarks),
  observe(o, w, e, a) {
    const L = w.layout;
    o.vel(a);
    if (!L.adversary[a]) {
      o.rel(w.goalA[w.agt(e, a)], a);
      o.color(a, L.dimColor);
    }
    for (let i = w.nAgents; i < w.nEntities; i++) o.rel(i, a);
    if (!L.adversary[a]) for (let i = w.nAgents; i < w.nEntities; i++) o.color(i, L.dimColor);
    for (let b = 0; b < w.nAgents; b++) if (b !== a) o.rel(b, a);
  },

  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) reward(w, e, a, out, off + a);
  },

  agentNames: (L) => roleNames(L, (a) => (L.adversary[a] ? "adversary" : "agent")),
};
