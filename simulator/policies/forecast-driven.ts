// The zone policies driven by a forecast (predictive, oracle): the zones are
// re-partitioned with partition() from the predictions every --repartition-hours, the
// predictions are refreshed every forecast.refreshMinutes, the auto-scaler runs every
// tick, and a request is admitted into zones by router.admission (at its app's profile
// when the router has one) with the configured overflow policy when nothing has room,
// moved by the forecast's expected growth. The two differ only in where predictions
// come from.
import { type Horizon, type LoadPrediction } from '../../core/model/types.js';
import { partition } from '../../partitioner/index.js';
import { overflowPolicy, placementConfigOf } from '../../router/index.js';
import { placeInZones } from '../placement.js';
import { streamRng } from '../random.js';
import { STEP_SECONDS } from '../trace-pool.js';
import type { PolicyContext, PolicySetup, ZonePolicy } from './policy.js';

/** Predictions for step `t` over `horizons` (origin: the end of step t − 1). */
export type Predict = (ctx: PolicyContext, t: number, horizons: readonly Horizon[]) => LoadPrediction[];

export function forecastDrivenPolicy(name: 'predictive' | 'oracle', setup: PolicySetup, predict: Predict): ZonePolicy {
  const { scenario: s, config } = setup;
  const repartitionTicks = Math.max(1, Math.round((s.repartitionHours * 3600) / STEP_SECONDS));
  const refreshTicks = Math.max(1, Math.round((config.forecast.refreshMinutes * 60) / STEP_SECONDS));
  // the plan's horizon, and the 30 minutes the router's expected growth looks ahead
  const horizons: Horizon[] = [...new Set<Horizon>([config.partitioner.horizon, '30m'])];
  const overflow = overflowPolicy(config.overflow.policy, { threshold: config.overflow.threshold, exponent: config.overflow.exponent }, streamRng(s.seed, 'overflow'));
  let predictions: LoadPrediction[] = [];

  const repartition = ({ host }: PolicyContext): number => {
    host.plan = partition(predictions, host.capacity, config, { vms: host.vmViews() });
    return host.setAllocations(Object.fromEntries(host.plan.zones.map((z) => [z.name, z.allocation])));
  };

  const placementConfig = placementConfigOf(config);
  const appProfiles = setup.appProfiles ?? new Map();

  return {
    name,
    zoned: true,
    autoscales: config.autoscaler.enabled,
    start(ctx) {
      predictions = predict(ctx, 0, horizons);
      repartition(ctx); // the start's sizing is not a resize
    },
    membersChanged: () => {},
    beforeStep(ctx, tick) {
      if (tick === 0) return;
      if (tick % repartitionTicks === 0 || tick % refreshTicks === 0) predictions = predict(ctx, tick, horizons);
      if (tick % repartitionTicks === 0) ctx.countZoneResizes(repartition(ctx));
    },
    // by router.admission, a request of an app the router has a profile of charged at it,
    // and the overflow policy moved by the forecast's expected growth
    decide: ({ host }, spec) => placeInZones(host, spec, { config: placementConfig, useRatioQuantile: config.router.useRatioQuantile, overflow, appProfiles, predictions }),
  };
}
