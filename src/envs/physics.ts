/**
 * The MPE physics step (`World.step` in multiagent/core.py), written once for every scenario and
 * for single and vectorised environments alike. It follows the original order of operations so
 * that results match numpy to the last bit (mpe-spec §2 and §6):
 *
 *   1. action forces   force_i = u_i (+ noise), movable agents only
 *   2. contact forces  every pair a < b in entity order, both colliding, soft penetration
 *   3. integration     v *= (1 - damping); v += (F / m) dt; speed cap; p += v dt
 *   4. comm            c = action c (+ noise), zeros when silent
 *
 * Reads the decoded actions from `world.actU` / `world.actC`; allocates nothing.
 */
import { DIM_P, World } from "./world.js";

/** Something that draws standard normal deviates (only needed when an agent has u_noise/c_noise). */
export interface NormalSource {
  normal(): number;
}

const LN2 = Math.LN2;

/** numpy's `logaddexp(0, z)`, branch for branch. */
export function softplus(z: number): number {
  if (z === 0) return 0 + LN2;
  if (z > 0) return z + Math.log1p(Math.exp(-z));
  if (z < 0) return 0 + Math.log1p(Math.exp(z));
  return z; // NaN propagates, as in numpy
}

/** Advances environment `e` of `w` by one time step. `rng` is used only for action noise. */
export function stepWorld(w: World, e: number, rng: NormalSource | null): void {
  const L = w.layout;
  const nA = w.nAgents;
  const nE = w.nEntities;
  const dc = w.dimC;
  const pos = w.pos;
  const vel = w.vel;
  const force = w.force;
  const forceSet = w.forceSet;
  const movable = L.movable;
  const eb = e * nE; // first entity slot of env e in per-entity arrays
  const pb = eb * DIM_P; // first position component of env e
  const ab = e * nA; // first agent slot of env e

  // 1. action forces: one slot per entity, empty unless a movable agent fills it
  forceSet.fill(0);
  for (let a = 0; a < nA; a++) {
    if (!movable[a]) continue;
    const u = (ab + a) * DIM_P;
    let fx = w.actU[u];
    let fy = w.actU[u + 1];
    const sigma = w.uNoise[ab + a];
    if (sigma) {
      // `if agent.u_noise:` — NaN (None) and 0 mean no noise
      if (rng === null) throw new Error(`agent ${a} has u_noise set but no random source was given`);
      fx = fx + rng.normal() * sigma;
      fy = fy + rng.normal() * sigma;
    } else {
      fx = fx + 0.0;
      fy = fy + 0.0;
    }
    force[a * 2] = fx;
    force[a * 2 + 1] = fy;
    forceSet[a] = 1;
  }

  // 2. contact forces, pair loop in entity order
  const contactForce = L.contactForce;
  const k = L.contactMargin;
  const collide = w.collide;
  const size = w.size;
  for (let a = 0; a < nE; a++) {
    if (!collide[eb + a]) continue;
    const ax = pos[pb + a * 2];
    const ay = pos[pb + a * 2 + 1];
    for (let b = a + 1; b < nE; b++) {
      if (!collide[eb + b]) continue;
      const dx = ax - pos[pb + b * 2];
      const dy = ay - pos[pb + b * 2 + 1];
      const dist = Math.sqrt(dx * dx + dy * dy);
      const distMin = size[eb + a] + size[eb + b];
      const penetration = softplus(-(dist - distMin) / k) * k;
      const fx = ((contactForce * dx) / dist) * penetration;
      const fy = ((contactForce * dy) / dist) * penetration;
      if (movable[a]) {
        if (forceSet[a]) {
          force[a * 2] = fx + force[a * 2];
          force[a * 2 + 1] = fy + force[a * 2 + 1];
        } else {
          force[a * 2] = fx + 0.0;
          force[a * 2 + 1] = fy + 0.0;
          forceSet[a] = 1;
        }
      }
      if (movable[b]) {
        if (forceSet[b]) {
          force[b * 2] = -fx + force[b * 2];
          force[b * 2 + 1] = -fy + force[b * 2 + 1];
        } else {
          force[b * 2] = -fx + 0.0;
          force[b * 2 + 1] = -fy + 0.0;
          forceSet[b] = 1;
        }
      }
    }
  }

  // 3. integration (semi-implicit Euler) of movable entities
  const keep = 1 - L.damping;
  const dt = L.dt;
  const mass = w.mass;
  const maxSpeed = w.maxSpeed;
  for (let i = 0; i < nE; i++) {
    if (!movable[i]) continue;
    const p = pb + i * 2;
    let vx = vel[p] * keep;
    let vy = vel[p + 1] * keep;
    if (forceSet[i]) {
      const m = mass[eb + i];
      vx += (force[i * 2] / m) * dt;
      vy += (force[i * 2 + 1] / m) * dt;
    }
    const cap = maxSpeed[eb + i];
    if (cap === cap) {
      // cap is not NaN, i.e. max_speed is set
      const speed = Math.sqrt(vx * vx + vy * vy);
      if (speed > cap) {
        vx = (vx / speed) * cap;
        vy = (vy / speed) * cap;
      }
    }
    vel[p] = vx;
    vel[p + 1] = vy;
    pos[p] += vx * dt;
    pos[p + 1] += vy * dt;
  }

  // 4. comm state: silent agents are zeroed, others take their comm action
  if (dc > 0) {
    const comm = w.comm;
    const actC = w.actC;
    const silent = L.silent;
    for (let a = 0; a < nA; a++) {
      const c = (ab + a) * dc;
      if (silent[a]) {
        comm.fill(0, c, c + dc);
        continue;
      }
      const sigma = w.cNoise[ab + a];
      if (sigma) {
        if (rng === null) throw new Error(`agent ${a} has c_noise set but no random source was given`);
        for (let d = 0; d < dc; d++) comm[c + d] = actC[c + d] + rng.normal() * sigma;
      } else {
        for (let d = 0; d < dc; d++) comm[c + d] = actC[c + d] + 0.0;
      }
    }
  }
}
