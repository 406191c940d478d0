// State I/O: loadState/saveState round trips, and clear errors for malformed states.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MultiAgentEnv, Rng, SCENARIO_NAMES, StateError, VecEnv, randomAction } from "../../src/index.js";
import { goldenFileList, loadGolden } from "../helpers/golden.js";

function randomActions(env: MultiAgentEnv, rng: Rng): number[][] {
  return env.actionSpaces.map((s, a) => {
    const out = new Array<number>(env.actionSizes[a]);
    randomAction(s, env.actionMode, rng, out, 0, "prob");
    return out;
  });
}

describe("saveState / loadState", () => {
  it("writes back every golden initial_state exactly (fields, order and values)", () => {
    for (const f of goldenFileList()) {
      const g = loadGolden(f);
      const env = MultiAgentEnv.fromState(g.initial_state);
      assert.equal(JSON.stringify(env.saveState()), JSON.stringify(g.initial_state), f);
    }
  });

  for (const name of SCENARIO_NAMES) {
    it(`${name}: loadState(saveState()) continues identically`, () => {
      const env = new MultiAgentEnv(name, { seed: 11 });
      const rng = new Rng(5);
      for (let t = 0; t < 7; t++) env.step(randomActions(env, rng));
      const snapshot = env.saveState();
      const copy = MultiAgentEnv.fromState(JSON.parse(JSON.stringify(snapshot)));
      for (let t = 0; t < 20; t++) {
        const actions = randomActions(env, rng);
        const a = env.step(actions);
        const b = copy.step(actions);
        assert.deepEqual(Array.from(b.rewards), Array.from(a.rewards));
        a.obs.forEach((o, i) => assert.deepEqual(Array.from(b.obs[i]), Array.from(o)));
      }
      assert.deepEqual(copy.saveState(), env.saveState());
    });
  }

  it("loadState into an existing env replaces the world and its observations", () => {
    const env = new MultiAgentEnv("simple_tag", { seed: 1 });
    const other = new MultiAgentEnv("simple_tag", { seed: 2 });
    const obs = env.loadState(other.saveState());
    assert.deepEqual(Array.from(obs[0]), Array.from(other.observations()[0]));
  });

  it("rebuilds the env when the loaded state has another structure", () => {
    const env = new MultiAgentEnv("simple_spread");
    const s = env.saveState();
    s.agents.push({ ...s.agents[0], name: "agent 3", p_pos: [0.5, 0.5] });
    const obs = env.loadState(s);
    assert.equal(env.n, 4);
    assert.equal(obs.length, 4);
    assert.equal(env.obsSizes[0], 4 + 6 + 3 * (2 + 2));
  });
});

describe("malformed states", () => {
  const base = () => new MultiAgentEnv("simple_push").saveState() as any;
  const cases: [string, (s: any) => void, RegExp][] = [
    ["missing p_pos", (s) => delete s.agents[1].p_pos, /state\.agents\[1\]\.p_pos: missing field/],
    ["mistyped size", (s) => (s.agents[0].size = "big"), /state\.agents\[0\]\.size: expected a finite number, got string/],
    ["short velocity", (s) => (s.landmarks[1].p_vel = [0]), /state\.landmarks\[1\]\.p_vel: expected 2 numbers, got 1/],
    ["NaN position", (s) => (s.agents[0].p_pos = [0, null]), /state\.agents\[0\]\.p_pos\[1\]: expected a finite number, got null/],
    ["wrong comm length", (s) => (s.agents[0].c = [0]), /state\.agents\[0\]\.c: expected 2 numbers, got 1/],
    ["missing world field", (s) => delete s.world.dt, /state\.world\.dt: missing field/],
    ["dim_p 3", (s) => (s.world.dim_p = 3), /state\.world\.dim_p: only dim_p = 2 is supported, got 3/],
    ["boolean as number", (s) => (s.agents[1].movable = 1), /state\.agents\[1\]\.movable: expected true or false, got number/],
    ["missing role flag", (s) => delete s.agents[0].adversary, /state\.agents\[0\]\.adversary: missing field/],
    ["missing goal_a", (s) => delete s.scenario_state.goal_a, /state\.scenario_state\.goal_a: missing field/],
    [
      "goal index out of range",
      (s) => (s.scenario_state.goal_a[0] = { type: "landmark", index: 7 }),
      /goal_a\[0\]\.index: expected an integer in \[0, 1\], got 7/,
    ],
    ["bad reference type", (s) => (s.scenario_state.goal_a[1] = { type: "forest", index: 0 }), /goal_a\[1\]\.type: expected "agent" or "landmark"/],
    ["null goal the scenario needs", (s) => (s.scenario_state.goal_a[1] = null), /not a valid simple_push state: agent 1 needs goal_a/],
    ["non-positive mass", (s) => (s.agents[0].initial_mass = 0), /initial_mass: expected a number > 0, got 0/],
    [
      "agent with no action",
      (s) => {
        s.agents[0].movable = false;
        s.agents[0].silent = true;
      },
      /neither movable nor able to speak/,
    ],
    ["wrong scenario name", (s) => (s.scenario = "simple_tag"), /state\.scenario: expected "simple_push", got "simple_tag"/],
    ["not an object", (s) => (s.world = [1, 2]), /state\.world: expected an object, got array/],
  ];
  for (const [what, mutate, message] of cases) {
    it(`rejects ${what}`, () => {
      const s = base();
      mutate(s);
      assert.throws(
        () => new MultiAgentEnv("simple_push", {}, s),
        (e: Error) => e instanceof StateError && message.test(e.message),
      );
    });
  }

  it("rejects an unknown scenario in fromState, listing the known ones", () => {
    const s = base();
    s.scenario = "simple_soccer";
    assert.throws(() => MultiAgentEnv.fromState(s), /unknown scenario "simple_soccer"; expected one of: simple, /);
    assert.throws(() => MultiAgentEnv.fromState(null), /state\.scenario: expected a scenario name/);
  });

  it("rejects a crypto key of the wrong length", () => {
    const s = new MultiAgentEnv("simple_crypto").saveState() as any;
    s.agents[2].key = [1, 0];
    assert.throws(() => MultiAgentEnv.fromState(s), /agent 2's key must have length dim_c = 4/);
  });

  it("rejects a state whose structure does not fit a vectorised env, naming the difference", () => {
    const vec = new VecEnv("simple_spread", 3);
    const s = vec.saveState(0) as any;
    s.agents[1].silent = false;
    assert.throws(() => vec.loadState(1, s), /does not fit this environment's layout \(silent\[1\]: 1 vs 0\)/);
  });
});
