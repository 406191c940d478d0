/**
 * Scores an opponent model on one experience file under two schedules of its learning feature
 * (shared by om-schedule.ts and om-schedule-heldout.ts):
 *
 *   every step   the slow LSTM advanced over each event before the next prediction — the alignment
 *                the per-step model is trained with (lemol-spec §4.4 table, HEAD: LF after e_{t−1})
 *   every F      advanced over the last F events once every F steps — the schedule LeMOL plays
 *                with (§4.2 "Period structure in play")
 *
 * beside the file's recorded in-play predictions, persistence, and (when the model has them) the
 * offline behaviour-cloning baselines on o_t and on [o_t ‖ a_{t−1}], all on the steps after
 * exploration.
 */
import { argmax } from "../../src/agents/lemol/in-play.js";
import type { OpponentModel } from "../../src/agents/lemol/opponent-model.js";
import { readTrajectory } from "../../src/agents/lemol/om-training.js";
import { loadNpz } from "../../src/storage/npz.js";

export interface ScheduleScores {
  steps_scored: number;
  lf_every_step: number;
  lf_every_period: number;
  recorded_in_play: number | null;
  persistence: number;
  bc_on_observation: number | null;
  bc_on_observation_previous_action: number | null;
}

const round = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);

/** The scores of `om` on `file` after `explorationSteps`, with its learning feature advanced every step and every `F`. */
export function scheduleScores(om: OpponentModel, file: string, explorationSteps: number, F: number): ScheduleScores {
  const d = readTrajectory(file, om, false);
  const recorded = loadNpz(file).om_predictions?.data ?? null;
  const X = explorationSteps;
  const E = om.eventSize,
    O = om.obsSize,
    P = om.oppActionSize;
  if (d.rows <= X + 1) throw new Error(`${file}: ${d.rows} steps, none after the ${X} of exploration`);
  const at = (a: Float32Array | Float64Array, t: number) => argmax(a.subarray(t * P, (t + 1) * P), P);
  const events = Float64Array.from(d.events);
  const m = new Float64Array(P);
  const scheduled = (every: number): number => {
    const h = new Float64Array(om.hidden),
      c = new Float64Array(om.hidden);
    let useInit = true,
      hits = 0;
    for (let t = X; t < d.rows; t++) {
      if (t > X && (t - X) % every === 0) {
        om.advance(events.subarray((t - every) * E, t * E), every, h, c, useInit);
        useInit = false;
      }
      om.predict(d.obs.subarray(t * O, (t + 1) * O), h, useInit, m);
      hits += argmax(m, P) === at(d.targets, t) ? 1 : 0;
    }
    return hits / (d.rows - X);
  };
  const rate = (fn: (t: number) => boolean, from: number) => {
    let hits = 0;
    for (let t = from; t < d.rows; t++) hits += fn(t) ? 1 : 0;
    return hits / (d.rows - from);
  };
  const bc = om.baseline;
  if (bc) bc.syncPlain();
  const obsAt = (t: number) => d.obs.subarray(t * O, (t + 1) * O);
  return {
    steps_scored: d.rows - X,
    lf_every_step: round(scheduled(1))!,
    lf_every_period: round(scheduled(F))!,
    recorded_in_play: recorded ? round(rate((t) => at(recorded, t) === at(d.targets, t), X)) : null,
    persistence: round(rate((t) => at(d.targets, t) === at(d.targets, t - 1), X + 1))!,
    bc_on_observation: bc ? round(rate((t) => bc.predict(obsAt(t)) === at(d.targets, t), X)) : null,
    bc_on_observation_previous_action: bc
      ? round(rate((t) => bc.predictWithPrevious(obsAt(t), t > 0 ? at(d.targets, t - 1) : -1) === at(d.targets, t), X))
      : null,
  };
}
