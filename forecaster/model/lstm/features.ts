// Feature windows for the LSTM, built from values[0..t] only. Every window is put on its
// own location/scale so that one network can learn across series of any size:
//   loc = mean of the last hour, scl = mean |y - loc| over the last day + 0.1 x the
//   series' M5 scale (so a flat or switched-off window does not divide by ~0).
// Targets are (peak - loc) / scl; a forecast z maps back to loc + z * scl. Because the
// loss is weighted by scl / (series M5 scale), training minimises exactly the scaled
// pinball loss (spl) the backtest reports.
import { HORIZON_STEPS } from '../../../core/model/types.js';
import { calendarAt, type HolidayCalendar } from '../../input/calendar.js';
import type { LoadSeries } from '../../input/series.js';
import { DAY_STEPS } from '../../logic/scale.js';

export const SEQ_HOURS = 48; // the recurrent input: the last 48 hours, one step per hour
export const SEQ_FEATURES = 9;
const RECENT_STEPS = 12; // the last hour at 5-minute resolution
const YESTERDAY_STEPS = 12; // the hour after the origin, one day earlier
export const HORIZON_LIST = [HORIZON_STEPS['5m'], HORIZON_STEPS['30m'], HORIZON_STEPS['24h']];
export const N_HORIZONS = HORIZON_LIST.length;
/**
 * Per horizon, the peaks simple rules would forecast ("experts" the head mixes):
 * the last window, the same window one day earlier, and the mean and the max of the
 * same window over the last 7 days.
 */
export const N_ANCHORS = 4;
const ANCHOR_DAYS = 7;
export const DENSE_FEATURES = RECENT_STEPS + YESTERDAY_STEPS + N_HORIZONS * N_ANCHORS + 1 + 1 + 2 + 6;
/** steps of history a full window needs */
export const HISTORY_STEPS = SEQ_HOURS * 12; // (the 7-day anchors use what there is)

// only guards against absurd values: the pinball loss is linear, so big targets do not blow up gradients
const Z_CLIP = 1000;

/** sign(z) log(1 + |z|): keeps spikes of 100 x scale from saturating the LSTM. */
function squash(z: number): number {
  return z >= 0 ? Math.log1p(z) : -Math.log1p(-z);
}

function clipZ(z: number): number {
  return z > Z_CLIP ? Z_CLIP : z < -Z_CLIP ? -Z_CLIP : z;
}

export interface WindowNorm {
  loc: number;
  scl: number;
}

/** Per-window location and scale (see the header). `m5` is the series' M5 scale. */
function windowNorm(values: ArrayLike<number>, t: number, m5: number): WindowNorm {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, t - RECENT_STEPS + 1); i <= t; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) {
      sum += v;
      n++;
    }
  }
  let loc = 0;
  if (n > 0) loc = sum / n;
  else {
    for (let i = t; i >= 0; i--) {
      if (!Number.isNaN(values[i])) {
        loc = values[i];
        break;
      }
    }
  }
  let dev = 0;
  let m = 0;
  for (let i = Math.max(0, t - DAY_STEPS + 1); i <= t; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) {
      dev += Math.abs(v - loc);
      m++;
    }
  }
  const scl = (m > 0 ? dev / m : 0) + 0.1 * m5 + 1e-6 * (1 + Math.abs(loc));
  return { loc, scl };
}

/** A usable M5 scale: the measured one, else a small share of the level (flat series). */
export function safeScale(m5: number, values: ArrayLike<number>, end = values.length): number {
  if (m5 > 0 && Number.isFinite(m5)) return m5;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < end; i++) {
    if (!Number.isNaN(values[i])) {
      sum += Math.abs(values[i]);
      n++;
    }
  }
  const level = n ? sum / n : 0;
  return Math.max(1e-3, 0.01 * level);
}

export interface SeriesFeatureContext {
  series: LoadSeries;
  m5: number;
  holidays: HolidayCalendar;
}

export interface WindowBatch {
  n: number;
  seq: Float32Array; // n x SEQ_HOURS x SEQ_FEATURES
  dense: Float32Array; // n x DENSE_FEATURES
  anchors: Float32Array; // n x N_HORIZONS x N_ANCHORS, z units (the head mixes them)
  norms: WindowNorm[];
}

export function allocBatch(n: number): WindowBatch {
  return {
    n,
    seq: new Float32Array(n * SEQ_HOURS * SEQ_FEATURES),
    dense: new Float32Array(n * DENSE_FEATURES),
    anchors: new Float32Array(n * N_HORIZONS * N_ANCHORS),
    norms: new Array<WindowNorm>(n),
  };
}

/** Writes the window at origin t of one series into row `row` of the batch. */
export function writeWindow(b: WindowBatch, row: number, ctx: SeriesFeatureContext, t: number): void {
  const v = ctx.series.values;
  const { start, step, resource } = ctx.series;
  const norm = windowNorm(v, t, ctx.m5);
  b.norms[row] = norm;
  const z = (x: number) => clipZ((x - norm.loc) / norm.scl);
  const at = (i: number) => (i >= 0 && i <= t ? v[i] : NaN); // never beyond the origin

  // Recurrent input: hour k (oldest first) covers steps t-12(48-k)+1 .. t-12(48-k-1).
  let o = row * SEQ_HOURS * SEQ_FEATURES;
  for (let k = 0; k < SEQ_HOURS; k++) {
    const last = t - 12 * (SEQ_HOURS - 1 - k);
    let mx = -Infinity;
    let mn = Infinity;
    let sum = 0;
    let n = 0;
    for (let i = last - 11; i <= last; i++) {
      const x = at(i);
      if (Number.isNaN(x)) continue;
      if (x > mx) mx = x;
      if (x < mn) mn = x;
      sum += x;
      n++;
    }
    const cal = calendarAt(start + last * step);
    b.seq[o++] = n ? squash(z(mx)) : 0;
    b.seq[o++] = n ? squash(z(sum / n)) : 0;
    b.seq[o++] = n ? squash(z(mn)) : 0;
    b.seq[o++] = n / 12;
    b.seq[o++] = cal.todSin;
    b.seq[o++] = cal.todCos;
    b.seq[o++] = cal.dowSin;
    b.seq[o++] = cal.dowCos;
    b.seq[o++] = ctx.holidays.isHoliday(start + last * step);
  }

  o = row * DENSE_FEATURES;
  for (let i = t - RECENT_STEPS + 1; i <= t; i++) {
    const x = at(i);
    b.dense[o++] = Number.isNaN(x) ? 0 : squash(z(x));
  }
  for (let i = t + 1 - DAY_STEPS; i <= t + YESTERDAY_STEPS - DAY_STEPS; i++) {
    const x = at(i);
    b.dense[o++] = Number.isNaN(x) ? 0 : squash(z(x));
  }
  const peak = (from: number, to: number) => {
    let mx = -Infinity;
    for (let i = from; i <= to; i++) {
      const x = at(i);
      if (!Number.isNaN(x) && x > mx) mx = x;
    }
    return mx;
  };
  HORIZON_LIST.forEach((h, j) => {
    let lw = peak(t - h + 1, t);
    if (lw === -Infinity) lw = norm.loc;
    // the same window d days earlier, for the days the history has
    let sum = 0;
    let n = 0;
    let mx = -Infinity;
    let d1 = NaN;
    for (let d = 1; d <= ANCHOR_DAYS; d++) {
      const p = peak(t + 1 - d * DAY_STEPS, Math.min(t, t + h - d * DAY_STEPS));
      if (p === -Infinity) continue;
      if (d === 1) d1 = p;
      sum += p;
      n++;
      if (p > mx) mx = p;
    }
    const a = [lw, Number.isNaN(d1) ? lw : d1, n ? sum / n : lw, n ? mx : lw];
    const base = (row * N_HORIZONS + j) * N_ANCHORS;
    for (let k = 0; k < N_ANCHORS; k++) {
      const v = z(a[k]);
      b.anchors[base + k] = v;
      b.dense[o++] = squash(v);
    }
  });
  b.dense[o++] = squash(z(0)); // where zero lies: the floor no load goes below
  b.dense[o++] = Math.max(-5, Math.min(5, Math.log(norm.scl / ctx.m5)));
  b.dense[o++] = resource === 'cpu' ? 1 : 0;
  b.dense[o++] = resource === 'memory' ? 1 : 0;
  const next = start + (t + 1) * step;
  const cal = calendarAt(next);
  b.dense[o++] = cal.todSin;
  b.dense[o++] = cal.todCos;
  b.dense[o++] = cal.dowSin;
  b.dense[o++] = cal.dowCos;
  b.dense[o++] = ctx.holidays.isHoliday(next);
  b.dense[o++] = ctx.holidays.isHoliday(next + 86400);
}

/** Normalized peak targets of origin t (NaN where a target step is unknown or beyond `end`). */
export function writeTargets(out: Float32Array, row: number, values: ArrayLike<number>, t: number, end: number, norm: WindowNorm): void {
  HORIZON_LIST.forEach((h, j) => {
    let mx = -Infinity;
    let ok = t + h < end;
    for (let i = t + 1; ok && i <= t + h; i++) {
      const x = values[i];
      if (Number.isNaN(x)) ok = false;
      else if (x > mx) mx = x;
    }
    out[row * N_HORIZONS + j] = ok ? clipZ((mx - norm.loc) / norm.scl) : NaN;
  });
}
