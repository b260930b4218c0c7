// oracle: predictive with the forecast replaced by the truth — each class's current
// members' true peak and mean demand over each horizon, confidence 1 (and, by
// configFor(), no buffer).
import { HORIZON_STEPS, type Horizon, type LoadPrediction } from '../../core/model/types.js';
import { useAt } from '../stream.js';
import { STEP_SECONDS } from '../trace-pool.js';
import { forecastDrivenPolicy } from './forecast-driven.js';
import type { PolicyContext, PolicySetup, ZonePolicy } from './policy.js';

export function oraclePolicy(setup: PolicySetup): ZonePolicy {
  return forecastDrivenPolicy('oracle', setup, (ctx, t, horizons) => oraclePredictions(setup, ctx, t, horizons));
}

/** The true future at step `t`: each class's current members' demand over each horizon. */
function oraclePredictions(setup: PolicySetup, { host }: PolicyContext, t: number, horizons: readonly Horizon[]): LoadPrediction[] {
  const { pool, workload: w, classes } = setup;
  const startUnix = pool.start + w.startIndex * STEP_SECONDS;
  const out: LoadPrediction[] = [];
  for (const cls of classes) {
    const list = host.members(host.zones.indexOf(cls));
    for (const h of horizons) {
      const steps = HORIZON_STEPS[h];
      let peakCpu = 0;
      let peakMem = 0;
      let sumCpu = 0;
      let sumMem = 0;
      for (let j = t; j < t + steps; j++) {
        let c = 0;
        let m = 0;
        for (const v of list) {
          if (j >= v.spec.endTick) continue;
          const u = useAt(pool, v.spec, w.startIndex, j);
          c += u.cpu;
          m += u.memory;
        }
        peakCpu = Math.max(peakCpu, c);
        peakMem = Math.max(peakMem, m);
        sumCpu += c;
        sumMem += m;
      }
      const origin = startUnix + (t - 1) * STEP_SECONDS;
      const mk = (resource: 'cpu' | 'memory', peak: number, avg: number): LoadPrediction => ({
        series: `class:${cls}`,
        resource,
        horizon: h,
        origin,
        peakLoad: peak,
        averageLoad: avg,
        trend: 0,
        distribution: { '0.5': peak, '0.9': peak, '0.95': peak, '0.99': peak },
        model: 'oracle',
        confidence: 1,
      });
      out.push(mk('cpu', peakCpu, sumCpu / steps), mk('memory', peakMem, sumMem / steps));
    }
  }
  return out;
}
