/** The scenario registry: the nine MPE scenarios by their original file names. */
import type { Scenario, ScenarioName } from "../scenario.js";
import { simple } from "./simple.js";
import { simpleAdversary } from "./simple_adversary.js";
import { simpleCrypto } from "./simple_crypto.js";
import { simplePush } from "./simple_push.js";
import { simpleReference } from "./simple_reference.js";
import { simpleSpeakerListener } from "./simple_speaker_listener.js";
import { simpleSpread } from "./simple_spread.js";
import { simpleTag } from "./simple_tag.js";
import { simpleWorldComm } from "./simple_world_comm.js";

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  simple,
  simple_adversary: simpleAdversary,
  simple_crypto: simpleCrypto,
  simple_push: simplePush,
  simple_reference: simpleReference,
  simple_speaker_listener: simpleSpeakerListener,
  simple_spread: simpleSpread,
  simple_tag: simpleTag,
  simple_world_comm: simpleWorldComm,
};

/** All scenario names, in alphabetical order. */
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** Thrown for a scenario name that does not exist. */
export class UnknownScenarioError extends Error {
  constructor(name: string, why?: string) {
    super(`${why ?? `unknown scenario "${name}"`}; expected one of: ${SCENARIO_NAMES.join(", ")}`);
    this.name = "UnknownScenarioError";
  }
}

/** Looks a scenario up by name; throws {@link UnknownScenarioError} for an unknown one. */
export function getScenario(name: string): Scenario {
  if (!Object.prototype.hasOwnProperty.call(SCENARIOS, name)) throw new UnknownScenarioError(name);
  return SCENARIOS[name as ScenarioName];
}

/** Whether every agent of the scenario is movable and silent, so continuous (Box) actions work as in the original. */
export function supportsContinuous(name: ScenarioName): boolean {
  const s = SCENARIOS[name].makeWorld();
  return s.agents.every((a) => a.movable && a.silent);
}
