/**
 * Interrupts and run-call queueing: a notebook interrupt stops a run call at a step or OM-chunk
 * boundary and the experiment then continues to exactly the numbers of an uninterrupted run.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { Experiment, ExperimentOptions, ExperimentStopped } from "../../src/train/experiment.js";
import { onKernelInterrupt, triggerInterrupt } from "../../src/notebook/interrupt.js";
import { REDUCED, tmpRun } from "../helpers/experiment.js";

const SMALL: ExperimentOptions = { ...REDUCED, n_opp_cycles: 2, traj_per_iter: 1, num_episodes: 40, seed: 9 };

function make(): Promise<Experiment> {
  return Experiment.create({ ...SMALL, run_dir: tmpRun() }, { print: null, progress: null, interrupts: onKernelInterrupt });
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
    await assert.rejects(
      () => exp.run(),
      (e: Error) => e instanceof ExperimentStopped,
    );
    offEpisode();
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
    await assert.rejects(
      () => exp.runCycle(),
      (e: Error) => e instanceof ExperimentStopped,
    );
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
});
