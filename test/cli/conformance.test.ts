// `lemol conformance <dir>` and `lemol demo`, spawned as a user would run them.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { MultiAgentEnv, Rng, randomAction } from "../../src/index.js";
import { runCli } from "../helpers/cli.js";
import { goldenDir, goldenFileList, loadGolden } from "../helpers/golden.js";

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "lemol-conf-"));
}

/** A golden-format file recorded from our own env, starting from a hand-made state. */
function recordFile(state: any, steps: number, seed: number, discrete = true): any {
  const env = new MultiAgentEnv(state.scenario, { discreteActionSpace: discrete }, state);
  const rng = new Rng(seed);
  const out: any = {
    format_version: 1,
    scenario: state.scenario,
    discrete_action_space: discrete,
    action_mode: "prob",
    policy: "random",
    seed: null,
    description: "hand-made",
    initial_state: state,
    initial_obs: env.observations().map((o) => Array.from(o)),
    steps: [],
  };
  for (let t = 0; t < steps; t++) {
    const actions = env.actionSpaces.map((s, a) => {
      const v = new Array<number>(env.actionSizes[a]);
      randomAction(s, env.actionMode, rng, v, 0, "onehot");
      return v;
    });
    const r = env.step(actions);
    out.steps.push({ actions, obs: r.obs.map((o) => Array.from(o)), rewards: Array.from(r.rewards), dones: [...r.dones] });
  }
  return out;
}

describe("lemol conformance", () => {
  it("passes every golden file and ends with the summary line", () => {
    const n = goldenFileList().length;
    const r = runCli(["conformance", goldenDir()]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split("\n").at(-1), `${n} passed, 0 failed`);
  });

  it("prints one line per failing file with scenario, step, field, agent, index, expected and got; exit 1", () => {
    const dir = tmpDir();
    const files = goldenFileList();
    const g = loadGolden(files.find((f) => f.includes("simple_spread__prob"))!);
    g.steps[6].obs[2][4] += 1e-6;
    fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify(g));
    fs.copyFileSync(files[0], path.join(dir, "good.json"));
    fs.writeFileSync(path.join(dir, "broken.json"), "{ not json");
    const r = runCli(["conformance", dir]);
    assert.equal(r.code, 1);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0], /^FAIL bad\.json: scenario=simple_spread step 6 field=obs agent=2 index=4 expected=\S+ got=\S+$/);
    assert.match(lines[1], /^FAIL broken\.json: .*field=error/);
    assert.equal(lines.at(-1), "1 passed, 2 failed");
  });

  it("accepts files it has never seen: hand-made overlapping states, speeds above the cap, long episodes", () => {
    const dir = tmpDir();
    const tag = new MultiAgentEnv("simple_tag").saveState() as any;
    tag.agents[0].p_pos = [0.1, 0.1];
    tag.agents[1].p_pos = [0.12, 0.1]; // deep overlap
    tag.agents[3].p_vel = [3, -2]; // far above the 1.3 cap
    tag.landmarks[0].p_pos = [0.1, 0.15]; // an agent inside an obstacle
    fs.writeFileSync(path.join(dir, "tag_overlap.json"), JSON.stringify(recordFile(tag, 40, 1)));
    const wc = new MultiAgentEnv("simple_world_comm", { seed: 3 }).saveState();
    fs.writeFileSync(path.join(dir, "world_comm_long.json"), JSON.stringify(recordFile(wc, 200, 2)));
    const push = new MultiAgentEnv("simple_push", { seed: 4 }).saveState();
    fs.writeFileSync(path.join(dir, "push_cont.json"), JSON.stringify(recordFile(push, 30, 3, false)));
    const r = runCli(["conformance", dir]);
    assert.equal(r.stdout.trim(), "3 passed, 0 failed", r.stderr);
    assert.equal(r.code, 0);
  });

  it("reports a malformed state as a failure naming the field, not a crash", () => {
    const dir = tmpDir();
    const g = loadGolden(goldenFileList()[0]);
    delete g.initial_state.agents[0].p_vel;
    fs.writeFileSync(path.join(dir, "x.json"), JSON.stringify(g));
    const r = runCli(["conformance", dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /field=error .*agents\[0\]\.p_vel: missing field/);
  });

  it("rejects bad usage with one line and exit code 2", () => {
    for (const [args, msg] of [
      [["conformance"], /missing the directory/],
      [["conformance", "/nonexistent/dir"], /not a directory: \/nonexistent\/dir/],
      [["conformance", tmpDir()], /no \.json files in/],
      [["conformance", ".", "--tolerance", "abc"], /--tolerance: expected a number, got "abc"/],
      [["conformance", ".", "--bogus"], /unknown option --bogus/],
      [["frobnicate"], /unknown command "frobnicate"/],
    ] as const) {
      const r = runCli([...args]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split("\n").length, 1, "one line");
    }
  });
});

describe("lemol demo", () => {
  it("runs a random-policy episode of simple_push and prints each step's rewards and the totals", () => {
    const r = runCli(["demo", "--steps", "10", "--seed", "3"]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.match(lines[0], /^simple_push: 2 agents \(adversary_0, agent_0\), random policy, seed 3$/);
    assert.equal(lines.length, 2 + 10 + 1);
    const rows = lines.slice(2, 12).map((l) => l.trim().split(/\s+/).map(Number));
    const totals = lines.at(-1)!.trim().split(/\s+/).slice(1).map(Number);
    const sum0 = rows.reduce((s, row) => s + row[1], 0);
    assert.ok(Math.abs(sum0 - totals[0]) < 1e-3);
    assert.equal(runCli(["demo", "--steps", "10", "--seed", "3"]).stdout, r.stdout, "same seed, same output");
  });

  it("writes an HTML animation when asked", () => {
    const file = path.join(tmpDir(), "episode.html");
    const r = runCli(["demo", "--scenario", "simple_world_comm", "--steps", "5", "--animation", file]);
    assert.equal(r.code, 0, r.stderr);
    const html = fs.readFileSync(file, "utf8");
    assert.equal((html.match(/<svg /g) ?? []).length, 6, "the 6 frames for the player");
    assert.match(html, /<div class="frame"><img alt="[^"]*" src="data:image\/svg\+xml;base64,/, "the first frame as an image, shown before any script runs");
    assert.match(html, /max="5"/);
  });
});
