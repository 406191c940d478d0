/** simple: one agent learns to move to one landmark (mpe-spec §4.1). */
import { Scenario, agentJson, dist2, landmarkJson, roleNames, worldJson } from "../scenario.js";

const AGENT_COLOR = [0.25, 0.25, 0.25];
const LANDMARK_COLOR = [0.75, 0.25, 0.25];

export const simple: Scenario = {
  name: "simple",
  description: "one agent is rewarded for closeness (squared distance) to a landmark",
  requirements: { agentFields: [], landmarkFields: [], scenarioFields: [] },

  makeWorld() {
    return {
      scenario: "simple",
      world: worldJson(0),
      agents: [agentJson("agent 0", 0, { collide: false, silent: true })],
      landmarks: [landmarkJson("landmark 0", { collide: false })],
      scenario_state: {},
    };
  },

  reset(w, e, rng) {
    const { nAgents: nA, nEntities: nE } = w;
    for (let a = 0; a < nA; a++) w.setColor(e, a, AGENT_COLOR);
    for (let i = nA; i < nE; i++) w.setColor(e, i, LANDMARK_COLOR);
    w.zeroMotion(e);
    for (let i = 0; i < nE; i++) w.randomPosition(e, i, rng, -1, +1);
  },

  // [p_vel (2), rel(landmark) (2) each]
  obsSize: (L) => 2 + 2 * L.nLandmarks,
  observe(o, w, e, a) {
    o.vel(a);
    for (let i = w.nAgents; i < w.nEntities; i++) o.rel(i, a);
  },

  rewards(w, e, out, off) {
    for (let a = 0; a < w.nAgents; a++) out[off + a] = -dist2(w, e, a, w.nAgents);
  },

  agentNames: (L) => roleNames(L, () => "agent"),
};
