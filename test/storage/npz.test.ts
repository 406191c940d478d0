// NPZ experience files: our writer, our reader, numpy's view of them, and bad files.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { ExperienceRecorder, EXPERIENCE_KEYS } from "../../src/storage/experience.js";
import { decodeNpz, encodeNpz, loadNpz, NpzError, saveNpz } from "../../src/storage/npz.js";
import { pythonWithNumpy, runPython } from "../helpers/python.js";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "lemol-npz-"));

function recorded(rows: number): ExperienceRecorder {
  const r = new ExperienceRecorder(8, 5, 5);
  for (let t = 0; t < rows; t++) {
    const v = (k: number, n: number) => Array.from({ length: n }, (_, j) => t * 100 + k * 10 + j + 0.25);
    r.add(v(1, 8), v(2, 5), -t / 7, t % 25 === 24, v(3, 5), v(4, 5), v(5, 5), v(6, 5));
  }
  return r;
}

describe("npz experience files", () => {
  it("round-trip the original's eight keys with their shapes", () => {
    const file = path.join(tmp(), "0.npz");
    saveNpz(file, recorded(60).arrays());
    const z = loadNpz(file);
    assert.deepEqual(Object.keys(z), [...EXPERIENCE_KEYS]);
    assert.deepEqual(z.observations.shape, [60, 8]);
    assert.deepEqual(z.rewards.shape, [60]);
    assert.deepEqual(z.terminals.shape, [60]);
    assert.equal(z.observations.data[8 * 3 + 2], 312.25);
    assert.equal(z.rewards.data[7], -1);
    assert.deepEqual(
      Array.from(z.terminals.data)
        .map((x, i) => (x ? i : -1))
        .filter((i) => i >= 0),
      [24, 49],
    );
  });

  it("are read by numpy.load with float64 arrays of the right shapes", { skip: pythonWithNumpy() ? false : "no python3 with numpy on this machine" }, () => {
    const file = path.join(tmp(), "0.npz");
    saveNpz(file, recorded(50).arrays());
    const r = runPython(`
import numpy as np, json
d = np.load(${JSON.stringify(file)})
print(json.dumps({k: [list(d[k].shape), str(d[k].dtype)] for k in d.files}))
print(repr(float(d['om_predictions'][3, 2])), int(d['terminals'].sum()))
`);
    assert.equal(r.status, 0, r.stderr);
    const [shapes, check] = r.stdout.trim().split("\n");
    assert.deepEqual(JSON.parse(shapes), {
      observations: [[50, 8], "float64"],
      actions: [[50, 5], "float64"],
      rewards: [[50], "float64"],
      terminals: [[50], "float64"],
      opponent_actions: [[50, 5], "float64"],
      om_predictions: [[50, 5], "float64"],
      policy: [[50, 5], "float64"],
      opponent_policy: [[50, 5], "float64"],
    });
    assert.equal(check, "342.25 2");
  });

  it("read numpy's own (compressed) archives", { skip: pythonWithNumpy() ? false : "no python3 with numpy on this machine" }, () => {
    const file = path.join(tmp(), "np.npz");
    const r = runPython(
      `import numpy as np; np.savez_compressed(${JSON.stringify(file)}, a=np.arange(6, dtype=np.float32).reshape(2, 3), b=np.array([3, -4], dtype=np.int64))`,
    );
    assert.equal(r.status, 0, r.stderr);
    const z = loadNpz(file);
    assert.deepEqual(z.a.shape, [2, 3]);
    assert.deepEqual(Array.from(z.a.data), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(Array.from(z.b.data), [3, -4]);
  });

  it("reject missing, truncated and corrupted files with a message naming the file", () => {
    const dir = tmp();
    assert.throws(
      () => loadNpz(path.join(dir, "none.npz")),
      (e: Error) => e instanceof NpzError && /none\.npz: cannot read \(ENOENT\)/.test(e.message),
    );
    const bytes = encodeNpz(recorded(10).arrays());
    assert.throws(() => decodeNpz(bytes.subarray(0, bytes.length - 30), "cut.npz"), /cut\.npz: not a zip archive/);
    const flipped = Uint8Array.from(bytes);
    flipped[200] ^= 0xff;
    assert.throws(() => decodeNpz(flipped, "bad.npz"), /bad\.npz: entry observations\.npy fails its checksum/);
    assert.throws(() => decodeNpz(new Uint8Array(100), "zeros.npz"), /not a zip archive/);
  });
});
