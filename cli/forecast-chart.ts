// The chart of `virtzone forecast`: the last day of a series and its forecast band, drawn
// with asciichart in at most 78 columns.
//
//   - history: 48 columns of 30 minutes, each the peak of the 5-minute means in it (the
//     forecast predicts peaks of 5-minute means, so the two are comparable);
//   - forecast: from "now" on, the median, the 0.95 and the 0.99 quantile of the peak over
//     each horizon (5 min, 30 min, 24 h), as steps. The forecast axis is not to scale: the
//     24 h horizon gets 12 columns, the 5 min horizon 3, so that all three stay visible.
//
// asciichart draws one series from column 0 with no gaps, so each piece (a run of known
// history, each quantile line) is plotted on its own with the same min/max/height and the
// pieces are overlaid on one grid. Distinct line styles keep the band readable without
// colour: median ─, 0.95 ╌, 0.99 ·.
import asciichart from 'asciichart';
import type { Horizon } from '../core/model/types.js';

export const HISTORY_COLUMNS = 48;
export const HISTORY_COLUMN_SECONDS = 1800;
const SEGMENTS: ReadonlyArray<[Horizon, number]> = [
  ['5m', 3],
  ['30m', 6],
  ['24h', 12],
];
const LABEL_WIDTH = 9;

export interface BandPoint {
  q50: number;
  q95: number;
  q99: number;
}

export interface ChartInput {
  /** e.g. 'CPU, cores' */
  title: string;
  /** decimals of the y labels */
  digits: number;
  /** 5-minute values (NaN = unknown) */
  history: ReadonlyArray<{ ts: number; value: number }>;
  /** unix seconds of the last history bucket / the forecast origin */
  origin: number;
  /** the forecast per horizon; absent = history only */
  band?: Partial<Record<Horizon, BandPoint>>;
  height?: number;
  color?: boolean;
}

/** The peak of the known 5-minute values in each 30-minute column of the day before `origin`. */
export function historyColumns(history: ChartInput['history'], origin: number): number[] {
  const t0 = origin + 300 - HISTORY_COLUMNS * HISTORY_COLUMN_SECONDS;
  const cols = new Array<number>(HISTORY_COLUMNS).fill(NaN);
  for (const { ts, value } of history) {
    if (!Number.isFinite(value)) continue;
    const i = Math.floor((ts - t0) / HISTORY_COLUMN_SECONDS);
    if (i < 0 || i >= HISTORY_COLUMNS) continue;
    cols[i] = Number.isNaN(cols[i]) ? value : Math.max(cols[i], value);
  }
  return cols;
}

interface Piece {
  start: number;
  values: number[];
  symbols?: string[];
  color?: string;
}

const Q95_SYMBOLS = ['┼', '┤', '╶', '╴', '╌', '╰', '╭', '╮', '╯', '╎'];
const Q99_SYMBOLS = ['┼', '┤', '╶', '╴', '·', '·', '·', '·', '·', '·'];

export function renderForecastChart(input: ChartInput): string {
  const height = input.height ?? 10;
  const hist = historyColumns(input.history, input.origin);
  const band = input.band && SEGMENTS.every(([h]) => input.band![h]) ? (input.band as Record<Horizon, BandPoint>) : undefined;
  const pieces: Piece[] = [];
  // runs of known history
  for (let i = 0; i < hist.length; ) {
    if (Number.isNaN(hist[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < hist.length && !Number.isNaN(hist[j + 1])) j++;
    pieces.push({ start: i, values: hist.slice(i, j + 1) });
    i = j + 1;
  }
  const lastKnown = hist[HISTORY_COLUMNS - 1];
  if (band) {
    const line = (q: keyof BandPoint) => {
      const from = Number.isNaN(lastKnown) ? band['5m'][q] : lastKnown;
      return [from, ...SEGMENTS.flatMap(([h, n]) => new Array<number>(n).fill(band[h][q]))];
    };
    const c = input.color;
    // drawn in this order: the median ends up on top where lines meet
    pieces.push({ start: HISTORY_COLUMNS - 1, values: line('q99'), symbols: Q99_SYMBOLS, color: c ? asciichart.red : undefined });
    pieces.push({ start: HISTORY_COLUMNS - 1, values: line('q95'), symbols: Q95_SYMBOLS, color: c ? asciichart.yellow : undefined });
    pieces.push({ start: HISTORY_COLUMNS - 1, values: line('q50'), color: c ? asciichart.cyan : undefined });
  }
  const width = band ? HISTORY_COLUMNS - 1 + SEGMENTS.reduce((s, [, n]) => s + n, 0) : HISTORY_COLUMNS - 1;
  const all = pieces.flatMap((p) => p.values).filter(Number.isFinite);
  const out: string[] = [input.title];
  if (all.length === 0) {
    out.push('  (no data in the last day)');
    return out.join('\n') + '\n';
  }
  const axis = niceAxis(Math.min(...all), Math.max(...all), height);
  const { min, max } = axis;
  const format = (x: number) => x.toFixed(input.digits).padStart(LABEL_WIDTH).slice(-LABEL_WIDTH);
  const cfg = { min, max, height: axis.rows, offset: 2, format };
  const range = max - min;
  const ratio = axis.rows / range;
  const min2 = Math.round(min * ratio);
  const rows = Math.abs(Math.round(max * ratio) - min2);
  const grid: string[][] = Array.from({ length: rows + 1 }, () => new Array<string>(width).fill(' '));
  for (const p of pieces) {
    if (p.values.length === 1) {
      // a lone known column: a dot where asciichart would draw nothing
      const r = rows - (Math.round(p.values[0] * ratio) - min2);
      if (p.start < width) grid[r][p.start] = paint('•', p.color);
      continue;
    }
    const lines = asciichart.plot(p.values, { ...cfg, ...(p.symbols ? { symbols: p.symbols } : {}) }).split('\n');
    lines.forEach((line, r) => {
      const cells = [...line].slice(LABEL_WIDTH + 1); // label, axis
      for (let x = 0; x < p.values.length - 1; x++) {
        const ch = cells[x];
        if (ch !== undefined && ch !== ' ' && p.start + x < width) grid[r][p.start + x] = paint(ch, p.color);
      }
    });
  }
  for (let r = 0; r <= rows; r++) {
    const label = format(rows > 0 ? max - (r * range) / rows : max);
    out.push(`${label}┤${grid[r].join('')}`.trimEnd());
  }
  out.push(axisLine(width, band !== undefined));
  out.push(axisLabels(width, band !== undefined));
  return out.join('\n') + '\n';
}

/**
 * A y axis whose rows sit on round values (steps of 1, 2, 2.5 or 5 x 10^k) with min a
 * whole number of steps: asciichart rounds each value to a row with round(v x ratio), so
 * with such an axis every value lands on the row whose label is nearest to it.
 */
export function niceAxis(lo: number, hi: number, height: number): { min: number; max: number; rows: number; step: number } {
  if (hi - lo < 1e-9) {
    const pad = Math.abs(hi) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / height;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((x) => x >= raw * (1 - 1e-9))!;
  // the rows asciichart will round the extremes to: no empty row above or below
  const first = Math.round(lo / step);
  const rows = Math.max(1, Math.round(hi / step) - first);
  return { min: first * step, max: (first + rows) * step, rows, step };
}

function paint(ch: string, color: string | undefined): string {
  return color ? color + ch + asciichart.reset : ch;
}

/** Where the x-axis labels go: hours before now over the history, horizons after it. */
function ticks(width: number, withBand: boolean): Array<{ col: number; label: string; align: 'left' | 'right' }> {
  const now = HISTORY_COLUMNS - 1;
  const t: Array<{ col: number; label: string; align: 'left' | 'right' }> = [
    { col: 0, label: '-24h', align: 'left' },
    { col: 12, label: '-18h', align: 'left' },
    { col: 24, label: '-12h', align: 'left' },
    { col: 36, label: '-6h', align: 'left' },
    { col: now, label: 'now', align: 'right' },
  ];
  if (withBand) {
    let col = now;
    for (const [h, n] of SEGMENTS) {
      col += n;
      t.push({ col: Math.min(col, width - 1), label: `+${h}`, align: h === '24h' ? 'right' : 'left' });
    }
  }
  return t;
}

function axisLine(width: number, withBand: boolean): string {
  const cells = new Array<string>(width).fill('─');
  for (const { col } of ticks(width, withBand)) if (col > 0 && col < width) cells[col] = '┴';
  return `${' '.repeat(LABEL_WIDTH)}└${cells.join('')}`;
}

function axisLabels(width: number, withBand: boolean): string {
  const cells = new Array<string>(width + 1).fill(' ');
  let free = 0; // first column not yet used (labels keep one space apart)
  for (const { col, label, align } of ticks(width, withBand)) {
    const at = align === 'right' ? col - label.length + 1 : col;
    if (at < free || at + label.length > width + 1) continue;
    for (let i = 0; i < label.length; i++) cells[at + i] = label[i];
    free = at + label.length + 1;
  }
  return `${' '.repeat(LABEL_WIDTH + 1)}${cells.join('')}`.trimEnd();
}

export function legend(withBand: boolean): string {
  const hist = '── history (peak of the 5-min means per 30 min)';
  if (!withBand) return hist + '\n';
  return `${hist}   ── median   ╌╌ 0.95   ·· 0.99\nforecast: quantiles of the peak over +5m, +30m, +24h (not to scale)\n`;
}
