/**
 * Statistics across seeds (issue 31): runs grouped by condition and seed, the interquartile mean,
 * stratified bootstrap confidence intervals, paired per-seed differences, the probability of
 * improvement, and curves with intervals. Above the training layer (it reads run directories and
 * sweeps), below the notebook's plots and the CLI's `lemol stats`.
 */
export {
  sampleStd,
  interquartileMean,
  aggregate,
  bootstrapDistribution,
  percentileInterval,
  bootstrapInterval,
  probabilityOfImprovement,
  probabilityOfImprovementInterval,
  pairedDifferences,
} from "./stats.js";
export type { Aggregate, BootstrapOptions, Interval, PairedDifferences } from "./stats.js";
export {
  AnalysisError,
  BOOKKEEPING_OPTIONS,
  loadRuns,
  variedOptions,
  conditionNamer,
  groupByCondition,
  partitionByMetric,
  selectRows,
  runValue,
  runCurve,
} from "./runs.js";
export type { SeedRun, RunInput, ConditionKey, SelectOptions, CurveAxis } from "./runs.js";
export { conditionStrata, summarizeConditions, pairedComparison, conditionCurves } from "./compare.js";
export type { ConditionOptions, ConditionSummary, PairedComparison, CurvePoint, ConditionCurve } from "./compare.js";
export { studentTCdf, studentTQuantile, regularizedIncompleteBeta, smallestDetectableDifference, decide } from "./power.js";
export type { PowerOptions, Verdict } from "./power.js";
export { STUDY_PLAN, STUDY_BASELINES, STUDY_BC_BASELINES, studyRunOf, analyseStudy, loadStudyData } from "./study.js";
export type { StudyCycle, StudyRun, StudyTest, StudyCondition, StudyAnalysis, StudyData } from "./study.js";
