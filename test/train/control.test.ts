/**
 * `--cycles_without_lemol` (issue 31's control): a defender without LeMOL plays the trajectories
 * of a LeMOL run — n_opp_cycles cycles of traj_per_iter trajectories, no OM training — each with a
 * fresh attacker whose weights and streams are those of the LeMOL run of the same seed (so the
 * study's pairing by seed holds), its own networks re-initialised and its Adam state carried over as
 * LeMOL's are (lemol-spec §2.3); without the option the original's one cycle is played.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import type { ActorCriticTrainer } from "../../src/agents/actor-critic.js";
import { ConfigError } from "../../src/train/config.js";
import { Experiment, ExperimentOptions } from "../../src/train/experiment.js";
import { tmpRun, TINY } from "../helpers/experiment.js";

const OPTS: ExperimentOptions = { ...TINY, good_policy: "maddpg", seed: 23 };
const CONTROL: ExperimentOptions = { bad_policy: "maddpg", cycles_without_lemol: true };
const LEMOL: ExperimentOptions = { bad_policy: "lemol" };

function create(options: ExperimentOptions): Promise<Experiment> {
  return Experiment.create({ ...OPTS, run_dir: tmpRun(), ...options }, { print: null });
}

const hash = (t: ActorCriticTrainer) => {
  const h = createHash("sha256");
  for (const p of t.actor.params) h.update(Buffer.from((p.dataSync() as Float32Array).buffer));
  return h.digest("hex");
};

/** What each trajectory started with and ended in, by trajectory id. */
interface Seen {
  where: string[];
  /** The attacker's actor weights as the trajectory starts (after its re-initialisation). */
  attacker: string[];
  /** The defender's actor weights and Adam step count as the trajectory starts and as it ends. */
  defenderStart: string[];
  defenderEnd: string[];
  adamStart: number[];
  adamEnd: number[];
  omChunks: number;
  cycleEnds: { cycle: number; omTrained: boolean }[];
}

async function play(options: ExperimentOptions): Promise<{ exp: Experiment; seen: Seen }> {
  const exp = await create(options);
  const seen: Seen = { where: [], attacker: [], defenderStart: [], defenderEnd: [], adamStart: [], adamEnd: [], omChunks: 0, cycleEnds: [] };
  const defender = () => exp.pairing[exp.adversary.indexOf(true)] as ActorCriticTrainer;
  const attacker = () => exp.pairing[exp.adversary.indexOf(false)] as ActorCriticTrainer;
  exp.on("trajectory_start", (e) => {
    seen.where[e.trajectory] = `cycle ${e.cycle} repeat ${e.repeat} opponent ${e.opponent}`;
    seen.attacker[e.trajectory] = hash(attacker());
    seen.defenderStart[e.trajectory] = hash(defender());
    seen.adamStart[e.trajectory] = defender().actorOptimiser.getState().step;
  });
  exp.on("trajectory_end", (e) => {
    seen.defenderEnd[e.trajectory] = hash(defender());
    seen.adamEnd[e.trajectory] = defender().actorOptimiser.getState().step;
  });
  exp.on("om_chunk", () => seen.omChunks++);
  exp.on("cycle_end", (e) => seen.cycleEnds.push(e));
  await exp.run();
  return { exp, seen };
}

/** The control's trajectories against the LeMOL run's of the same seed. */
function assertControlStructure(control: Seen, lemol: Seen): void {
  assert.equal(control.where.length, 4, "n_opp_cycles x traj_per_iter trajectories");
  assert.deepEqual(control.where, lemol.where, "the same cycles, repeats and trajectory ids as the LeMOL run");
  assert.deepEqual(control.cycleEnds, [
    { cycle: 0, omTrained: false },
    { cycle: 1, omTrained: false },
  ]);
  assert.equal(control.omChunks, 0, "no OM training");
  assert.ok(lemol.omChunks > 0);
  // the pairing by seed: each trajectory's fresh attacker is the LeMOL run's
  assert.deepEqual(control.attacker, lemol.attacker, "the attacker starts each trajectory with the weights it has in the LeMOL run");
  assert.equal(new Set(control.attacker).size, 4, "a fresh attacker per trajectory");
  // the defender: new networks each trajectory, as LeMOL's (lemol-spec §2.3) ...
  for (let k = 1; k < 4; k++)
    assert.notEqual(control.defenderStart[k], control.defenderEnd[k - 1], `trajectory ${k}: the defender's networks are re-initialised`);
  assert.equal(new Set(control.defenderStart).size, 4);
  // ... and its Adam state carried over, as LeMOL's
  assert.equal(control.adamStart[0], 0);
  for (let k = 0; k < 4; k++) assert.ok(control.adamEnd[k] > control.adamStart[k], `trajectory ${k}: the defender learns`);
}

describe("--cycles_without_lemol (a control with a LeMOL run's trajectories)", () => {
  it("is off by default: a defender without LeMOL plays the original's one cycle", async () => {
    const plain = await create({ bad_policy: "maddpg" });
    assert.equal(plain.config.cycles_without_lemol, false);
    assert.equal(plain.cycles, 1);
    assert.equal(plain.totalTrajectories, 2);
    plain.dispose();
    const control = await create(CONTROL);
    assert.equal(control.cycles, 2);
    assert.equal(control.totalTrajectories, 4);
    await assert.rejects(() => control.trainOpponentModel(), /no LeMOL agent/);
    control.dispose();
  });

  it("plays the LeMOL run's trajectories: fresh attackers paired by seed, the defender's Adam state carried over, no OM training", async () => {
    const control = await play(CONTROL);
    const lemol = await play(LEMOL);
    assertControlStructure(control.seen, lemol.seen);
    // played one after the other, each trajectory starts from the Adam state the previous one ended in
    for (let k = 1; k < 4; k++) assert.equal(control.seen.adamStart[k], control.seen.adamEnd[k - 1], `trajectory ${k}: Adam state carried over`);
    assert.equal(control.exp.phase, "done");
    assert.deepEqual(
      control.exp.metrics.rows.filter((r) => r.metric.startsWith("om_")),
      [],
      "no opponent-model metrics",
    );
    assert.deepEqual([...new Set(control.exp.metrics.rows.map((r) => r.cycle))], [0, 1]);
    control.exp.dispose();
    lemol.exp.dispose();
  });

  it("with --parallel_trajectories: the same pairing, each trajectory from its cycle's starting Adam state, and worker processes give the same run", async () => {
    const control = await play({ ...CONTROL, parallel_trajectories: true, workers: 1 });
    const lemol = await play({ ...LEMOL, parallel_trajectories: true, workers: 1 });
    assertControlStructure(control.seen, lemol.seen);
    // a cycle's trajectories start from its starting state; the next cycle from the last one's end
    assert.equal(control.seen.adamStart[1], control.seen.adamStart[0]);
    assert.equal(control.seen.adamStart[2], control.seen.adamEnd[1]);
    assert.equal(control.seen.adamStart[3], control.seen.adamStart[2]);
    const onWorkers = await create({ ...CONTROL, parallel_trajectories: true, workers: 2 });
    await onWorkers.run();
    assert.equal(onWorkers.phase, "done");
    assert.equal(fs.readFileSync(onWorkers.runDir.metricsFile, "utf8"), fs.readFileSync(control.exp.runDir.metricsFile, "utf8"));
    onWorkers.dispose();
    control.exp.dispose();
    lemol.exp.dispose();
  });

  it("is refused with the evaluation modes, which play each pairing once", async () => {
    await assert.rejects(
      () => create({ ...CONTROL, test: true, load_name: tmpRun() }),
      (e: Error) => e instanceof ConfigError && /cycles_without_lemol/.test(e.message),
    );
  });
});
