/** simple_spread (cooperative navigation): agents cover all landmarks without colliding (mpe-spec §4.7). */
import { Scenario, agentJson, dist, isCollision, landmarkJson, roleNames, worldJson } from "../scenario.js";
import type { World } from "../world.js";

/** For landmark entity i, the smallest distance from any agent. */
function nearestAgent(w: World, e: number, i: number): number {
  let best = Infinity;
  for (let a = 0; a < w.nAgents; a++) {
    const d = dist(w, e, a, i);
    if (d < best) best = d;
  }
  return best;
}

const AGENT_COLOR = [0.35, 0.35, 0.85];
const LANDMARK_COLOR = [0.25, 0.25, 0.25];

/** Writes agent a's reward in environment e (before any sharing) to out[k]; returns nothing so no double is boxed. */
function reward(w: World, e: number, a: number, out: Float64Array, k: number): void {
  let rew = 0;
  for (let i = w.nAgents; i < w.nEntities; i++) rew -= nearestAgent(w, e, i);
  if (w.collide[w.ent(e, a)]) for (let b = 0; b < w.nAgents; b++) if (isCollision(w, e, b, a)) rew -= 1;
  out[k] = rew;
}

export const simpleSpread: Scenario = {
  name: "simple_spread",
  description: "agents must cover all landmarks while avoiding each other (shared reward)",
  requirements: { agentFields: [], landmarkFields: [], scenarioFields: [] },

  makeWorld() {
    const dimC = 2;
    return {
      scenario: "simple_spread",
      world: worldJson(dimC, { collaborative: true }),
      agents: Array.from({ length: 3 }, (_, i) => agentJson(`agent ${i}`, dimC, { collide: true, silent: true, size: 0.15 })),
      landmarks: Array.from({ length: 3 }, (_, i) => landmarkJson(`landmark ${i}`, { collide: false })),
      scenario_state: {},
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    for (let a = 0; a < nA; a++) w.setColor(e, a, AGENT_COLOR);
    for (let i = nA; i < nE; i++) w.setColor(e, i, LANDMARK_COLOR);
    w.zeroMotion(e);
    for (let i = 0; i < nE; i++) w.randomPosition(e, i, rng, -1, +1);
  },

  // [p_vel (2), p_pos (2), rel(landmarks) (2 each), rel(others) (2 each), others' c (dim_c each)]
  obsSize: (L) => 4 + 2 * L.nLandmarks + (2 + L.dimC) * (L.nAgents - 1),
  observe(o, w, e, a) {
    o.vel(a);
    o.pos(a);
    for (let i = w.nAgents; i < w.nEntities; i++) o.rel(i, a);
    for (let b = 0; b < w.nAgents; b++) if (b !== a) o.rel(b, a);
    for (let b = 0; b < w.nAgents; b++) if (b !== a) o.comm(b);
  },

  // -(sum over landmarks of the nearest agent's distance) - 1 per colliding agent, itself included
  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) reward(w, e, a, out, off + a);
  },

  benchmark(w, e, a) {
    let rew = 0;
    let collisions = 0;
    let occupied = 0;
    let minDists = 0;
    for (let i = w.nAgents; i < w.nEntities; i++) {
      const d = nearestAgent(w, e, i);
      minDists += d;
      rew -= d;
      if (d < 0.1) occupied += 1;
    }
    if (w.collide[w.ent(e, a)]) {
      for (let b = 0; b < w.nAgents; b++) {
        if (isCollision(w, e, b, a)) {
          rew -= 1;
          collisions += 1;
        }
      }
    }
    return { reward: rew, collisions, min_dists: minDists, occupied_landmarks: occupied };
  },

  agentNames: (L) => roleNames(L, () => "agent"),
};
