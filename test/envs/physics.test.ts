// The physics step against hand-computed numbers (mpe-spec §2 and §6).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MultiAgentEnv, Rng, softplus } from "../../src/index.js";
import type { WorldStateJson } from "../../src/index.js";

/** A simple_tag-shaped state with two agents at chosen positions/velocities and no obstacles nearby. */
function twoAgents(p0: number[], p1: number[], v0 = [0, 0], v1 = [0, 0], extra: Record<string, unknown> = {}): WorldStateJson {
  const env = new MultiAgentEnv("simple_push");
  const s = env.saveState();
  s.agents[0].p_pos = p0;
  s.agents[1].p_pos = p1;
  s.agents[0].p_vel = v0;
  s.agents[1].p_vel = v1;
  // landmarks far away (they do not collide in simple_push anyway)
  s.landmarks[0].p_pos = [5, 5];
  s.landmarks[1].p_pos = [-5, -5];
  Object.assign(s.agents[0], extra);
  return s;
}

const NOOP = [1, 0, 0, 0, 0];

describe("softplus (numpy logaddexp(0, z))", () => {
  it("follows numpy's three branches", () => {
    assert.equal(softplus(0), Math.LN2);
    assert.equal(softplus(3), 3 + Math.log1p(Math.exp(-3)));
    assert.equal(softplus(-3), Math.log1p(Math.exp(-3)));
    assert.equal(softplus(-800), 0); // exp underflows: no force between distant entities
    assert.ok(Number.isNaN(softplus(NaN)));
  });
});

describe("stepWorld", () => {
  it("damps velocity, adds force*dt, then integrates position with the new velocity", () => {
    // agents far apart: contact force is exactly zero after underflow
    const env = MultiAgentEnv.fromState(twoAgents([-0.9, 0], [0.9, 0], [0.4, -0.2], [0, 0]));
    env.step([[0, 1, 0, 0, 0], NOOP]); // +x at accel 5 (None -> 5.0)
    const w = env.world;
    const vx = 0.4 * 0.75 + 5 * 0.1;
    const vy = -0.2 * 0.75 + 0 * 0.1;
    assert.equal(w.vel[0], vx);
    assert.equal(w.vel[1], vy);
    assert.equal(w.pos[0], -0.9 + vx * 0.1);
    assert.equal(w.pos[1], 0 + vy * 0.1);
  });

  it("pushes overlapping agents apart with the soft contact force, equal and opposite", () => {
    const env = MultiAgentEnv.fromState(twoAgents([0, 0], [0.06, 0.02]));
    env.step([NOOP, NOOP]);
    const w = env.world;
    const dx = 0 - 0.06,
      dy = 0 - 0.02;
    const dist = Math.sqrt(dx * dx + dy * dy);
    const pen = softplus(-(dist - 0.1) / 0.001) * 0.001; // deep overlap: about dmin - dist
    assert.ok(Math.abs(pen - (0.1 - dist)) < 1e-6);
    const fx = ((100 * dx) / dist) * pen;
    const fy = ((100 * dy) / dist) * pen;
    assert.equal(w.vel[0], 0 + (fx + 0.0) * 0.1);
    assert.equal(w.vel[1], 0 + (fy + 0.0) * 0.1);
    assert.equal(w.vel[2], 0 + (-fx + 0.0) * 0.1);
    assert.equal(w.vel[3], 0 + (-fy + 0.0) * 0.1);
    assert.ok(w.vel[0] < 0 && w.vel[2] > 0, "agent 0 is pushed to -x, agent 1 to +x");
  });

  it("clips speed strictly above max_speed, after damping and force, before the position update", () => {
    const s = twoAgents([-0.9, 0], [0.9, 0], [3, 4], [0, 0], { max_speed: 2.0 });
    const env = MultiAgentEnv.fromState(s);
    env.step([NOOP, NOOP]);
    const w = env.world;
    const vx = 3 * 0.75,
      vy = 4 * 0.75; // speed 3.75 > 2
    const speed = Math.sqrt(vx * vx + vy * vy);
    assert.equal(w.vel[0], (vx / speed) * 2.0);
    assert.equal(w.vel[1], (vy / speed) * 2.0);
    assert.equal(w.pos[0], -0.9 + (vx / speed) * 2.0 * 0.1);
    // exactly at the cap: left alone (values chosen so that rescaling would change the last bit)
    const v0 = [0.25, 0.32];
    const dvx = v0[0] * 0.75,
      dvy = v0[1] * 0.75;
    const cap = Math.sqrt(dvx * dvx + dvy * dvy);
    assert.ok((dvx / cap) * cap !== dvx && (dvy / cap) * cap !== dvy, "the test values must be sensitive to a rescale");
    const env2 = MultiAgentEnv.fromState(twoAgents([-0.9, 0], [0.9, 0], v0, [0, 0], { max_speed: cap }));
    env2.step([NOOP, NOOP]);
    assert.equal(env2.world.vel[0], dvx);
    assert.equal(env2.world.vel[1], dvy);
  });

  it("gives NaN when two colliding entities coincide (as the original: no guard)", () => {
    const env = MultiAgentEnv.fromState(twoAgents([0.3, 0.3], [0.3, 0.3]));
    env.step([NOOP, NOOP]);
    assert.ok(Number.isNaN(env.world.vel[0]));
  });

  it("leaves immovable entities untouched and zeroes a silent agent's comm", () => {
    const env = new MultiAgentEnv("simple_crypto", { seed: 3 });
    const before = Float64Array.from(env.world.pos);
    env.step([
      [0, 1, 0, 0],
      [0.5, 0.5, 0, 0],
      [0, 0, 0, 1],
    ]);
    assert.deepEqual(Array.from(env.world.pos), Array.from(before));
    assert.deepEqual(Array.from(env.world.comm.subarray(4, 8)), [0.5, 0.5, 0, 0]);
    const push = new MultiAgentEnv("simple_push");
    push.step([NOOP, NOOP]);
    assert.deepEqual(Array.from(push.world.comm), [0, 0, 0, 0]);
  });

  it("adds seeded Gaussian action noise when u_noise is set, reproducibly", () => {
    const s = twoAgents([-0.9, 0], [0.9, 0], [0, 0], [0, 0], { u_noise: 0.1 });
    const a = MultiAgentEnv.fromState(s, { seed: 7 });
    const b = MultiAgentEnv.fromState(s, { seed: 7 });
    const c = MultiAgentEnv.fromState(s, { seed: 8 });
    for (const e of [a, b, c]) e.step([NOOP, NOOP]);
    assert.notEqual(a.world.vel[0], 0, "noise moved the agent");
    assert.equal(a.world.vel[0], b.world.vel[0]);
    assert.notEqual(a.world.vel[0], c.world.vel[0]);
    // the noise is N(0, 0.1^2) * dt on the velocity: check against the same stream
    const rng = new Rng(7);
    const nx = rng.normal() * 0.1;
    assert.equal(a.world.vel[0], (0 + nx) * 0.1);
  });
});
