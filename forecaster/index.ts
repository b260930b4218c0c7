// The forecaster's public entry: what the composition root, the CLI and other components may use.
export { type BacktestResult, runBacktest } from './backtest.js';
export { loadBitbrainsSeries } from './input/bitbrains.js';
export { type LoadSeries } from './input/series.js';
export { loadStoreSeries, rollupsToSeries } from './input/store.js';
export { HoltWinters } from './model/ets.js';
export { type Forecaster } from './model/forecaster.js';
export { LastWindow } from './model/last-window.js';
export { LstmForecaster } from './model/lstm/lstm.js';
export { PeakQuantile } from './model/peak-quantile.js';
export { SeasonalNaive } from './model/seasonal-naive.js';
export { predictAll, restoreModels } from './predict.js';
export { ModelCheckpoints } from './checkpoint/checkpoint.js';
export { type PredictionService } from './prediction-service.js';
export { ForecastRoutine } from './routines/forecast-routine.js';
export { predictionServiceOf } from './routines/prediction-service.js';
export { toGrid } from './input/series.js';
export { type TrainedForecast, trainForecast } from './train.js';
