/**
 * The command's output streams, safe against a reader that goes away (`lemol train ... | head`)
 * and against any other failure to write them (`> /dev/full`: ENOSPC, EIO, ...): lemol stops
 * writing to a stream that failed and carries on — a run's record is its run directory, not its
 * printed lines. Losing stdout says so once on stderr, with the reason when it was not a closed pipe.
 */
let stdoutOpen = true;
let stderrOpen = true;
let installed = false;

function closed(err: NodeJS.ErrnoException): boolean {
  return err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED" || err.code === "ECONNRESET";
}

/** Listens for closed pipes (once per process). */
export function guardOutput(): void {
  if (installed) return;
  installed = true;
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (stdoutOpen) {
      stdoutOpen = false;
      const what = closed(err) ? "was closed" : `cannot be written (${err.code ?? err.message})`;
      errorLine(`lemol: standard output ${what}; going on without printing (the run directory records everything)`);
    }
  });
  process.stderr.on("error", () => {
    stderrOpen = false;
  });
}

/** A line on stdout (nothing once it is closed). */
export function outLine(line: string): void {
  if (stdoutOpen) process.stdout.write(line + "\n");
}

/** Text on stderr, as is (progress bars; nothing once it is closed). */
export function errorText(text: string): void {
  if (stderrOpen) process.stderr.write(text);
}

/** A line on stderr. */
export function errorLine(line: string): void {
  errorText(line + "\n");
}
