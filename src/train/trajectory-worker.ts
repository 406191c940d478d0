/**
 * A worker process of `--parallel_trajectories` (forked by {@link Experiment}): it plays the
 * trajectories of one OM cycle that the parent hands it, one at a time. For each it continues the
 * run from the cycle's starting checkpoint in a directory of its own (so every trajectory starts
 * from exactly the cycle's starting state), plays trajectory `index` of the cycle, and reports
 * back; the parent merges the metrics in schedule order. Messages:
 *
 *   parent → worker  { type: "run", runDir, checkpoint, dir, index, last, backend }
 *   worker → parent  { type: "progress", index, episode, episodes, stepsPerSecond }
 *                    { type: "done", index }   { type: "error", index, message }
 */
import { Experiment } from "./experiment.js";
import type { WorkerReply, WorkerRunMessage } from "./worker-protocol.js";

function send(m: WorkerReply): void {
  process.send?.(m);
}

async function run(m: WorkerRunMessage): Promise<void> {
  const exp = await Experiment.restore(
    m.runDir,
    { checkpoint: m.checkpoint, detached: m.dir, backend: m.backend },
    { print: null, progress: null, interrupts: null },
  );
  let last = 0;
  exp.on("progress", (p) => {
    const now = Date.now();
    if (now - last < 200 && p.episode < p.episodes) return;
    last = now;
    send({ type: "progress", index: m.index, episode: p.episode, episodes: p.episodes, stepsPerSecond: p.stepsPerSecond });
  });
  await exp.playTrajectoryOfCycle(m.index);
  if (m.last) exp.checkpoint("end");
  exp.close();
  exp.dispose();
}

// the parent going away (killed, or stopping the cycle) ends the worker
process.on("disconnect", () => process.exit(0));
let queue = Promise.resolve();
process.on("message", (m: WorkerRunMessage) => {
  queue = queue.then(async () => {
    try {
      await run(m);
      send({ type: "done", index: m.index });
    } catch (err) {
      send({ type: "error", index: m.index, message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  });
});
