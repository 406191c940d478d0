/**
 * Soak: a LeMOL vs MADDPG experiment of 4 trajectories × 5,200 episodes (520,000 env steps, about
 * 20,000 updates per agent, two opponent-model trainings), sampling `tf.memory().numTensors`,
 * the tfjs byte count and the process RSS as it goes. Writes bench/results/soak.json with the
 * series and their growth after warm-up.
 */
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import { Experiment } from "../src/train/experiment.js";
import { tf } from "../src/nn/backend.js";
import { machine, writeResult } from "./common.js";

interface Sample {
  seconds: number;
  trajectory: number;
  episode: number;
  steps: number;
  updates: number;
  tensors: number;
  tfBytes: number;
  rssMiB: number;
  heapMiB: number;
}

export async function benchSoak(): Promise<string> {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-soak-"));
  const options = {
    bad_policy: "lemol",
    good_policy: "maddpg",
    seed: 3,
    num_episodes: 5200,
    batch_size: 256,
    agent_update_freq: 25,
    n_opp_cycles: 2,
    traj_per_iter: 2,
    om_training_iters: 1,
    num_traj_to_train: 4,
    save_rate: 1000,
    run_dir: path.join(runDir, "run"),
  };
  const exp = await Experiment.create(options, { print: null });
  const samples: Sample[] = [];
  let steps = 0;
  let updates = 0;
  const t0 = Date.now();
  const sample = (trajectory: number, episode: number) => {
    const m = process.memoryUsage();
    samples.push({
      seconds: (Date.now() - t0) / 1000,
      trajectory,
      episode,
      steps,
      updates,
      tensors: tf.memory().numTensors,
      tfBytes: tf.memory().numBytes,
      rssMiB: m.rss / 2 ** 20,
      heapMiB: m.heapUsed / 2 ** 20,
    });
  };
  const explore = options.batch_size * 25;
  exp.on("episode_end", (e) => {
    steps += e.length;
    // both agents update every agent_update_freq steps once past exploration
    const before = e.trainStep - e.length + 1;
    for (let t = Math.max(before, explore); t <= e.trainStep; t++) if (t % options.agent_update_freq === 0) updates += 2;
    if ((e.episode + 1) % 400 === 0) sample(e.trajectory, e.episode + 1);
  });
  sample(0, 0);
  await exp.run();
  sample(exp.trajectoriesStarted, 0);
  exp.dispose();
  fs.rmSync(runDir, { recursive: true, force: true });

  const warm = samples.find((s) => s.steps >= 100_000) ?? samples[1];
  const last = samples[samples.length - 1];
  // steady state: the second cycle's play, after the first OM training has reached its high-water mark
  const cycleSteps = options.traj_per_iter * options.num_episodes * 25;
  const second = samples.filter((s) => s.steps > cycleSteps && s.steps < 2 * cycleSteps);
  const growth = (a: Sample, b: Sample) => ({
    from_steps: a.steps,
    to_steps: b.steps,
    tensors: b.tensors - a.tensors,
    tf_bytes: b.tfBytes - a.tfBytes,
    rss_mib: +(b.rssMiB - a.rssMiB).toFixed(1),
    heap_mib: +(b.heapMiB - a.heapMiB).toFixed(1),
  });
  const result = {
    machine: machine(),
    node: process.version,
    backend: `${exp.backend.name} / ${exp.backend.kernels}`,
    options,
    totals: { env_steps: steps, agent_updates: updates, om_chunks: exp.lemol?.om.iterations ?? null, seconds: (Date.now() - t0) / 1000 },
    // RSS includes the wasm heap, which grows to its high-water mark (the first OM training's
    // batches) and never shrinks; a leak shows as growth within the steady state
    growth_after_warmup: growth(warm, last),
    growth_in_steady_state: second.length > 1 ? growth(second[0], second[second.length - 1]) : null,
    peak_rss_mib: +Math.max(...samples.map((s) => s.rssMiB)).toFixed(1),
    samples,
  };
  console.log(
    `soak: ${steps} env steps, ${updates} updates, ${result.totals.seconds.toFixed(0)} s; growth after ${warm.steps} steps: tensors ${result.growth_after_warmup.tensors}, RSS ${result.growth_after_warmup.rss_mib} MiB; in the second cycle: RSS ${result.growth_in_steady_state?.rss_mib} MiB`,
  );
  return writeResult("soak", result);
}
