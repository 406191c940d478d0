/**
 * The `lemol` command's exit codes (docs/cli.md#exit-codes): only lemol's own typed input errors
 * are bad input (exit 2, one line); a JavaScript built-in thrown from inside lemol — a RangeError
 * too — is a bug: exit 1 with its stack (issue 28, lows).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXIT, errorReport } from "../../src/cli/exit.js";
import { ConfigError } from "../../src/train/config.js";
import { ServiceError } from "../../src/train/queue.js";
import { WorkerProcessError } from "../../src/train/workers.js";

describe("lemol's exit codes", () => {
  it("an internal RangeError or TypeError is exit 1 with its stack; only lemol's own errors are bad input (2) or the environment (3)", () => {
    for (const internal of [new RangeError("Rng.int: n must be an integer in [1, 2^32], got 0"), new TypeError("x is undefined")]) {
      const r = errorReport(internal);
      assert.equal(r.code, EXIT.failed, internal.name);
      assert.match(r.text, new RegExp(`^${internal.name}: .*\\n\\s+at `), "the stack is kept");
    }
    const input = errorReport(new ConfigError("the sweep file names no runs"));
    assert.deepEqual(input, { code: EXIT.badInput, text: "the sweep file names no runs" }, "one line, no stack");
    assert.equal(errorReport(new ServiceError("cannot reach Redis")).code, EXIT.environment);
    assert.equal(errorReport(new WorkerProcessError("worker process 0 was killed")).code, EXIT.environment);
    assert.equal(errorReport("a thrown string").code, EXIT.failed);
  });
});
