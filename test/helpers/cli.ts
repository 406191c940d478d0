/** Runs the real `lemol` command (from source, through tsx) and captures its output. */
import { spawnSync } from "node:child_process";
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
