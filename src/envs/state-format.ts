/**
 * The MPE state format (format_version 1 of `mpe-golden/FORMAT.md`): a complete, JSON-serialisable
 * description of a world. `loadState` builds a world from it; `saveState` writes it back.
 */

/** A reference to another entity in `scenario_state`. */
export interface EntityRefJson {
  type: "agent" | "landmark";
  index: number;
}

/** Fields shared by agents and landmarks. */
export interface EntityJson {
  name: string;
  size: number;
  movable: boolean;
  collide: boolean;
  density: number;
  initial_mass: number;
  color: number[] | null;
  max_speed: number | null;
  accel: number | null;
  p_pos: number[];
  p_vel: number[];
}

export interface AgentJson extends EntityJson {
  silent: boolean;
  blind: boolean;
  u_noise: number | null;
  c_noise: number | null;
  u_range: number;
  c: number[];
  /** Scenario-specific role flags; present only where the scenario defines them. */
  adversary?: boolean;
  leader?: boolean;
  speaker?: boolean;
  key?: number[] | null;
}

export interface LandmarkJson extends EntityJson {
  boundary?: boolean;
  index?: number;
}

export interface WorldJson {
  dim_p: number;
  dim_c: number;
  dim_color: number;
  dt: number;
  damping: number;
  contact_force: number;
  contact_margin: number;
  collaborative: boolean;
  discrete_action: boolean;
}

export interface ScenarioStateJson {
  goal_a?: (EntityRefJson | null)[];
  goal_b?: (EntityRefJson | null)[];
  food?: number[];
  forests?: number[];
  num_agents?: number;
}

/** A full world state: what `initial_state` holds in a golden file. */
export interface WorldStateJson {
  scenario: string;
  world: WorldJson;
  agents: AgentJson[];
  landmarks: LandmarkJson[];
  scenario_state: ScenarioStateJson;
}

/** One recorded step of a golden trajectory. */
export interface GoldenStepJson {
  actions: number[][];
  obs: number[][];
  rewards: number[];
  dones: boolean[];
  state?: unknown;
}

/** A golden trajectory file. */
export interface GoldenFileJson {
  format_version: number;
  scenario: string;
  discrete_action_space: boolean;
  action_mode?: string;
  policy?: string;
  seed?: number | null;
  description?: string;
  initial_state: WorldStateJson;
  initial_obs: number[][];
  steps: GoldenStepJson[];
}
