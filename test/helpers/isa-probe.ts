/** Child process for the ISA test: a small experiment's metrics hash and the GEMM variant used. */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { Experiment } from "../../src/train/experiment.js";
import { nativeStatus } from "../../src/nn/native-kernels.js";
import { REDUCED, tmpRun } from "./experiment.js";

const exp = await Experiment.create({ ...REDUCED, num_episodes: 40, n_opp_cycles: 2, traj_per_iter: 1, run_dir: tmpRun() }, { print: null });
await exp.run();
const hash = createHash("sha256").update(fs.readFileSync(exp.runDir.metricsFile)).digest("hex");
console.log(JSON.stringify({ isa: nativeStatus().isa, hash, rows: exp.metrics.length }));
