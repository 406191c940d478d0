// Backend choice: tfjs-node if loadable, else wasm, else cpu; forced by option or LEMOL_BACKEND.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { REPO } from "../helpers/golden.js";
import { backendInfo, initBackend } from "../../src/nn/backend.js";

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
  it("uses wasm by default here (tfjs-node cannot be installed) and says why it skipped tfjs-node", async () => {
    const info = await initBackend();
    assert.equal(backendInfo(), info);
    if (info.name === "wasm") {
      assert.equal(info.wasmSimd, true);
      assert.equal(info.skipped[0]?.name, "tensorflow");
      assert.match(info.skipped[0].reason, /tfjs-node is not loadable/);
    }
    assert.equal(await initBackend(), info, "chosen once");
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
