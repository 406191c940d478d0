/** simple_tag (predator-prey): slower adversaries chase a faster good agent around obstacles (mpe-spec §4.8). */
import { Scenario, agentJson, bound, isCollision, landmarkJson, roleNames, worldJson } from "../scenario.js";
import { DIM_P, World } from "../world.js";

/** Number of (good agent, adversary) pairs in collision: every adversary is paid for all of them. */
export function teamCollisions(w: World, e: number): number {
  const L = w.layout;
  let n = 0;
  for (let g = 0; g < w.nAgents; g++) {
    if (L.adversary[g]) continue;
    for (let a = 0; a < w.nAgents; a++) if (L.adversary[a] && isCollision(w, e, g, a)) n++;
  }
  return n;
}

/** For an adversary: the number of good agents colliding with it; 0 for a good agent. */
export function collisionsWith(w: World, e: number, a: number): number {
  const L = w.layout;
  if (!L.adversary[a]) return 0;
  let n = 0;
  for (let g = 0; g < w.nAgents; g++) if (!L.adversary[g] && isCollision(w, e, g, a)) n++;
  return n;
}

const ADVERSARY_COLOR = [0.85, 0.35, 0.35];
const GOOD_COLOR = [0.35, 0.85, 0.35];
const LANDMARK_COLOR = [0.25, 0.25, 0.25];

/** Writes agent a's reward in environment e (before any sharing) to out[k]; returns nothing so no double is boxed. */
function reward(w: World, e: number, a: number, out: Float64Array, k: number): void {
  const L = w.layout;
  let rew = 0;
  if (L.adversary[a]) {
    if (w.collide[w.ent(e, a)]) for (let n = teamCollisions(w, e); n > 0; n--) rew += 10;
    out[k] = rew;
    return;
  }
  // caught: -10 per adversary touching it; leaving the screen is penalised
  if (w.collide[w.ent(e, a)]) for (let b = 0; b < w.nAgents; b++) if (L.adversary[b] && isCollision(w, e, b, a)) rew -= 10;
  const p = w.ent(e, a) * DIM_P;
  for (let d = 0; d < DIM_P; d++) rew -= bound(Math.abs(w.pos[p + d]));
  out[k] = rew;
}

export const simpleTag: Scenario = {
  name: "simple_tag",
  description: "three slower adversaries chase a faster good agent among two obstacles",
  requirements: { agentFields: ["adversary"], landmarkFields: ["boundary"], scenarioFields: [] },

  makeWorld() {
    const dimC = 2;
    const nAdv = 3;
    return {
      scenario: "simple_tag",
      world: worldJson(dimC),
      agents: Array.from({ length: nAdv + 1 }, (_, i) => {
        const adversary = i < nAdv;
        return agentJson(`agent ${i}`, dimC, {
          collide: true,
          silent: true,
          adversary,
          size: adversary ? 0.075 : 0.05,
          accel: adversary ? 3.0 : 4.0,
          max_speed: adversary ? 1.0 : 1.3,
        });
      }),
      landmarks: Array.from({ length: 2 }, (_, i) => landmarkJson(`landmark ${i}`, { collide: true, size: 0.2, boundary: false })),
      scenario_state: {},
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    const L = w.layout;
    for (let a = 0; a < nA; a++) w.setColor(e, a, L.adversary[a] ? ADVERSARY_COLOR : GOOD_COLOR);
    for (let i = nA; i < nE; i++) w.setColor(e, i, LANDMARK_COLOR);
    w.zeroMotion(e);
    for (let a = 0; a < nA; a++) w.randomPosition(e, a, rng, -1, +1);
    for (let i = nA; i < nE; i++) if (!L.boundary[i - nA]) w.randomPosition(e, i, rng, -0.9, +0.9);
  },

  // [p_vel (2), p_pos (2), rel(non-boundary landmarks) (2 each), rel(others) (2 each), p_vel of good others (2 each)]
  obsSize(L, a) {
    let landmarks = 0;
    for (let j = 0; j < L.nLandmarks; j++) if (!L.boundary[j]) landmarks++;
    let goodOthers = 0;
    for (let b = 0; b < L.nAgents; b++) if (b !== a && !L.adversary[b]) goodOthers++;
    return 4 + 2 * landmarks + 2 * (L.nAgents - 1) + 2 * goodOthers;
  },
  observe(o, w, e, a) {
    const L = w.layout;
    const nA = w.nAgents;
    o.vel(a);
    o.pos(a);
    for (let i = nA; i < w.nEntities; i++) if (!L.boundary[i - nA]) o.rel(i, a);
    for (let b = 0; b < nA; b++) if (b !== a) o.rel(b, a);
    for (let b = 0; b < nA; b++) if (b !== a && !L.adversary[b]) o.vel(b);
  },

  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) reward(w, e, a, out, off + a);
  },

  benchmark: (w, e, a) => collisionsWith(w, e, a),

  agentNames: (L) => roleNames(L, (a) => (L.adversary[a] ? "adversary" : "agent")),
};
