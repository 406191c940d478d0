/**
 * simple_world_comm: predators with a speaking leader hunt prey that can hide in forests and eat
 * food (mpe-spec §4.9).
 */
import { ObsWriter, Scenario, agentJson, bound, dist, isCollision, landmarkJson, missingGoodAgent, worldJson } from "../scenario.js";
import { DIM_P, World } from "../world.js";
import { collisionsWith, teamCollisions } from "./simple_tag.js";

/** Whether agent a is inside the first (f = 0) or second (f = 1) forest. */
function inForest(w: World, e: number, a: number, f: number): boolean {
  return isCollision(w, e, a, w.layout.forests[f]);
}

/** Scratch: which other agents the observing agent can see (grown on demand, never per step). */
let visible = new Uint8Array(8);

/** The velocities of the other good agents, [0, 0] for those hidden from agent a. */
function goodVelocities(o: ObsWriter, w: World, a: number, vis: Uint8Array): void {
  for (let b = 0; b < w.nAgents; b++) {
    if (b === a || w.layout.adversary[b]) continue;
    if (vis[b]) o.vel(b);
    else o.zeros(2);
  }
}

const ADVERSARY_COLOR = [0.95, 0.45, 0.45];
const GOOD_COLOR = [0.45, 0.95, 0.45];
const LANDMARK_COLOR = [0.25, 0.25, 0.25];
const FOOD_COLOR = [0.15, 0.15, 0.65];
const FOREST_COLOR = [0.6, 0.9, 0.6];

/** Writes agent a's reward in environment e (before any sharing) to out[k]; returns nothing so no double is boxed. */
function reward(w: World, e: number, a: number, out: Float64Array, k: number): void {
  const L = w.layout;
  const collide = w.collide[w.ent(e, a)];
  let rew = 0;
  if (L.adversary[a]) {
    // shaped by the distance to the nearest prey, plus the team's collision bonus
    let nearest = Infinity;
    for (let b = 0; b < w.nAgents; b++) {
      if (L.adversary[b]) continue;
      const d = dist(w, e, b, a);
      if (d < nearest) nearest = d;
    }
    rew -= 0.1 * nearest;
    // added one by one, as the original's loop does (the sum is not an integer any more)
    if (collide) for (let n = teamCollisions(w, e); n > 0; n--) rew += 5;
    out[k] = rew;
    return;
  }
  if (collide) for (let b = 0; b < w.nAgents; b++) if (L.adversary[b] && isCollision(w, e, b, a)) rew -= 5;
  const p = w.ent(e, a) * DIM_P;
  for (let d = 0; d < DIM_P; d++) rew -= 2 * bound(Math.abs(w.pos[p + d]));
  let nearestFood = Infinity;
  for (const f of L.food) {
    if (isCollision(w, e, a, f)) rew += 2;
    const d = dist(w, e, f, a);
    if (d < nearestFood) nearestFood = d;
  }
  // the original adds (not subtracts) the food distance: faithfully reproduced (mpe-spec quirk 11)
  rew += 0.05 * nearestFood;
  out[k] = rew;
}

export const simpleWorldComm: Scenario = {
  name: "simple_world_comm",
  description: "predators led by a speaking leader chase prey that hide in forests and collect food",
  requirements: {
    agentFields: ["adversary", "leader"],
    landmarkFields: ["boundary"],
    scenarioFields: ["food", "forests"],
    check(L) {
      if (L.forests.length < 2) return "needs at least 2 forests (observations read forests 0 and 1)";
      if (L.food.length < 1) return "needs at least one food";
      return missingGoodAgent(L);
    },
  },

  makeWorld() {
    const dimC = 4;
    const nAdv = 4;
    const nGood = 2;
    const landmarks = [landmarkJson("landmark 0", { collide: true, size: 0.2, boundary: false })];
    for (let i = 0; i < 2; i++) landmarks.push(landmarkJson(`food ${i}`, { collide: false, size: 0.03, boundary: false }));
    for (let i = 0; i < 2; i++) landmarks.push(landmarkJson(`forest ${i}`, { collide: false, size: 0.3, boundary: false }));
    return {
      scenario: "simple_world_comm",
      world: worldJson(dimC),
      agents: Array.from({ length: nAdv + nGood }, (_, i) => {
        const adversary = i < nAdv;
        return agentJson(`agent ${i}`, dimC, {
          collide: true,
          leader: i === 0,
          silent: i > 0,
          adversary,
          size: adversary ? 0.075 : 0.045,
          accel: adversary ? 3.0 : 4.0,
          max_speed: adversary ? 1.0 : 1.3,
        });
      }),
      landmarks,
      scenario_state: { food: [1, 2], forests: [3, 4] },
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    const L = w.layout;
    for (let a = 0; a < nA; a++) {
      w.setColor(e, a, L.adversary[a] ? ADVERSARY_COLOR : GOOD_COLOR);
      if (L.leader[a]) for (let d = 0; d < 3; d++) w.shiftColor(e, a, d, -0.3); // the leader is darker
    }
    for (let i = nA; i < nE; i++) w.setColor(e, i, LANDMARK_COLOR);
    for (const i of L.food) w.setColor(e, i, FOOD_COLOR);
    for (const i of L.forests) w.setColor(e, i, FOREST_COLOR);
    w.zeroMotion(e);
    for (let a = 0; a < nA; a++) w.randomPosition(e, a, rng, -1, +1);
    // every landmark, then the food again, then the forests again (the later draws win)
    for (let i = nA; i < nE; i++) w.randomPosition(e, i, rng, -0.9, +0.9);
    for (const i of L.food) w.randomPosition(e, i, rng, -0.9, +0.9);
    for (const i of L.forests) w.randomPosition(e, i, rng, -0.9, +0.9);
  },

  // adversary (leader too): [p_vel (2), p_pos (2), rel(landmarks) (2 each), rel(others, masked) (2 each),
  //   p_vel of good others, masked (2 each), in_forest (2), leader's c (dim_c)]
  // good: [p_vel (2), p_pos (2), rel(landmarks) (2 each), rel(others, masked) (2 each), in_forest (2),
  //   p_vel of good others, masked (2 each)]
  obsSize(L, a) {
    let landmarks = 0;
    for (let j = 0; j < L.nLandmarks; j++) if (!L.boundary[j]) landmarks++;
    let goodOthers = 0;
    for (let b = 0; b < L.nAgents; b++) if (b !== a && !L.adversary[b]) goodOthers++;
    return 4 + 2 * landmarks + 2 * (L.nAgents - 1) + 2 * goodOthers + 2 + (L.adversary[a] || L.leader[a] ? L.dimC : 0);
  },
  observe(o, w, e, a) {
    const L = w.layout;
    const nA = w.nAgents;
    o.vel(a);
    o.pos(a);
    for (let i = nA; i < w.nEntities; i++) if (!L.boundary[i - nA]) o.rel(i, a);
    const in1 = inForest(w, e, a, 0);
    const in2 = inForest(w, e, a, 1);
    // another agent is visible to the leader always, else if both share a forest or neither is in one
    if (visible.length < nA) visible = new Uint8Array(nA);
    for (let b = 0; b < nA; b++) {
      if (b === a) continue;
      const o1 = inForest(w, e, b, 0);
      const o2 = inForest(w, e, b, 1);
      visible[b] = (in1 && o1) || (in2 && o2) || (!in1 && !o1 && !in2 && !o2) || L.leader[a] ? 1 : 0;
    }
    for (let b = 0; b < nA; b++) {
      if (b === a) continue;
      if (visible[b]) o.rel(b, a);
      else o.zeros(2);
    }
    if (L.adversary[a] || L.leader[a]) {
      goodVelocities(o, w, a, visible);
      o.value(in1 ? 1 : -1);
      o.value(in2 ? 1 : -1);
      o.comm(0);
    } else {
      o.value(in1 ? 1 : -1);
      o.value(in2 ? 1 : -1);
      goodVelocities(o, w, a, visible);
    }
  },

  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) reward(w, e, a, out, off + a);
  },

  benchmark: (w, e, a) => collisionsWith(w, e, a),

  agentNames(L) {
    const counts = { lead: 0, adv: 0, good: 0 };
    const names: string[] = [];
    for (let a = 0; a < L.nAgents; a++) {
      if (L.leader[a]) names.push(`leadadversary_${counts.lead++}`);
      else if (L.adversary[a]) names.push(`adversary_${counts.adv++}`);
      else names.push(`agent_${counts.good++}`);
    }
    return names;
  },
};
