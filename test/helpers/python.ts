/** A python3 that can import numpy, if there is one (for cross-checks with the original's tooling). */
import { spawnSync } from "node:child_process";

let cached: string | null | undefined;

export function pythonWithNumpy(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  for (const py of [process.env.LEMOL_PYTHON, "python3", "/usr/bin/python3"]) {
    if (!py) continue;
    const r = spawnSync(py, ["-c", "import numpy"], { encoding: "utf8" });
    if (r.status === 0) {
      cached = py;
      break;
    }
  }
  return cached;
}

export function runPython(code: string): { status: number; stdout: string; stderr: string } {
  const py = pythonWithNumpy();
  if (!py) throw new Error("no python3 with numpy");
  const r = spawnSync(py, ["-c", code], { encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
