// The simulator's public surface, for the CLI (`virtzone simulate`), the benchmark and
// the demo. Pure parts: stream, world, metrics, report, plot, scenario. Effects: the
// trace reader (trace-pool) and the forecaster's training (forecast).
export { simulate, prepareWorkload, tracePool, summarizeWorkload, type SimulateOptions, type SimulateProgress, type SimulationResult, type WorkloadSummary, type PreparedWorkload } from './simulate.js';
export { runPolicy, HOST_POOL, type EngineInput, type PolicyRun, type TimelineHour, type ZonePoint } from './engine.js';
export { makeScenario, withOverrides, parseMix, describeScenario, substepsOf, DEFAULT_SCENARIO, POLICIES, ScenarioError, type Scenario, type PolicyName, type ModelChoice } from './scenario.js';
export { generateWorkload, rateAt, startIndexOf, type VmSpec, type Workload } from './stream.js';
export { loadTracePool, provisionedAt, valueAt, STEP_SECONDS, WEEK_STEPS, DAY_STEPS, type TracePool, type TraceSource, type TraceVmSeries } from './trace-pool.js';
export { buildClassHistory, classSeries, type ClassHistory } from './history.js';
export { DaemonForecaster, trainedForecaster, type ClassForecaster, type TrainSummary } from './forecast.js';
export { deliver, zoneCpu, type WorldVm, type Delivered, type ZoneCpuMode } from './world.js';
export { MetricsRecorder, violated, weightedShare, slackOf, perVmDay, rate, SLO_TOLERANCE, type PolicyMetrics, type ClassMetrics } from './metrics.js';
export { policyJson, checkGoals, comparisonTable, perClassTable, goalLines, boundsTable, type GoalCheck } from './report.js';
export { renderPlot } from './plot.js';
export { loadReplaySeries, replayClock, replayHost } from './replay-host.js';
export { ratioAdmits, ratioLimits } from './policies/index.js';
export { runSweep, type SweepOptions, type SweepProgress, type SweepResult } from './sweep/run.js';
export { DEFAULT_SWEEP_GRID, gridPoints, applyKnobs, knobsLabel, type SweepGrid, type SweepPoint, type Knobs } from './sweep/grid.js';
export { paretoFrontier, dominates, type Objective } from './sweep/pareto.js';
export { dominanceSummary, shareOf, type DominanceEntry, type PredictiveMatch, type TradeOff } from './sweep/dominance.js';
export { summarizeSweep, frontiersOf, type SweepMeasure, type PolicySweep } from './sweep/frontiers.js';
export { sweepJson, frontierTable, dominanceTable } from './sweep/report.js';
export { renderSweepPlot } from './sweep/plot.js';
