/** Runs the real `lemol` command (from source, through tsx) and captures its output. */
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO } from "./golden.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(REPO, "src/cli/main.ts"), ...args], {
    cwd: opts.cwd ?? REPO,
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.env ? { env: opts.env } : {}),
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Starts the real `lemol` command without waiting (for a test that signals or kills it): its
 * stdout and stderr collect into `output` unless `pipe` is false (then they are ignored).
 */
export function spawnCli(
  args: string[],
  opts: { cwd?: string; timeoutMs?: number; pipe?: boolean } = {},
): { child: ChildProcess; output: { stdout: string; stderr: string } } {
  const pipe = opts.pipe ?? true;
  const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "src/cli/main.ts"), ...args], {
    cwd: opts.cwd ?? REPO,
    stdio: pipe ? ["ignore", "pipe", "pipe"] : "ignore",
    ...(opts.timeoutMs ? { timeout: opts.timeoutMs } : {}),
  });
  const output = { stdout: "", stderr: "" };
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (output.stdout += d));
  child.stderr?.setEncoding("utf8").on("data", (d: string) => (output.stderr += d));
  return { child, output };
}

/** As {@link runCli}, without blocking this process (for a command that waits on something the test drives). */
export function runCliAsync(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const { child, output } = spawnCli(args, { ...opts, timeoutMs: opts.timeoutMs ?? 300_000 });
    child.on("close", (code) => resolve({ code: code ?? -1, ...output }));
  });
}

/**
 * The flags of a tiny LeMOL-sized run (seconds): batch 16, 16-unit networks, an 8-unit slow LSTM,
 * 8-step OM chunks, one OM pass, an update every 5 steps, 2 cycles. `over` sets or adds flags
 * (`true` for a switch such as `--quiet`).
 */
export function tinyRunFlags(over: Record<string, string | number | true> = {}): string[] {
  const flags: Record<string, string | number | true> = {
    batch_size: 16,
    agent_update_freq: 5,
    n_opp_cycles: 2,
    om_training_iters: 1,
    chunk_length: 8,
    num_units: 16,
    lstm_hidden_dim: 8,
    ...over,
  };
  return Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)]));
}
