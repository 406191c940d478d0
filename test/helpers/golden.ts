/** Where the MPE golden trajectories are: $LEMOL_GOLDEN_DIR, the shared reference folder, or the vendored copy. */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export function goldenDir(): string {
  const candidates = [process.env.LEMOL_GOLDEN_DIR, path.resolve(REPO, "../shared/mpe-golden/public"), path.join(REPO, "test/fixtures/mpe-golden")];
  for (const c of candidates) if (c && fs.existsSync(c) && fs.readdirSync(c).some((f) => f.endsWith(".json"))) return c;
  throw new Error("no golden trajectory directory found");
}

export interface Golden {
  scenario: string;
  discrete_action_space: boolean;
  action_mode: string;
  initial_state: any;
  initial_obs: number[][];
  steps: { actions: number[][]; obs: number[][]; rewards: number[]; dones: boolean[] }[];
}

export function loadGolden(file: string): Golden {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Golden;
}

/** Every golden file, listed from the directory (never hard-coded). */
export function goldenFileList(): string[] {
  const dir = goldenDir();
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => path.join(dir, f));
}
