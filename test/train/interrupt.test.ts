/**
 * Interrupts and run-call queueing: a notebook interrupt stops a run call at a step or OM-chunk
 * boundary, the call resolves with what it had done (so the notebook cell keeps its declarations),
 * and the experiment then continues to exactly the numbers of an uninterrupted run. requestStop()
 * rejects instead.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Experiment, ExperimentOptions, ExperimentStopped } from "../../src/train/experiment.js";
import { AsyncLocalStorage } from "node:async_hooks";
import { CELL_CONTEXT, EXECUTING_CELL, INTERRUPTED_CELL, LEMOL_KERNEL, onKernelInterrupt, triggerInterrupt } from "../../src/notebook/interrupt.js";
import { REDUCED, tmpRun } from "../helpers/experiment.js";
import type { InterruptSource } from "../../src/train/hooks.js";

const SMALL: ExperimentOptions = { ...REDUCED, n_opp_cycles: 2, traj_per_iter: 1, num_episodes: 40, seed: 9 };

function make(): Promise<Experiment> {
  return Experiment.create({ ...SMALL, run_dir: tmpRun() }, { print: null, progress: null, interrupts: onKernelInterrupt });
}

/** Collects console.log lines until stop() (the one line an interrupted call prints). */
function captureLog(): { lines: string[]; stop(): string[] } {
  const lines: string[] = [];
  const real = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  return {
    lines,
    stop() {
      console.log = real;
      return lines;
    },
  };
}

function metricsText(exp: Experiment): string {
  exp.metrics.flush();
  return fs.readFileSync(exp.runDir.metricsFile, "utf8");
}

describe("interrupting run calls", () => {
  it("stops at a step boundary and, resumed, matches an uninterrupted run byte for byte (play and OM training)", async () => {
    const whole = await make();
    await whole.run();

    const exp = await make();
    // interrupt mid-trajectory
    let episodes = 0;
    const offEpisode = exp.on("episode_end", () => {
      if (++episodes === 7) triggerInterrupt();
    });
    const printed = captureLog();
    assert.equal(await exp.run(), undefined, "an interrupted call resolves");
    offEpisode();
    assert.deepEqual(printed.stop(), [
      "run stopped at cycle 0 (of 2), trajectory 0 (of 2, lemol_vs_maddpg), episode 7/40, step 175; the experiment is consistent: call again to continue",
    ]);
    assert.deepEqual(exp.lastCall, { call: "run", outcome: "stopped", message: printed.lines[0] });
    assert.equal(exp.episodesCompleted, 7, "stopped right after the 7th episode");
    assert.equal(exp.busy, false);
    assert.equal(exp.trajectoryInProgress, true);

    // interrupt in the middle of an opponent-model training pass
    let chunks = 0;
    let stoppedAt = -1;
    const offChunk = exp.on("om_chunk", (c) => {
      if (++chunks === 3) {
        stoppedAt = c.chunk;
        triggerInterrupt();
      }
    });
    const passes = await exp.runCycle();
    assert.equal(passes, undefined);
    offChunk();
    assert.equal(exp.phase, "om_training", "stopped inside the cycle's OM training");
    assert.equal(stoppedAt, 2);
    let resumedAt = -1;
    const offResume = exp.on("om_chunk", (c) => {
      if (resumedAt < 0) resumedAt = c.chunk;
    });
    await exp.run();
    offResume();
    assert.equal(resumedAt, 3, "the pass continued where it stopped, not from its start");
    assert.equal(exp.phase, "done");
    assert.equal(metricsText(exp), metricsText(whole));
    whole.dispose();
    exp.dispose();
  });

  it("ignores interrupts and stop requests while idle", async () => {
    const exp = await make();
    triggerInterrupt();
    exp.requestStop();
    const rewards = await exp.runEpisode();
    assert.equal(rewards.length, 2);
    assert.equal(exp.episodesCompleted, 1);
    exp.dispose();
  });

  it("queues run calls made without awaiting, and refuses step() while one is under way", async () => {
    const exp = await make();
    const first = exp.runEpisode();
    const second = exp.runEpisode();
    assert.throws(() => exp.step(), /still under way/);
    assert.equal(exp.busy, true);
    const [a, b] = await Promise.all([first, second]);
    assert.notDeepEqual(a, b);
    assert.equal(exp.episodesCompleted, 2);
    assert.equal(exp.busy, false);
    exp.step();
    assert.equal(exp.episodeStep, 1);
    exp.dispose();
  });

  it("keeps the experiment usable after a failing call", async () => {
    const exp = await make();
    await assert.rejects(() => exp.trainOpponentModel(), /the cycle still has trajectories to play/);
    assert.equal(exp.busy, false);
    await exp.runEpisode();
    assert.equal(exp.episodesCompleted, 1);
    exp.dispose();
  });

  it("refuses later run calls in the interrupted scope (a notebook cell) by resolving them at once, and tells the source where the call stopped", async () => {
    let cell = "A";
    const handlers = new Set<() => void>();
    const told: string[] = [];
    const source: InterruptSource = Object.assign(
      (fn: () => void) => {
        handlers.add(fn);
        return () => void handlers.delete(fn);
      },
      { scope: () => cell, stopped: (message: string) => void told.push(message) },
    );
    const exp = await Experiment.create({ ...SMALL, run_dir: tmpRun() }, { print: null, progress: null, interrupts: source });
    exp.step();
    // the interrupt arrives once the call listens, before its first step (it yields first)
    const interruptSoon = setImmediate(() => {
      for (const h of handlers) h();
    });
    const partial = await exp.runEpisode();
    clearImmediate(interruptSoon);
    const steps = exp.episodeStep;
    assert.deepEqual([steps, exp.episodesCompleted], [1, 0], "stopped at the first step boundary");
    assert.equal(partial.length, 2, "the episode's rewards so far, per agent");
    assert.equal(told.length, 1);
    assert.match(
      told[0],
      /^runEpisode stopped at cycle 0 \(of 2\), trajectory 0 \(of 2, lemol_vs_maddpg\), episode 0\/40, step 1; the experiment is consistent/,
    );
    // later calls in the cell (a second call, a loop) resolve at once without running: the cell ends normally
    const info = await exp.runTrajectory();
    assert.equal(exp.lastCall?.outcome, "refused");
    assert.match(exp.lastCall?.message ?? "", /^runTrajectory not started: this cell was interrupted$/);
    assert.equal(info.pair, "lemol_vs_maddpg", "what the experiment holds: the trajectory under way");
    for (let i = 0; i < 3; i++) await exp.runEpisode();
    assert.equal(exp.lastCall?.outcome, "refused");
    assert.equal(exp.episodeStep, steps, "the refused calls did nothing");
    assert.equal(told.length, 1, "refused calls print nothing more");
    cell = "B";
    await exp.runEpisode();
    assert.equal(exp.episodesCompleted, 1);
    assert.equal(exp.lastCall?.outcome, "done");
    exp.dispose();
  });

  it("rejects with ExperimentStopped when code asks for the stop (requestStop)", async () => {
    const exp = await make();
    const off = exp.on("episode_end", (e) => {
      if (e.episode === 1) exp.requestStop();
    });
    await assert.rejects(
      () => exp.runTrajectory(),
      (e: Error) => e instanceof ExperimentStopped,
    );
    off();
    assert.equal(exp.lastCall?.outcome, "stopped");
    assert.equal(exp.episodesCompleted, 2);
    exp.dispose();
  });
});

describe("the kernel's SIGINT inside tslab", () => {
  it("is taken from tslab while a run call listens, given back after, and handed to tslab on a second interrupt", () => {
    const g = globalThis as { __tslab__?: unknown };
    const hadTslab = "__tslab__" in g;
    g.__tslab__ = {};
    let tslabInterrupts = 0;
    const tslab = () => void tslabInterrupts++;
    process.on("SIGINT", tslab);
    try {
      let ours = 0;
      const off = onKernelInterrupt(() => void ours++);
      assert.ok(!process.listeners("SIGINT").includes(tslab), "tslab's listener is set aside while lemol listens");
      process.emit("SIGINT", "SIGINT");
      assert.deepEqual([ours, tslabInterrupts], [1, 0], "the first interrupt is lemol's");
      process.emit("SIGINT", "SIGINT");
      assert.deepEqual([ours, tslabInterrupts], [1, 1], "a second one before the call stopped goes to tslab");
      assert.ok(process.listeners("SIGINT").includes(tslab));
      off();
      assert.equal(process.listeners("SIGINT").filter((l) => l === tslab).length, 1, "given back once");
      const off2 = onKernelInterrupt(() => void ours++);
      assert.ok(!process.listeners("SIGINT").includes(tslab));
      off2();
      assert.ok(process.listeners("SIGINT").includes(tslab), "given back when the call ends");
    } finally {
      process.removeListener("SIGINT", tslab);
      if (!hadTslab) delete g.__tslab__;
    }
  });
});

describe("an interrupt while no run call listens", () => {
  it("marks the cell it came in (tslab fails that cell): the run calls its code still makes are refused, also while a later cell runs", async () => {
    const g = globalThis as Record<string | symbol, unknown>;
    const hadTslab = "__tslab__" in g;
    g.__tslab__ = {};
    const cells = new AsyncLocalStorage<object>();
    g[CELL_CONTEXT] = cells; // as lemol's kernel does
    g[LEMOL_KERNEL] = true;
    let tslabInterrupts = 0;
    const tslab = () => void tslabInterrupts++;
    process.on("SIGINT", tslab);
    onKernelInterrupt(() => {})(); // lemol listens to SIGINT from its import inside a kernel
    const exp = await make();
    try {
      const cellA = {};
      const cellB = {};
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      // cell A awaits something that is not a run call (a create, a timer) when the interrupt comes
      const leftover = cells.run(cellA, async () => {
        await gate;
        for (let i = 0; i < 3; i++) await exp.runEpisode();
        return exp.lastCall?.outcome;
      });
      // the signal's listener runs outside every cell's context: the kernel says which cell executes
      g[EXECUTING_CELL] = cellA;
      process.emit("SIGINT", "SIGINT");
      g[EXECUTING_CELL] = cellB;
      assert.equal(tslabInterrupts, 1, "tslab fails the cell, as before");
      // cell B (the next cell) runs before A's leftover code goes on: its calls run
      await cells.run(cellB, () => exp.runEpisode());
      assert.deepEqual([exp.lastCall?.outcome, exp.episodesCompleted], ["done", 1]);
      release();
      assert.equal(await leftover, "refused", "the interrupted cell's loop ended at once");
      assert.equal(exp.episodesCompleted, 1, "nothing ran for it");
      // told once, for cell A (the kernel makes it the cell's Interrupted error when the cell is still running)
      assert.deepEqual(g[INTERRUPTED_CELL], { cell: cellA, message: "runEpisode not started: this cell was interrupted" });
      g[INTERRUPTED_CELL] = undefined;
      await cells.run(cellB, () => exp.runEpisode());
      assert.deepEqual([exp.lastCall?.outcome, exp.episodesCompleted], ["done", 2], "cell B is not affected");
      assert.equal(g[INTERRUPTED_CELL], undefined, "nothing told for cell B");
    } finally {
      exp.dispose();
      process.removeListener("SIGINT", tslab);
      delete g[CELL_CONTEXT];
      delete g[EXECUTING_CELL];
      delete g[LEMOL_KERNEL];
      delete g[INTERRUPTED_CELL];
      if (!hadTslab) delete g.__tslab__;
    }
  });
});
