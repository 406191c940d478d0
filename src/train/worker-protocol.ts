/**
 * The messages between an experiment and its parallel-trajectory worker processes
 * (`workers.ts` forks `trajectory-worker.ts`):
 *
 *   parent → worker  { type: "run", runDir, checkpoint, dir, index, last, backend }
 *   worker → parent  { type: "progress", index, episode, episodes, stepsPerSecond }
 *                    { type: "done", index }   { type: "error", index, message }
 */

export interface WorkerRunMessage {
  type: "run";
  runDir: string;
  checkpoint: string;
  dir: string;
  index: number;
  /** The cycle's last trajectory: its end state is checkpointed (`end`) for the parent to adopt. */
  last: boolean;
  backend: string;
}

export type WorkerReply =
  | { type: "progress"; index: number; episode: number; episodes: number; stepsPerSecond: number }
  | { type: "done"; index: number }
  | { type: "error"; index: number; message: string };
