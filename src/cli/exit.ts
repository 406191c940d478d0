/**
 * The `lemol` command's exit codes, and which errors are which. Bad input is what lemol's own typed
 * errors say it is (ConfigError, UsageError, CheckpointError, ...), never a JavaScript built-in
 * such as RangeError: one of those is a bug, and keeps its stack and exit 1.
 */
/** Exit codes (also in `lemol --help`). */
export const EXIT = { ok: 0, failed: 1, badInput: 2, environment: 3, hangup: 129, interrupted: 130, terminated: 143 } as const;

/** Errors that are the input's fault: one line, exit 2. */
export const INPUT_ERRORS = new Set([
  "UsageError",
  "ConfigError",
  "StateError",
  "ActionError",
  "UnknownScenarioError",
  "UnknownPolicyError",
  "UnsupportedSpaceError",
  "LayoutMismatchError",
  "BackendError",
  "NpzError",
  "CheckpointError",
  "MetricsFileError",
  "PathError",
  "RunDirInUseError",
  "AnalysisError",
]);
/** Errors of the machine or its services (a full disk, an unreachable Redis, a killed worker process): one line, exit 3. */
export const ENVIRONMENT_ERRORS = new Set(["StorageError", "ServiceError", "WorkerProcessError"]);

/** An error's exit code and what lemol prints for it: one line for input and environment errors, the stack for anything else. */
export function errorReport(err: unknown): { code: number; text: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = INPUT_ERRORS.has(e.name) ? EXIT.badInput : ENVIRONMENT_ERRORS.has(e.name) ? EXIT.environment : EXIT.failed;
  return { code, text: code === EXIT.failed ? (e.stack ?? e.message) : e.message };
}
