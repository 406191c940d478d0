/** simple_adversary (physical deception): good agents cover the goal, the adversary must guess it (mpe-spec §4.2). */
import { Scenario, agentJson, dist, dist2, landmarkJson, missingGoalA, missingGoodAgent, roleNames, unsetRefs, worldJson } from "../scenario.js";
import type { World } from "../world.js";

const ADVERSARY_COLOR = [0.85, 0.35, 0.35];
const GOOD_COLOR = [0.35, 0.35, 0.85];
const LANDMARK_COLOR = [0.15, 0.15, 0.15];
const GOAL_COLOR = [0.15, 0.65, 0.15];

/** Writes agent a's reward in environment e (before any sharing) to out[k]; returns nothing so no double is boxed. */
function reward(w: World, e: number, a: number, out: Float64Array, k: number): void {
  const L = w.layout;
  if (L.adversary[a]) {
    out[k] = -dist2(w, e, a, w.goalA[w.agt(e, a)]);
    return;
  }
  // every adversary's distance to its goal, summed, minus the closest good agent's distance
  let advRew = 0;
  for (let b = 0; b < w.nAgents; b++) if (L.adversary[b]) advRew += dist(w, e, b, w.goalA[w.agt(e, b)]);
  let minGood = Infinity;
  for (let b = 0; b < w.nAgents; b++) {
    if (L.adversary[b]) continue;
    const d = dist(w, e, b, w.goalA[w.agt(e, b)]);
    if (d < minGood) minGood = d;
  }
  out[k] = -minGood + advRew;
}

export const simpleAdversary: Scenario = {
  name: "simple_adversary",
  description: "good agents hide which landmark is the goal; the adversary must find it without knowing",
  requirements: {
    agentFields: ["adversary"],
    landmarkFields: [],
    scenarioFields: ["goal_a", "num_agents"],
    check: (L, w, e) => missingGoalA(L, w, e) ?? missingGoodAgent(L),
  },

  makeWorld() {
    const dimC = 2;
    const numAgents = 3;
    return {
      scenario: "simple_adversary",
      world: worldJson(dimC),
      agents: Array.from({ length: numAgents }, (_, i) => agentJson(`agent ${i}`, dimC, { collide: false, silent: true, adversary: i < 1, size: 0.15 })),
      landmarks: Array.from({ length: numAgents - 1 }, (_, i) => landmarkJson(`landmark ${i}`, { collide: false, size: 0.08 })),
      scenario_state: { goal_a: unsetRefs(numAgents), num_agents: numAgents },
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    const numAgents = w.layout.numAgents ?? nA;
    w.setColor(e, 0, ADVERSARY_COLOR);
    for (let a = 1; a < numAgents; a++) w.setColor(e, a, GOOD_COLOR);
    for (let i = nA; i < nE; i++) w.setColor(e, i, LANDMARK_COLOR);
    const goal = nA + rng.int(nE - nA);
    w.setColor(e, goal, GOAL_COLOR);
    for (let a = 0; a < nA; a++) w.goalA[w.agt(e, a)] = goal;
    w.zeroMotion(e);
    for (let i = 0; i < nE; i++) w.randomPosition(e, i, rng, -1, +1);
  },

  // adversary: [rel(landmarks) (2 each), rel(others) (2 each)]; good: [rel(goal) (2)] + the same
  obsSize: (L, a) => (L.adversary[a] ? 0 : 2) + 2 * L.nLandmarks + 2 * (L.nAgents - 1),
  observe(o, w, e, a) {
    if (!w.layout.adversary[a]) o.rel(w.goalA[w.agt(e, a)], a);
    for (let i = w.nAgents; i < w.nEntities; i++) o.rel(i, a);
    for (let b = 0; b < w.nAgents; b++) if (b !== a) o.rel(b, a);
  },

  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) reward(w, e, a, out, off + a);
  },

  benchmark(w, e, a) {
    const goal = w.goalA[w.agt(e, a)];
    if (w.layout.adversary[a]) return dist2(w, e, a, goal);
    const toLandmarks: number[] = [];
    for (let i = w.nAgents; i < w.nEntities; i++) toLandmarks.push(dist2(w, e, a, i));
    return { dist2_landmarks: toLandmarks, dist2_goal: dist2(w, e, a, goal) };
  },

  agentNames: (L) => roleNames(L, (a) => (L.adversary[a] ? "adversary" : "agent")),
};
