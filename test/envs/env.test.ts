// MultiAgentEnv semantics: seeded resets, sizes, shared rewards, benchmark data, done callback.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DIM_P, MultiAgentEnv, Rng, SCENARIO_NAMES, UnknownScenarioError, makeEnv, randomAction } from "../../src/index.js";

function episode(env: MultiAgentEnv, seed: number, steps = 25): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  env.reset(seed);
  for (let t = 0; t < steps; t++) {
    const acts = env.actionSpaces.map((s, a) => {
      const v = new Array<number>(env.actionSizes[a]);
      randomAction(s, env.actionMode, rng, v);
      return v;
    });
    const r = env.step(acts);
    out.push(...r.rewards, ...r.obs.flatMap((o) => Array.from(o)));
  }
  return out;
}

describe("MultiAgentEnv", () => {
  it("has the observation and action sizes of the original for every scenario", () => {
    const expected: Record<string, [number[], number[]]> = {
      simple: [[4], [5]],
      simple_adversary: [
        [8, 10, 10],
        [5, 5, 5],
      ],
      simple_crypto: [
        [4, 8, 8],
        [4, 4, 4],
      ],
      simple_push: [
        [8, 19],
        [5, 5],
      ],
      simple_reference: [
        [21, 21],
        [15, 15],
      ],
      simple_speaker_listener: [
        [3, 11],
        [3, 5],
      ],
      simple_spread: [
        [18, 18, 18],
        [5, 5, 5],
      ],
      simple_tag: [
        [16, 16, 16, 14],
        [5, 5, 5, 5],
      ],
      simple_world_comm: [
        [34, 34, 34, 34, 28, 28],
        [9, 5, 5, 5, 5, 5],
      ],
    };
    for (const name of SCENARIO_NAMES) {
      const env = makeEnv(name);
      assert.deepEqual([env.obsSizes, env.actionSizes], expected[name], name);
      assert.deepEqual(
        env.observations().map((o) => o.length),
        expected[name][0],
      );
    }
  });

  it("gives the same episode for the same seed and a different one for another seed", () => {
    for (const name of SCENARIO_NAMES) {
      const a = episode(new MultiAgentEnv(name, { seed: 1 }), 42);
      const b = episode(new MultiAgentEnv(name, { seed: 99 }), 42); // reset(42) reseeds
      const c = episode(new MultiAgentEnv(name, { seed: 1 }), 43);
      assert.deepEqual(a, b, `${name}: same seed, same episode`);
      assert.notDeepEqual(a, c, `${name}: another seed, another episode`);
    }
  });

  it("draws reset positions from the original's ranges, velocities and comm zero", () => {
    const ranges: Record<string, number> = { simple_tag: 0.9, simple_world_comm: 0.9 };
    for (const name of SCENARIO_NAMES) {
      const env = new MultiAgentEnv(name, { seed: 5 });
      const w = env.world;
      let minX = Infinity,
        maxX = -Infinity;
      for (let r = 0; r < 200; r++) {
        env.reset();
        for (let i = 0; i < w.nEntities; i++) {
          const lim = i < w.nAgents ? 1 : (ranges[name] ?? 1);
          for (let d = 0; d < DIM_P; d++) {
            const x = w.pos[i * DIM_P + d];
            assert.ok(x >= -lim && x < lim, `${name} entity ${i}: ${x} outside [-${lim}, ${lim})`);
            if (i < w.nAgents) {
              minX = Math.min(minX, x);
              maxX = Math.max(maxX, x);
            }
          }
        }
        assert.ok(w.vel.every((v) => v === 0));
        assert.ok(w.comm.every((v) => v === 0));
      }
      assert.ok(minX < -0.9 && maxX > 0.9, `${name}: agent positions cover the range`);
    }
  });

  it("picks the goal landmark uniformly at reset (simple_push)", () => {
    const env = new MultiAgentEnv("simple_push", { seed: 2 });
    let first = 0;
    const n = 4000;
    for (let r = 0; r < n; r++) {
      env.reset();
      if (env.world.goalA[0] === env.world.nAgents) first++;
    }
    assert.ok(Math.abs(first / n - 0.5) < 0.04, `goal 0 chosen ${first} of ${n} times`);
  });

  it("shares rewards as a sum in collaborative scenarios, and not otherwise unless asked", () => {
    const spread = new MultiAgentEnv("simple_spread", { seed: 3 });
    const own = new MultiAgentEnv("simple_spread", { seed: 3, sharedReward: false });
    const noop = [1, 0, 0, 0, 0];
    const shared = Array.from(spread.step([noop, noop, noop]).rewards);
    const raw = Array.from(own.step([noop, noop, noop]).rewards);
    const sum = raw[0] + raw[1] + raw[2];
    assert.deepEqual(shared, [sum, sum, sum]);
    assert.ok(
      raw.every((r) => r <= -1),
      "each agent collides with itself: at least -1",
    );
    const push = new MultiAgentEnv("simple_push");
    const r = push.step([noop, noop]).rewards;
    assert.notEqual(r[0], r[1]);
  });

  it("fills benchmark infos where the scenario has benchmark_data, and refuses where it has none", () => {
    const tag = new MultiAgentEnv("simple_tag", { benchmark: true });
    const noop = [1, 0, 0, 0, 0];
    const { infos } = tag.step([noop, noop, noop, noop]);
    assert.equal(infos.length, 4);
    for (const i of infos) assert.equal(typeof i.benchmark, "number");
    const spread = new MultiAgentEnv("simple_spread", { benchmark: true });
    const b = spread.step([noop, noop, noop]).infos[0].benchmark as Record<string, number>;
    assert.deepEqual(Object.keys(b), ["reward", "collisions", "min_dists", "occupied_landmarks"]);
    assert.ok(b.collisions >= 1);
    const sl = new MultiAgentEnv("simple_speaker_listener", { benchmark: true, sharedReward: false });
    const r = sl.step([[1, 0, 0], noop]);
    assert.equal(r.infos[1].benchmark, r.rewards[1], "speaker_listener's (fixed) benchmark is the reward");
    for (const name of ["simple", "simple_push", "simple_reference"]) {
      assert.throws(() => new MultiAgentEnv(name, { benchmark: true }), new RegExp(`${name} has no benchmark_data`));
    }
  });

  it("calls a done callback per agent after the step", () => {
    const env = new MultiAgentEnv("simple", { done: (w) => w.pos[0] > 0 });
    env.world.pos[0] = 0.5;
    const r = env.step([[1, 0, 0, 0, 0]]);
    assert.deepEqual(r.dones, [true]);
    assert.deepEqual(new MultiAgentEnv("simple").step([[1, 0, 0, 0, 0]]).dones, [false]);
  });

  it("reuses its result buffers (no allocation per step)", () => {
    const env = new MultiAgentEnv("simple_push");
    const a = env.step([
      [1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0],
    ]);
    const b = env.step([
      [1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0],
    ]);
    assert.equal(a, b);
    assert.equal(a.obs[0], b.obs[0]);
  });

  it("rejects unknown scenarios and bad seeds clearly", () => {
    assert.throws(
      () => makeEnv("simple_soccer"),
      (e: Error) => e instanceof UnknownScenarioError && /unknown scenario "simple_soccer"/.test(e.message),
    );
    assert.throws(() => new MultiAgentEnv("simple", { seed: -1 }), /seed must be a non-negative integer, got -1/);
    assert.throws(() => new MultiAgentEnv("simple").reset(1.5), /seed must be a non-negative integer, got 1.5/);
  });

  it("names agents as PettingZoo's MPE does", () => {
    assert.deepEqual(makeEnv("simple_push").agentNames, ["adversary_0", "agent_0"]);
    assert.deepEqual(makeEnv("simple_world_comm").agentNames, ["leadadversary_0", "adversary_0", "adversary_1", "adversary_2", "agent_0", "agent_1"]);
    assert.deepEqual(makeEnv("simple_crypto").agentNames, ["eve_0", "bob_0", "alice_0"]);
    assert.deepEqual(makeEnv("simple_speaker_listener").agentNames, ["speaker_0", "listener_0"]);
  });
});
