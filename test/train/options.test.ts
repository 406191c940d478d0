// Options define the config (issue 29): an option declared once, in the list of the part that
// reads it, is in ExperimentConfig with its type, in `lemol train --help`, accepted by
// resolveConfig and mapped onto its algorithm's config — adding one is one edit (the last test
// makes that edit to three algorithms' lists in a copy of src/ and checks all of it, types included).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { LEMOL_OPTIONS, lemolOptionsOf } from "../../src/agents/lemol/flags.js";
import { MADDPG_DEFAULTS, MADDPG_FLAGS, MADDPGConfig } from "../../src/agents/maddpg-config.js";
import { PPO_DEFAULTS, PPO_FLAGS, PPOConfig } from "../../src/agents/ppo/config.js";
import { TRAIN_SPECS } from "../../src/cli/train.js";
import { formatHelp } from "../../src/cli/args.js";
import { maddpgConfigOf, ppoConfigOf } from "../../src/train/build.js";
import { ExperimentConfig, OPTIONS, resolveConfig } from "../../src/train/config.js";
import type { OptionDef } from "../../src/util/options.js";
import { REPO } from "../helpers/golden.js";

// type-level: checked by `tsc -p tsconfig.json` (tests included); each line fails to compile if a type is wrong
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typed: [
  Equal<ExperimentConfig["lr"], number>,
  Equal<ExperimentConfig["learning_starts"], number | null>,
  Equal<ExperimentConfig["exp_name"], string>,
  Equal<ExperimentConfig["revision"], "init" | "head">,
  Equal<ExperimentConfig["lstm_gate_activation"], "hard_sigmoid" | "sigmoid">,
  Equal<ExperimentConfig["discrete_actions"], boolean>,
  Equal<ExperimentConfig["run_dir"], string | null>,
  Equal<MADDPGConfig["timeLimitTerminal"], boolean>,
  Equal<MADDPGConfig["learningStarts"], number | null>,
  Equal<MADDPGConfig["gradClip"], number>,
  Equal<PPOConfig["historyLength"], number>,
  Equal<PPOConfig["discrete"], boolean>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];

/** A valid value of `o` other than its default. */
function otherValue(o: OptionDef): string | number | boolean {
  if (o.type === "boolean") return !o.default;
  if (o.choices) return o.choices.find((c) => c !== o.default)!;
  if (o.type === "string") return `${String(o.default ?? "x")}-other`;
  const base = typeof o.default === "number" ? o.default : (o.min ?? 1);
  const up = o.type === "int" ? base + 1 : base * 1.5 + 0.01;
  const down = o.type === "int" ? base - 1 : base / 2;
  return o.max !== undefined && up > o.max ? down : up;
}

/** The config value an option gives its key. */
const configValue = (o: OptionDef, v: unknown) => (o.toConfig ? (o.toConfig as (x: unknown) => unknown)(v) : v);

describe("options define the config", () => {
  it("types every option's field from its declaration", () => assert.equal(typed.length, 12));

  it("puts every option in the resolved config (its default), in --help, and accepts a value of its type for it", () => {
    const defaults = resolveConfig();
    const help = formatHelp("lemol train", "", TRAIN_SPECS);
    assert.deepEqual(Object.keys(defaults).sort(), OPTIONS.map((o) => o.name).sort());
    for (const o of OPTIONS as readonly OptionDef[]) {
      if (!o.computed && !["num_episodes", "agent_update_freq"].includes(o.name)) assert.equal(defaults[o.name as keyof ExperimentConfig], o.default, o.name);
      assert.match(help, new RegExp(`--${o.name}\\s`), o.name);
      if (["display", "benchmark", "test", "recurrent_om_prediction", "use_alternative_lstm", "use_triplet_representation_loss"].includes(o.name)) continue; // need other options with them
      const v = otherValue(o);
      assert.equal(resolveConfig({ [o.name]: v })[o.name as keyof ExperimentConfig], v, o.name);
    }
  });

  it("maps every keyed option onto its algorithm's config, and derives the algorithm's defaults from the options'", () => {
    for (const [flags, defaults, configOf] of [
      [MADDPG_FLAGS, MADDPG_DEFAULTS, maddpgConfigOf],
      [PPO_FLAGS, PPO_DEFAULTS, ppoConfigOf],
      [LEMOL_OPTIONS, null, (c: ExperimentConfig) => lemolOptionsOf(c, false, false)],
    ] as const) {
      const keyed = (flags as readonly OptionDef[]).filter((o) => o.key !== undefined);
      assert.ok(keyed.length >= 6);
      for (const o of keyed) {
        const key = o.key!;
        if (defaults) assert.equal((defaults as Record<string, unknown>)[key], configValue(o, o.default), `${key} default`);
        const v = otherValue(o);
        const cfg = resolveConfig({ [o.name]: v });
        assert.equal((configOf(cfg) as Record<string, unknown>)[key], configValue(o, v), `--${o.name} -> ${key}`);
      }
    }
    assert.equal(maddpgConfigOf(resolveConfig({ bootstrap_time_limit: true })).timeLimitTerminal, false);
    assert.equal(MADDPG_DEFAULTS.timeLimitTerminal, true, "the time limit is terminal by default, as LeMOL's code has it");
  });

  it("takes an option added to an algorithm's list (MADDPG's, PPO's, LeMOL's), with nothing else edited, all the way: types, --help, resolveConfig, the learner's config", (t) => {
    // a copy of src/ with one edit: an opt(...) appended to the MADDPG family's options
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-add-option-"));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.cpSync(path.join(REPO, "src"), path.join(dir, "src"), { recursive: true });
    for (const f of ["package.json", "tsconfig.json"]) fs.copyFileSync(path.join(REPO, f), path.join(dir, f));
    fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
    fs.mkdirSync(path.join(dir, "build"));
    if (fs.existsSync(path.join(REPO, "build", "Release"))) fs.symlinkSync(path.join(REPO, "build", "Release"), path.join(dir, "build", "Release"));
    // one edit per list: an opt(...) appended to the MADDPG family's, PPO's and LeMOL's options
    const append = (file: string, end: string, option: string) => {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      assert.ok(text.includes(end), `${file}: the list ends as this test expects`);
      fs.writeFileSync(path.join(dir, file), text.replace(end, `\n  ${option},${end}`));
    };
    append(
      "src/agents/maddpg-config.ts",
      "\n] as const;\n\n/** Every option the MADDPG family's config reads",
      'opt("added_option", "int", 7, "an option the test added", { min: 1, key: "addedOption" })',
    );
    append(
      "src/agents/ppo/config.ts",
      "\n] as const;\n\n/** Every option PPO's config reads",
      'opt("added_ppo_option", "number", 0.5, "a PPO option the test added", { exclusiveMin: 0, key: "addedPpo" })',
    );
    append(
      "src/agents/lemol/flags.ts",
      "\n] as const;\n\n/** The fields of {@link LeMOLOptions}",
      'opt("added_lemol_option", "boolean", false, "a LeMOL option the test added", { key: "addedLemol" })',
    );

    // types: each new field is in ExperimentConfig and its algorithm's config, typed by its declaration
    fs.writeFileSync(
      path.join(dir, "src/added-option-check.ts"),
      [
        'import type { ExperimentConfig } from "./train/config.js";',
        'import type { MADDPGConfig } from "./agents/maddpg-config.js";',
        'import type { PPOConfig } from "./agents/ppo/config.js";',
        'import type { LeMOLOptions } from "./agents/lemol/flags.js";',
        "export const a: number = null! as ExperimentConfig['added_option'];",
        "export const b: number = null! as MADDPGConfig['addedOption'];",
        "export const d: number = null! as PPOConfig['addedPpo'];",
        "export const e: boolean = null! as ExperimentConfig['added_lemol_option'];",
        "export const f: boolean | undefined = null! as LeMOLOptions['addedLemol'];",
        "// @ts-expect-error a number is not a string",
        "export const c: string = null! as ExperimentConfig['added_option'];",
        "",
      ].join("\n"),
    );
    const tsc = spawnSync(
      process.execPath,
      [
        path.join(REPO, "node_modules/typescript/bin/tsc"),
        "--noEmit",
        "--strict",
        "--skipLibCheck",
        "--module",
        "NodeNext",
        "--moduleResolution",
        "NodeNext",
        "--target",
        "ES2022",
        "--types",
        "node",
        "src/added-option-check.ts",
      ],
      { cwd: dir, encoding: "utf8" },
    );
    assert.equal(tsc.status, 0, `the added option's types:\n${tsc.stdout}${tsc.stderr}`);

    // run time: help, resolveConfig, the mapping, the learner the experiment builds
    const script = [
      'import { TRAIN_SPECS } from "./src/cli/train.ts";',
      'import { formatHelp } from "./src/cli/args.ts";',
      'import { resolveConfig } from "./src/train/config.ts";',
      'import { buildRun } from "./src/train/build.ts";',
      'import { MADDPG_DEFAULTS } from "./src/agents/maddpg-config.ts";',
      'import { initBackend } from "./src/nn/backend.ts";',
      'await initBackend("cpu");',
      'const help = formatHelp("lemol train", "", TRAIN_SPECS).split("\\n").find((l) => l.includes("--added_option"));',
      'const cfg = resolveConfig({ added_option: 9, bad_policy: "maddpg", batch_size: 4, num_units: 4, replay_buffer_capacity: 1000 });',
      "let refused = null;",
      "try { resolveConfig({ added_option: 0 }); } catch (e) { refused = e.message; }",
      'const learner = buildRun(cfg, () => {}).trainers.get("maddpg/0");',
      'const others = buildRun(resolveConfig({ added_ppo_option: 0.25, added_lemol_option: true, bad_policy: "lemol", good_policy: "ppo", batch_size: 4, num_units: 4, lstm_hidden_dim: 4, replay_buffer_capacity: 1000 }), () => {}).trainers;',
      'console.log(JSON.stringify({ help, value: cfg.added_option, fallback: resolveConfig().added_option, refused, learner: learner.config.addedOption, defaults: MADDPG_DEFAULTS.addedOption, ppo: others.get("ppo/1").config.addedPpo, lemol: others.get("lemol/0").options.addedLemol }));',
    ].join("\n");
    fs.writeFileSync(path.join(dir, "added-option-run.ts"), script);
    const run = spawnSync(process.execPath, ["--import", "tsx", "added-option-run.ts"], { cwd: dir, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    const got = JSON.parse(run.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
    assert.match(String(got.help), /--added_option\s+an option the test added \(default: 7\)/);
    assert.deepEqual(
      { value: got.value, fallback: got.fallback, learner: got.learner, defaults: got.defaults, ppo: got.ppo, lemol: got.lemol },
      { value: 9, fallback: 7, learner: 9, defaults: 7, ppo: 0.25, lemol: true },
    );
    assert.match(String(got.refused), /added_option: must be >= 1, got 0/);
  });
});
