/** `lemol conformance <dir>`: replays every golden trajectory file of a directory against our MPE. */
import * as fs from "node:fs";
import { DEFAULT_TOLERANCE, checkGoldenFile, describeMismatch, goldenFiles } from "../envs/conformance.js";
import { OptionSpec, UsageError, formatHelp, parseArgs } from "./args.js";

const SPECS: Record<string, OptionSpec> = {
  tolerance: { type: "number", default: DEFAULT_TOLERANCE, min: 0, help: "absolute tolerance for observations and rewards" },
  help: { type: "boolean", default: false, help: "show this help" },
};

/** Prints one line per failing file, then `N passed, M failed`; returns 1 if any failed. */
export function conformance(argv: readonly string[], out: (line: string) => void): number {
  const { options, positionals } = parseArgs(argv, SPECS, 1);
  if (options.help) {
    out(formatHelp("lemol conformance <dir> [options]", "Checks every *.json golden trajectory in <dir> (format of mpe-golden/FORMAT.md).", SPECS));
    return 0;
  }
  const dir = positionals[0];
  if (!dir) throw new UsageError("missing the directory of golden files: lemol conformance <dir>");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`not a directory: ${dir}`);
  const files = goldenFiles(dir);
  if (files.length === 0) throw new UsageError(`no .json files in ${dir}`);
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const r = checkGoldenFile(file, options.tolerance as number);
    if (r.passed) passed++;
    else {
      failed++;
      out(describeMismatch(r));
    }
  }
  out(`${passed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
