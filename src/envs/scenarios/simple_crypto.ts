/**
 * simple_crypto (covert communication): Alice (speaker) sends the goal encrypted with a key Bob
 * shares; Eve (adversary) listens without the key (mpe-spec §4.3). Nothing moves.
 */
import { Scenario, agentJson, landmarkJson, roleNames, unsetRefs, worldJson } from "../scenario.js";
import type { World } from "../world.js";

/** The agent whose key everybody's observation reads (`world.agents[2]` in the original). */
const KEY_AGENT = 2;

/** Whether agent a's comm state is exactly all zeros ("not answering"). */
function isSilent(w: World, e: number, a: number): boolean {
  const o = w.agt(e, a) * w.dimC;
  for (let d = 0; d < w.dimC; d++) if (w.comm[o + d] !== 0) return false;
  return true;
}

/**
 * Writes agent a's reward to out[k]. Eve: -|c_Eve - goal colour|². Alice and Bob: -|c_Bob - goal
 * colour|² + |c_Eve - goal colour|². An all-zero comm ("not answering") is skipped. The squared
 * errors are summed inline (left to right, as numpy) so that no double crosses a call.
 */
function reward(w: World, e: number, a: number, out: Float64Array, k: number): void {
  const L = w.layout;
  const dc = w.dimC;
  const g = w.ent(e, w.goalA[w.agt(e, a)]) * w.colorWidth;
  let goodRew = 0;
  let advRew = 0;
  for (let b = 0; b < w.nAgents; b++) {
    const scored = L.adversary[a] ? b === a : L.adversary[b] || !L.speaker[b];
    if (!scored || isSilent(w, e, b)) continue;
    const cb = w.agt(e, b) * dc;
    let err = 0;
    for (let d = 0; d < dc; d++) {
      const x = w.comm[cb + d] - w.color[g + d];
      err += x * x;
    }
    if (L.adversary[b]) advRew += err;
    else goodRew -= err;
  }
  out[k] = L.adversary[a] ? 0 - advRew : advRew + goodRew;
}

const ADVERSARY_COLOR = [0.75, 0.25, 0.25];
const AGENT_COLOR = [0.25, 0.25, 0.25];

export const simpleCrypto: Scenario = {
  name: "simple_crypto",
  description: "a speaker encodes the goal with a key shared with a listener; an eavesdropper tries to decode it",
  requirements: {
    agentFields: ["adversary", "speaker", "key"],
    landmarkFields: [],
    scenarioFields: ["goal_a"],
    check(L, w, e) {
      if (L.nAgents <= KEY_AGENT) return `needs at least ${KEY_AGENT + 1} agents (agent ${KEY_AGENT} holds the key)`;
      for (let a = 0; a < L.nAgents; a++) {
        const g = w.goalA[w.agt(e, a)];
        if (g < 0) return `agent ${a} needs goal_a`;
        if (w.colorLen[w.ent(e, g)] !== L.dimC) return `the colour of agent ${a}'s goal must have length dim_c = ${L.dimC}`;
      }
      const kl = w.keyLen[w.agt(e, KEY_AGENT)];
      if (kl !== 0 && kl !== L.dimC) return `agent ${KEY_AGENT}'s key must have length dim_c = ${L.dimC}`;
      return null;
    },
  },

  makeWorld() {
    const dimC = 4;
    return {
      scenario: "simple_crypto",
      world: worldJson(dimC),
      agents: Array.from({ length: 3 }, (_, i) =>
        agentJson(`agent ${i}`, dimC, { collide: false, adversary: i < 1, speaker: i === 2, movable: false, key: null }),
      ),
      landmarks: Array.from({ length: 2 }, (_, i) => landmarkJson(`landmark ${i}`, { collide: false })),
      scenario_state: { goal_a: unsetRefs(3) },
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE, dimC } = w;
    const L = w.layout;
    for (let a = 0; a < nA; a++) {
      w.setColor(e, a, L.adversary[a] ? ADVERSARY_COLOR : AGENT_COLOR);
      w.keyLen[w.agt(e, a)] = 0;
    }
    // landmark i's colour is the one-hot e_i of length dim_c
    for (let j = 0; j < nE - nA; j++) {
      w.zeroColor(e, nA + j, dimC);
      w.shiftColor(e, nA + j, j, 1);
    }
    const goal = nA + rng.int(nE - nA);
    w.copyColor(e, 1, goal);
    const keyLandmark = w.ent(e, nA + rng.int(nE - nA));
    const k = w.agt(e, KEY_AGENT);
    for (let d = 0; d < dimC; d++) w.key[k * w.colorWidth + d] = w.color[keyLandmark * w.colorWidth + d];
    w.keyLen[k] = w.colorLen[keyLandmark];
    for (let a = 0; a < nA; a++) w.goalA[w.agt(e, a)] = goal;
    w.zeroMotion(e);
    for (let i = 0; i < nE; i++) w.randomPosition(e, i, rng, -1, +1);
  },

  // speaker: [goal colour (dim_c), key (dim_c)]; listener: [key (dim_c), speakers' c]; eavesdropper: [speakers' c]
  obsSize(L, a) {
    let speakers = 0;
    for (let b = 0; b < L.nAgents; b++) if (b !== a && L.speaker[b]) speakers++;
    if (L.speaker[a]) return 2 * L.dimC;
    return (L.adversary[a] ? 0 : L.dimC) + speakers * L.dimC;
  },
  observe(o, w, e, a) {
    const L = w.layout;
    const hasKey = w.keyLen[w.agt(e, KEY_AGENT)] !== 0;
    if (L.speaker[a]) {
      if (hasKey) o.color(w.goalA[w.agt(e, a)], L.dimC);
      else o.zeros(L.dimC);
      o.key(KEY_AGENT, L.dimC);
      return;
    }
    if (!L.adversary[a]) o.key(KEY_AGENT, L.dimC);
    for (let b = 0; b < w.nAgents; b++) if (b !== a && L.speaker[b]) o.comm(b);
  },

  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) reward(w, e, a, out, off + a);
  },

  benchmark(w, e, a) {
    const c = Array.from(w.comm.subarray(w.agt(e, a) * w.dimC, (w.agt(e, a) + 1) * w.dimC));
    const g = w.ent(e, w.goalA[w.agt(e, a)]);
    const goalColor = Array.from(w.color.subarray(g * w.colorWidth, g * w.colorWidth + w.colorLen[g]));
    return { c, goal_color: goalColor };
  },

  agentNames: (L) => roleNames(L, (a) => (L.adversary[a] ? "eve" : L.speaker[a] ? "alice" : "bob")),
};
