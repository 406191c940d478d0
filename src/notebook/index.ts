/** The notebook layer: rich display, plots, tables, animations and live progress for tslab. */
import "./install.js";
export { display, DisplayHandle, inNotebook, setDisplaySink, escapeHtml, scriptSafe } from "./display.js";
export type { MimeBundle, DisplaySink } from "./display.js";
export { Figure, plotlyInit, resetPlotlyInit, plotlySource, renderPng, saveFigure, chromiumPath, CHROMIUM_ARGS } from "./plotly.js";
export type { PlotlyFlavor, Trace, Layout as PlotLayout } from "./plotly.js";
export { plot, learningCurves, omAccuracy, omTraining, losses, qValues, metric, compare, PALETTE } from "./plots.js";
export type { PlotOptions, CurveOptions, AccuracyOptions, TrainingPlotOptions, CompareOptions } from "./plots.js";
export { isSeedRuns, seedRunsOf } from "./seeds.js";
export { studyTests } from "./study.js";
export type { StudyTestsOptions } from "./study.js";
export type { SeedRuns, SeedBandOptions, PairedPlotOptions } from "./seeds.js";
export { loadSweep, plotSweep } from "./sweep.js";
export type { SweepTable, SweepPlotOptions } from "./sweep.js";
export { loadLearningBenchmark, learningSummary, plotLearningBenchmark, bandTraces, loadThirdPartyBenchmark, thirdPartyCurves } from "./learning.js";
export type {
  LearningBenchmark,
  LearningRun,
  LearningSummaryRow,
  LearningPlotOptions,
  CurveGroup,
  ThirdPartyBenchmark,
  ThirdPartyLearningRun,
} from "./learning.js";
export { show, summarise, tableText, tableHtml, RunSummary } from "./tables.js";
export type { ShowOptions, SummaryOptions } from "./tables.js";
export { animate, recordEpisode, Episode } from "./animate.js";
export type { EpisodePolicy, RecordOptions } from "./animate.js";
export { LiveProgress, formatDuration } from "./progress.js";
export type { LiveProgressOptions } from "./progress.js";
export { onKernelInterrupt, triggerInterrupt } from "./interrupt.js";
export { setStaticImages } from "./static-image.js";
export { showFullStacks } from "./errors.js";
export { metricsOf, rollingMean, quantile, EpisodeAxis } from "./source.js";
export type { MetricsSource } from "./source.js";
export { sizedOptions, NOTEBOOK_SIZES, LEMOL_SIZES } from "./size.js";
export type { NotebookSize } from "./size.js";
