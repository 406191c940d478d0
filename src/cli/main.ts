#!/usr/bin/env node
/** The `lemol` command. */
import { createRequire } from "node:module";
import { UsageError } from "./args.js";
import { setOptionSyntax } from "../train/config.js";
import { EXIT, errorReport } from "./exit.js";
import { errorLine, guardOutput, outLine } from "./output.js";
import { conformance } from "./conformance.js";
import { demo } from "./demo.js";
import { stats } from "./stats.js";
import { sweep, worker } from "./sweep.js";
import { train } from "./train.js";

type Command = (argv: readonly string[], out: (line: string) => void) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  train: { run: train, help: "run a LeMOL experiment (the original train.py; --help lists every option)" },
  demo: { run: demo, help: "run one random-policy episode of a scenario and print its rewards" },
  conformance: { run: conformance, help: "check golden trajectory files against our MPE (N passed, M failed)" },
  sweep: { run: sweep, help: "run a sweep of configurations x seeds here, or queue it on Redis for workers (--status shows it)" },
  worker: { run: worker, help: "run queued sweep jobs from Redis until stopped" },
  stats: { run: stats, help: "compare runs across seeds by condition: IQM, bootstrap CIs, paired differences" },
};

function version(): string {
  const require = createRequire(import.meta.url);
  return (require("../../package.json") as { version: string }).version;
}

function usage(): string {
  const lines = ["usage: lemol <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(14)} ${c.help}`);
  lines.push(
    "",
    "Run `lemol <command> --help` for a command's options.",
    "",
    "exit codes: 0 done; 1 a check failed, or an unexpected error (with its stack trace: a bug to report);",
    "            2 bad input (options, files, paths); 3 the environment failed (disk full, Redis unreachable);",
    "            130 stopped by Ctrl-C, 143 by SIGTERM, 129 by SIGHUP (the run is checkpointed and resumable)",
  );
  return lines.join("\n");
}

/** Runs the CLI; returns the exit code ({@link EXIT}). */
async function main(argv: readonly string[]): Promise<number> {
  guardOutput();
  setOptionSyntax("cli"); // option names in messages as flags
  const out = outLine;
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    out(usage());
    return name === undefined ? EXIT.badInput : EXIT.ok;
  }
  if (name === "--version") {
    out(version());
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  try {
    if (!command) throw new UsageError(`unknown command "${name}"; commands are ${Object.keys(COMMANDS).join(", ")}`);
    return await command.run(rest, out);
  } catch (err) {
    const { code, text } = errorReport(err);
    errorLine(`lemol ${name ?? ""}: ${text}`);
    return code;
  }
}

process.exitCode = await main(process.argv.slice(2));
