// Backend choice by measurement: lemol's native kernels on wasm where built (unless this machine's
// benchmark found tfjs-node faster), else tfjs-node if loadable, else wasm, else cpu; forced by
// option or LEMOL_BACKEND.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { REPO } from "../helpers/golden.js";
import { autoOrder, backendInfo, initBackend, measuredHere } from "../../src/nn/backend.js";
import { nativeAvailable } from "../../src/nn/native-kernels.js";

function probe(
  env: Record<string, string>,
  code = "const i = await initBackend(); console.log(JSON.stringify(i));",
): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `import { initBackend } from "${REPO}/src/nn/backend.ts"; ${code}`], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe("backend choice", () => {
  it("uses wasm by default here: with the native kernels first (tfjs-node not even tried), without them after tfjs-node", async () => {
    const info = await initBackend();
    assert.equal(backendInfo(), info);
    assert.equal(info.name, "wasm");
    assert.equal(info.wasmSimd, true);
    if (nativeAvailable()) {
      assert.match(info.kernels, /^native/);
      assert.deepEqual(info.skipped, []);
    } else {
      assert.equal(info.skipped[0]?.name, "tensorflow");
      assert.match(info.skipped[0].reason, /tfjs-node is not loadable/);
    }
    assert.equal(await initBackend(), info, "chosen once");
  });

  it("orders backends by measurement: native kernels first unless this machine measured tfjs-node faster", () => {
    assert.deepEqual(autoOrder(true, null), ["wasm", "tensorflow", "cpu"]);
    assert.deepEqual(autoOrder(true, { native: 6.2, node: 9.5 }), ["wasm", "tensorflow", "cpu"]);
    assert.deepEqual(autoOrder(true, { native: 6.2, node: 4.1 }), ["tensorflow", "wasm", "cpu"]);
    assert.deepEqual(autoOrder(true, { native: 6.2 }), ["wasm", "tensorflow", "cpu"], "tfjs-node never measured");
    assert.deepEqual(autoOrder(false, { native: 6.2, node: 9.5 }), ["tensorflow", "wasm", "cpu"], "no native kernels built");
    // the benchmark's file counts only when it was measured on a machine like this one
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lemol-backend-"));
    const file = path.join(dir, "train.json");
    const rows = [
      { backend: "wasm", kernels: "native", name: "update_round_ms", value: 6.2 },
      { backend: "tensorflow", kernels: "composite", name: "update_round_ms", value: 4.1 },
    ];
    fs.writeFileSync(file, JSON.stringify({ machine: { cpu: os.cpus()[0].model, cores: os.cpus().length }, rows }));
    assert.deepEqual(measuredHere(file), { native: 6.2, node: 4.1 });
    fs.writeFileSync(file, JSON.stringify({ machine: { cpu: "another CPU", cores: os.cpus().length }, rows }));
    assert.equal(measuredHere(file), null);
    assert.equal(measuredHere(path.join(dir, "missing.json")), null);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("honours LEMOL_BACKEND=cpu and rejects an unknown name", () => {
    const cpu = probe({ LEMOL_BACKEND: "cpu" });
    assert.equal(cpu.code, 0, cpu.err);
    const info = JSON.parse(cpu.out);
    assert.deepEqual([info.name, info.requested], ["cpu", "LEMOL_BACKEND=cpu"]);
    const bad = probe({ LEMOL_BACKEND: "gpu" }, "try { await initBackend(); } catch (e) { console.log(e.message); }");
    assert.match(bad.out, /unknown backend "gpu" \(LEMOL_BACKEND\); expected node, wasm or cpu/);
  });

  it("fails clearly when a forced backend is unavailable, instead of falling back", () => {
    const r = probe({ LEMOL_BACKEND: "" }, "try { await initBackend('node'); } catch (e) { console.log(e.name + ': ' + e.message); }");
    assert.match(r.out, /BackendError: no usable tfjs backend: tensorflow: @tensorflow\/tfjs-node is not loadable/);
  });
});
