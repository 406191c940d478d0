/** The learners: one Learner interface; MADDPG, DDPG and M3DDPG; LeMOL and its opponent model; PPO; the policy registry. */
export { updatePaths, updatePathsLine } from "./learner.js";
export type { Learner, LearnerEvents, LearnerSink, LearnerStats, StepContext, StepEnd, Transition } from "./learner.js";
export { POLICIES, POLICY_NAMES, MADDPG_FAMILY, createLearner, createTrainers, checkPolicy, UnknownPolicyError } from "./policies.js";
export type { LearnerOf, LearnerSetup, PolicyName, TrainerSetup } from "./policies.js";
export { MADDPG_OPTIONS, MADDPG_FLAGS } from "./maddpg-config.js";
export { LEMOL_OPTIONS } from "./lemol/flags.js";
export type { LeMOLKeyedOptions, LeMOLOptionValues } from "./lemol/flags.js";
export { PPO_OPTIONS, PPO_FLAGS } from "./ppo/config.js";
export { randomAction } from "./random.js";
export type { RandomDiscreteKind } from "./random.js";
export { ActorCriticTrainer, MADDPG_DEFAULTS } from "./actor-critic.js";
export {
  ACTOR_REGULARISATION,
  MADDPG_MATHS,
  tdTarget,
  criticLoss,
  actorLoss,
  checkFusedMaths,
  fusedConstants,
  standardiseRewards,
  argmaxOneHot,
  categoricalBlocks,
} from "./maddpg-maths.js";
export type { ActorCriticMaths, CriticLoss, ActorLoss, UpdatePath } from "./maddpg-maths.js";
export { FusedMADDPGUpdate } from "./maddpg-fused.js";
export type { MADDPGConfig, UpdateStats, TrainerOptions, PolicyPartner, Partner } from "./actor-critic.js";
export { MADDPGAgentTrainer, worstCaseActions, actAll } from "./maddpg.js";
export type { MADDPGVariant, MADDPGTrainerOptions } from "./maddpg.js";
export { LeMOLAgentTrainer, argmax, xentHead, xentInit } from "./lemol/agent.js";
export type { LeMOLOptions, LeMOLTrainerOptions, InPlayWindow } from "./lemol/agent.js";
export { OpponentModel } from "./lemol/opponent-model.js";
export { BehaviourCloningBaseline } from "./lemol/bc-baseline.js";
export type { Revision, OpponentModelOptions, OMChunk, ChunkState, ChunkResult, InEpisodeState } from "./lemol/opponent-model.js";
export { readTrajectory, chunkPlan, trainOpponentModelPass, OMTrainingPass } from "./lemol/om-training.js";
export type { OMTrainingOptions, TrajectoryData } from "./lemol/om-training.js";
export { EpisodeSummariser } from "./lemol/episode-summariser.js";
export { crossEntropyLoss } from "./lemol/om-loss.js";
export type { OMLoss } from "./lemol/om-loss.js";
export { tripletLoss, drawTripletIndices, tripletWeight } from "./lemol/triplet.js";
export type { TripletOptions, TripletIndices } from "./lemol/triplet.js";
export { PPOAgentTrainer, PPO_DEFAULTS, PPOBuffer, gaeAdvantages, discountedCumsum, clippedSurrogate } from "./ppo/agent.js";
export type { PPOConfig, PPOStats, PPOTrainerOptions } from "./ppo/agent.js";
