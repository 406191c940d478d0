/**
 * `lemol train`: the original `experiments/train.py` as a command. Its options are generated from
 * the configuration schema (src/train/config.ts), so `--help`, defaults and validation are the
 * notebook API's. Prints the original's lines on stdout and a progress bar on stderr (when it is a
 * terminal); Ctrl-C, SIGTERM (a scheduler, systemd, `docker stop`) and SIGHUP stop at the next step
 * and checkpoint, leaving the run directory consistent and its manifest "stopped", and exit
 * 128 + the signal's number (130, 143, 129); `--restore <run_dir>` continues a run from its checkpoint.
 */
import { ExperimentStopped, Experiment } from "../train/experiment.js";
import { OPTIONS, OptionDef } from "../train/config.js";
import { runStatusOf } from "../train/run-dir.js";
import { WorkerProcessError } from "../train/workers.js";
import { OptionSpec, UsageError, formatHelp, parseArgs } from "./args.js";
import { errorText } from "./output.js";
import { onStopSignals } from "./signals.js";

function specFor(def: OptionDef): OptionSpec {
  const note = def.implemented ? "" : " [not implemented yet]";
  return {
    type: def.type,
    ...(def.default === null ? {} : { default: def.default }),
    help: def.help + note,
    ...(def.choices ? { choices: def.choices } : {}),
  };
}

export const TRAIN_SPECS: Record<string, OptionSpec> = {
  ...Object.fromEntries(OPTIONS.map((d) => [d.name, specFor(d)])),
  backend: { type: "string", help: "tfjs backend: node, wasm or cpu (default: automatic; or LEMOL_BACKEND)", choices: ["node", "wasm", "cpu"] },
  restore: { type: "string", help: "continue the run in this run directory from its checkpoint (its own options are used)" },
  checkpoint: { type: "string", help: "with --restore: which checkpoint (default: latest)" },
  quiet: { type: "boolean", default: false, help: "print nothing but errors and the final line (no option list, no progress bar)" },
  help: { type: "boolean", default: false, help: "show this help" },
};

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

export async function train(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { options } = parseArgs(argv, TRAIN_SPECS, 0);
  if (options.help) {
    out(
      formatHelp(
        "lemol train [options]",
        "Runs a LeMOL experiment (the original train.py): cycles of trajectories against learning opponents, with opponent-model training between cycles.",
        TRAIN_SPECS,
      ),
    );
    return 0;
  }
  const { backend, quiet, help: _help, restore, checkpoint, ...rest } = options;
  const given: Record<string, unknown> = {};
  for (const arg of argv) {
    const m = /^--([^=]+)/.exec(arg);
    if (m && m[1] in rest) given[m[1]] = rest[m[1]];
  }
  if (typeof checkpoint === "string" && typeof restore !== "string") throw new UsageError("--checkpoint needs --restore <run_dir>");
  const forced = typeof backend === "string" ? { backend } : {};
  // --quiet: errors (stderr) and the final line only
  const say = quiet ? () => {} : out;
  let exp: Experiment;
  if (typeof restore === "string") {
    const extra = Object.keys(given);
    if (extra.length > 0) throw new UsageError(`--restore continues the run with the options it was started with; drop --${extra[0]}`);
    // a manifest saying "running" with nobody holding the run: its process was killed (also inside close())
    const interrupted = runStatusOf(restore) === "interrupted";
    exp = await Experiment.restore(restore, { ...(typeof checkpoint === "string" ? { checkpoint } : {}), ...forced }, { print: out });
    if (interrupted) out(`(${exp.runDir.root}: its manifest said "running" but its process was gone: the run had been interrupted)`);
    if (exp.phase === "done") {
      // a run killed while closing finished its work: record the end its process could not
      if (interrupted) exp.close();
      exp.dispose();
      return 0;
    }
  } else {
    exp = await Experiment.create({ ...given, ...forced }, { print: say, printConfig: !quiet });
  }
  say(`run directory: ${exp.runDir.root}`);
  say(`backend: ${exp.backend.name}, kernels: ${exp.backend.kernels}`);
  const bar = !quiet && process.stderr.isTTY;
  if (bar) {
    const episodes = exp.config.num_episodes;
    exp.on("progress", (p) => {
      const done = p.trajectoriesDone * episodes + p.episode;
      const total = p.trajectoriesTotal * episodes;
      const width = 24;
      const filled = Math.round((width * p.episode) / episodes);
      const remainingSteps = (total - done) * exp.config.max_episode_len;
      errorText(
        `\r[trajectory ${p.trajectory + 1}/${p.trajectoriesTotal}] ${"#".repeat(filled)}${".".repeat(width - filled)} episode ${p.episode}/${episodes}  ${p.stepsPerSecond.toFixed(0)} steps/s  ETA ${duration(remainingSteps / p.stepsPerSecond)}   `,
      );
    });
    exp.on("om_chunk", (c) => {
      if (c.chunk % 50 === 0 || c.chunk === c.chunks - 1)
        errorText(
          `\r[OM training, cycle ${c.cycle}, pass ${c.pass + 1}] chunk ${c.chunk + 1}/${c.chunks}  loss ${c.loss.toFixed(3)}  accuracy ${c.accuracy.toFixed(3)}          `,
        );
    });
    exp.on("trajectory_end", () => errorText("\n"));
  }
  const signals = onStopSignals((signal) => {
    const name = signal === "SIGINT" ? "Ctrl-C" : signal;
    errorText(`\n${name}: stopping at the next step and checkpointing (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again to quit at once)\n`);
    exp.requestStop();
  });
  try {
    await exp.run();
    out(`finished: ${exp.runDir.root}`);
    return 0;
  } catch (err) {
    if (err instanceof ExperimentStopped) {
      const where = exp.checkpoint();
      exp.close("stopped");
      out(`stopped: ${exp.runDir.root} (checkpoint ${where}; continue with: lemol train --restore ${exp.runDir.root})`);
      return signals.exitCode;
    }
    exp.close("failed");
    // the cycle's trajectories on the workers are lost; the checkpoints are the run's
    if (err instanceof WorkerProcessError)
      throw new WorkerProcessError(`${err.message}; continue the run from its last checkpoint with: lemol train --restore ${exp.runDir.root}`);
    throw err;
  } finally {
    signals.dispose();
  }
}

export { UsageError };
