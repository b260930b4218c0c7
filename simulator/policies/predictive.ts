// predictive: the full system, its forecasts from the trained forecaster over the class
// history the daemon's store would hold (the last REFRESH_DAYS days of measured use).
import { classSeries } from '../history.js';
import { DAY_STEPS } from '../trace-pool.js';
import { forecastDrivenPolicy } from './forecast-driven.js';
import type { PolicySetup, ZonePolicy } from './policy.js';

/** Days of history a forecast refresh reads (the daemon's refreshDays default). */
const REFRESH_DAYS = 8;

export function predictivePolicy(setup: PolicySetup): ZonePolicy {
  const { forecaster, history, config } = setup;
  if (!forecaster) throw new Error('predictive policy: no forecaster given');
  return forecastDrivenPolicy('predictive', setup, (_ctx, t, horizons) => {
    const to = history.before + t; // steps up to t - 1 are known
    return forecaster.predict(classSeries(history, to - REFRESH_DAYS * DAY_STEPS, to), { quantile: config.partitioner.quantile, horizons });
  });
}
