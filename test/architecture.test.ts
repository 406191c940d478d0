// The shape of the house (docs/design.md): imports point down the layers, and no module imports
// itself back through others (type-only imports count: a type cycle is still a knot to untie).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { describe, it } from "node:test";
import { REPO } from "./helpers/golden.js";

const SRC = path.join(REPO, "src");
const NATIVE = path.join(SRC, "nn", "native");

/** What each top-level part of src/ may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  util: [],
  envs: ["util"],
  nn: ["util", "envs"],
  storage: ["util", "nn"],
  agents: ["util", "envs", "nn", "storage"],
  train: ["util", "envs", "nn", "storage", "agents"],
  analysis: ["util", "envs", "nn", "storage", "agents", "train"],
  notebook: ["util", "envs", "nn", "storage", "agents", "train", "analysis"],
  cli: ["util", "envs", "nn", "storage", "agents", "train", "analysis"],
  index: ["util", "envs", "nn", "storage", "agents", "train", "analysis", "notebook"],
};

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of every source file (static, type-only, re-exports, dynamic), as files. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const pattern = /(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(pattern)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith(".")) deps.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
    }
    graph.set(file, deps);
  }
  return graph;
}

const part = (file: string) => path.relative(SRC, file).split(path.sep)[0].replace(/\.ts$/, "");
const rel = (file: string) => path.relative(REPO, file);

describe("architecture", () => {
  const graph = importGraph();

  it("reads every source file's imports (the graph is not empty)", () => {
    assert.ok(graph.size > 50);
    assert.ok([...graph.values()].flat().length > 200);
  });

  it("has imports that point down the layers: envs and nn know no agents, agents no experiment, training no front end", () => {
    const wrong: string[] = [];
    for (const [file, deps] of graph) {
      const from = part(file);
      assert.ok(from in ALLOWED, `${rel(file)}: src/${from} is not a known part of the layering (add it to ALLOWED)`);
      for (const d of deps) {
        const to = part(d);
        if (to !== from && !ALLOWED[from].includes(to)) wrong.push(`${rel(file)} imports ${rel(d)} (${from} -> ${to})`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("has small modules: no TypeScript file under src/ over 600 lines", () => {
    const long = sources(SRC)
      .map((f) => [rel(f), fs.readFileSync(f, "utf8").split("\n").length] as const)
      .filter(([, n]) => n > 600);
    assert.deepEqual(long, [], "split these (docs/design.md says where each part lives)");
  });

  it("has no import cycles", () => {
    // Tarjan's strongly connected components
    let counter = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!graph.has(w)) continue;
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(rel(w));
        } while (w !== v);
        if (scc.length > 1) cycles.push(scc.sort());
      }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    assert.deepEqual(cycles, []);
  });
});

describe("the experiment's objects (src/train)", () => {
  const TRAIN = path.join(SRC, "train");
  const train = sources(TRAIN);
  const graph = importGraph();
  const code = (f: string) => fs.readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");

  it("hands one Run value down: no exported *Host, *Parts or *Context bag of the experiment's fields and callbacks", () => {
    const bags = train.flatMap((f) =>
      [...code(f).matchAll(/export\s+(?:interface|type|class)\s+(\w*(?:Host|Parts|Context))\b/g)].map((m) => `${rel(f)}: ${m[1]}`),
    );
    assert.deepEqual(bags, [], "pass the Run (src/train/run.ts) instead");
    assert.match(code(path.join(TRAIN, "run.ts")), /export class Run\b/);
  });

  it("has no abstract class (a base class of abstract fields splits a file, not an object)", () => {
    const abstract = train.filter((f) => /\babstract\s+class\b/.test(code(f))).map(rel);
    assert.deepEqual(abstract, []);
  });

  it("calls down: Experiment -> CycleRunner -> TrajectoryPlayer -> PlayLoop, none importing one above it", () => {
    const chain = ["experiment.ts", "cycle-runner.ts", "trajectory-player.ts", "loop.ts"].map((f) => path.join(TRAIN, f));
    const up: string[] = [];
    chain.forEach((f, i) => {
      const deps = graph.get(f);
      assert.ok(deps, `${rel(f)} is missing`);
      for (const above of chain.slice(0, i)) if (deps.includes(above)) up.push(`${rel(f)} imports ${rel(above)}`);
      // and each holds the one below it
      if (i < chain.length - 1) assert.ok(deps.includes(chain[i + 1]), `${rel(f)} does not use ${rel(chain[i + 1])}`);
    });
    assert.deepEqual(up, []);
  });
});

describe("the public API", () => {
  const SUBPATHS = ["envs", "nn", "storage", "agents", "train", "analysis", "notebook"];

  it("is grouped by concern in the package's exports map, and `lemol` exports every group (the built package)", async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { exports: Record<string, unknown> };
    assert.deepEqual(Object.keys(pkg.exports).sort(), [".", ...SUBPATHS.map((s) => `./${s}`), "./package.json"].sort());
    // by the package's own name, as a notebook or a project that installed lemol imports it
    const main = (await import("lemol")) as Record<string, unknown>;
    for (const s of SUBPATHS) {
      const group = (await import(`lemol/${s}`)) as Record<string, unknown>;
      const names = Object.keys(group);
      assert.ok(names.length > 5, `lemol/${s} exports ${names.length} names`);
      for (const n of names) assert.equal(main[n], group[n], `lemol exports lemol/${s}'s ${n}`);
    }
    for (const n of ["Experiment", "MultiAgentEnv", "plot", "LeMOLAgentTrainer", "PlayLoop", "ReplayBuffer", "initBackend", "Rng"]) assert.ok(n in main, n);
  });
});

describe("the algorithms' maths and the native layer", () => {
  const read = (p: string) => fs.readFileSync(path.join(REPO, p), "utf8");
  const agents = sources(path.join(SRC, "agents"));

  it("MADDPG's maths is one module, imported by both update paths (tfjs: actor-critic.ts; fused: maddpg-fused.ts)", () => {
    for (const f of ["src/agents/actor-critic.ts", "src/agents/maddpg-fused.ts"]) assert.match(read(f), /from "\.\/maddpg-maths\.js"/, f);
    // the fused path takes the losses' constants from the module, not restated
    const code = (f: string) => read(f).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const fused = code("src/agents/maddpg-fused.ts");
    assert.doesNotMatch(fused, /ACTOR_REGULARISATION|[-\d]\s*\/\s*\(?B\b/, "maddpg-fused.ts restates a loss constant (use fusedConstants)");
    const steps = code("src/agents/actor-critic.ts");
    for (const fn of ["tdTarget", "criticLoss", "actorLoss"]) assert.match(steps, new RegExp(`this\\.maths\\.${fn}\\(`), `actor-critic.ts calls maths.${fn}`);
    assert.doesNotMatch(steps, /tf\.square\(tdError|\b2 \/ B|-1 \/ B|ACTOR_REGULARISATION/, "actor-critic.ts computes a loss itself");
  });

  it("src/agents and src/train make no `as unknown as` casts (types that agree by construction, not by hand)", () => {
    const files = [...agents, ...sources(path.join(SRC, "train"))];
    const casts = files.filter((f) => /as unknown as/.test(fs.readFileSync(f, "utf8"))).map(rel);
    assert.deepEqual(casts, []);
  });

  it("draws an update's noise in one place: only drawUpdateNoise (actor-critic.ts) calls noiseArray", () => {
    const code = (f: string) => fs.readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const calls = agents.flatMap((f) => [...code(f).matchAll(/\bnoiseArray\(/g)].map(() => rel(f)));
    // its definition and drawUpdateNoise's two draws (target actions, the actor's sample)
    assert.deepEqual(calls, ["src/agents/actor-critic.ts", "src/agents/actor-critic.ts", "src/agents/actor-critic.ts"]);
    const body = code(path.join(SRC, "agents", "actor-critic.ts"));
    const draw = body.slice(body.indexOf("drawUpdateNoise(agents: readonly Partner[]): UpdateNoise {"));
    assert.ok(draw.length > 0 && /noiseArray\(/.test(draw.slice(0, draw.indexOf("\n  }\n"))), "drawUpdateNoise draws the noise");
  });

  it("has one learner factory: only agents/policies.ts (createLearner) constructs learners", () => {
    const built = sources(SRC)
      .filter((f) => /new (MADDPGAgentTrainer|LeMOLAgentTrainer|PPOAgentTrainer)\(/.test(fs.readFileSync(f, "utf8")))
      .map(rel);
    assert.deepEqual(built, ["src/agents/policies.ts"]);
  });

  it("has one one-hot rule: only envs/one-hot.ts decides from the env which actions are one-hot", () => {
    const code = (f: string) => fs.readFileSync(f, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    const files = ["agents", "train", "notebook", "cli", "analysis"].flatMap((p) => sources(path.join(SRC, p)));
    const own = files.filter((f) => /\.forceDiscreteAction\b|layout\.(movable|silent)\b|discrete_actions \|\|/.test(code(f))).map(rel);
    assert.deepEqual(own, [], "use oneHotRule (src/envs/one-hot.ts)");
  });

  it("keeps C++ files under a size cap and lines under 160 characters (one file per kernel family, clang-formatted)", () => {
    const CAP = 450;
    const over: string[] = [];
    for (const f of fs.readdirSync(NATIVE).filter((n) => /\.(cc|h)$/.test(n))) {
      const lines = fs.readFileSync(path.join(NATIVE, f), "utf8").split("\n");
      if (lines.length > CAP) over.push(`${f}: ${lines.length} lines`);
      lines.forEach((l, i) => l.length > 160 && over.push(`${f}:${i + 1}: ${l.length} characters`));
    }
    assert.deepEqual(over, []);
    assert.ok(fs.readdirSync(NATIVE).filter((n) => n.endsWith(".cc")).length >= 8, "one file per kernel family");
  });

  it("has C++ headers that compile on their own (kernels.h, gemm_tiles.h, elementwise.h)", (t) => {
    const nodeInclude = [path.join(path.dirname(process.execPath), "..", "include", "node"), "/usr/include/node"].find((d) =>
      fs.existsSync(path.join(d, "node_api.h")),
    );
    const cxx = spawnSync("c++", ["--version"]);
    if (!nodeInclude || cxx.status !== 0) {
      if (process.env.LEMOL_EXPECT_NATIVE === "1") assert.fail("LEMOL_EXPECT_NATIVE=1 but no C++ compiler or Node headers to check the headers with");
      t.skip("no C++ compiler or Node headers");
      return;
    }
    for (const h of ["kernels.h", "gemm_tiles.h", "elementwise.h"]) {
      const r: SpawnSyncReturns<string> = spawnSync(
        "c++",
        ["-std=c++17", "-fsyntax-only", "-Wno-pragma-once-outside-header", `-I${nodeInclude}`, "-x", "c++", path.join(NATIVE, h)],
        {
          encoding: "utf8",
        },
      );
      assert.equal(r.status, 0, `${h} does not compile on its own:\n${r.stderr}`);
    }
  });
});
