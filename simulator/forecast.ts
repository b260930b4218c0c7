// Where the predictive policy's forecasts come from, behind one small interface so the
// model can change without the engine noticing. The implementation runs the daemon's
// own forecaster: trainForecast() (the nightly training: models fitted on all but the
// last week of the history, conformally calibrated and selected on that week) and
// predictAll() (the refresh: calibrated quantiles of the peak at the latest origin).
// 'baselines' trains seasonal_naive, last_window and ETS (about a second); 'lstm' adds
// the LSTM, and selection keeps it where it wins on the validation week.
import type { Horizon, LoadPrediction } from '../core/model/types.js';
import { predictAll, trainForecast, type Forecaster, type LoadSeries, type TrainedForecast } from '../forecaster/index.js';
import type { ModelChoice } from './scenario.js';

export interface TrainSummary {
  seconds: number;
  /** series|resource -> horizon -> the model selection chose */
  selected: Record<string, Record<string, string>>;
}

/** Trains on class series once, then predicts from any later history. */
export interface ClassForecaster {
  readonly name: string;
  train(history: readonly LoadSeries[]): Promise<TrainSummary>;
  /** predictions at the last known step of each series */
  predict(recent: readonly LoadSeries[], opts: { quantile: number; horizons: readonly Horizon[] }): LoadPrediction[];
}

export class DaemonForecaster implements ClassForecaster {
  private trained?: TrainedForecast;
  private models?: Map<string, Forecaster>;

  constructor(
    readonly name: ModelChoice,
    private readonly epochs = 8,
  ) {}

  async train(history: readonly LoadSeries[]): Promise<TrainSummary> {
    const r = await trainForecast(history, { lstm: this.name === 'lstm' ? { epochs: this.epochs } : false });
    this.trained = r.trained;
    this.models = r.models;
    const selected: TrainSummary['selected'] = {};
    for (const [key, cal] of Object.entries(r.trained.series)) {
      selected[key] = Object.fromEntries(Object.entries(cal.horizons).map(([h, c]) => [h, c.selected]));
    }
    return { seconds: r.trained.seconds, selected };
  }

  predict(recent: readonly LoadSeries[], opts: { quantile: number; horizons: readonly Horizon[] }): LoadPrediction[] {
    if (!this.models) throw new Error('forecaster: predict() before train()');
    return predictAll(this.trained, this.models, recent, { quantile: opts.quantile, horizons: opts.horizons });
  }
}

/**
 * Trained forecasters by (model, epochs, history): `--policy all` and the demo train once
 * per history, not once per policy run.
 */
const cache = new Map<string, Promise<{ forecaster: ClassForecaster; summary: TrainSummary }>>();

export function trainedForecaster(model: ModelChoice, epochs: number, history: readonly LoadSeries[]): Promise<{ forecaster: ClassForecaster; summary: TrainSummary }> {
  const key = `${model}|${epochs}|${historyKey(history)}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = (async () => {
      const f = new DaemonForecaster(model, epochs);
      return { forecaster: f, summary: await f.train(history) };
    })();
    hit.catch(() => cache.delete(key));
    cache.set(key, hit);
  }
  return hit;
}

/** A cheap fingerprint of the history: names, starts, lengths and a checksum of the values. */
function historyKey(history: readonly LoadSeries[]): string {
  let h = 0;
  for (const s of history) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i];
      h = (Math.imul(h, 31) + (Number.isNaN(v) ? 7 : Math.round(v * 1000))) | 0;
    }
  }
  return `${history.map((s) => `${s.series}/${s.resource}/${s.start}/${s.values.length}`).join(',')}#${h}`;
}
