#!/usr/bin/env node
/** The `lemol` command. */
import { createRequire } from "node:module";
import { UsageError } from "./args.js";
import { conformance } from "./conformance.js";
import { demo } from "./demo.js";
import { sweep, worker } from "./sweep.js";
import { train } from "./train.js";

type Command = (argv: readonly string[], out: (line: string) => void) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  train: { run: train, help: "run a LeMOL experiment (the original train.py; --help lists every option)" },
  demo: { run: demo, help: "run one random-policy episode of a scenario and print its rewards" },
  conformance: { run: conformance, help: "check golden trajectory files against our MPE (N passed, M failed)" },
  sweep: { run: sweep, help: "run a sweep of configurations x seeds here, or queue it on Redis for workers (--status shows it)" },
  worker: { run: worker, help: "run queued sweep jobs from Redis until stopped" },
};

function version(): string {
  const require = createRequire(import.meta.url);
  return (require("../../package.json") as { version: string }).version;
}

function usage(): string {
  const lines = ["usage: lemol <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(14)} ${c.help}`);
  lines.push("", "Run `lemol <command> --help` for a command's options.");
  return lines.join("\n");
}

/** Runs the CLI; returns the exit code (0 ok, 1 a check failed, 2 bad usage or input). */
async function main(argv: readonly string[]): Promise<number> {
  const out = (line: string) => process.stdout.write(line + "\n");
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    out(version());
    return 0;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands are ${Object.keys(COMMANDS).join(", ")}`);
    return await command.run(rest, out);
  } catch (err) {
    const e = err as Error;
    const known = e instanceof UsageError || ["StateError", "ActionError", "UnknownScenarioError", "RangeError", "LayoutMismatchError", "ConfigError", "BackendError", "NpzError", "CheckpointError"].includes(e.name);
    process.stderr.write(`lemol ${name ?? ""}: ${known ? e.message : (e.stack ?? e.message)}\n`);
    return known ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
