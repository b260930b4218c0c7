// `virtzone simulate --sweep --plot FILE.svg`: each policy's sweep points and Pareto
// frontier, in two panels — (a) rejection rate against weighted SLO violation, (b)
// admitted VM-days against the top class's SLO violation. Hand-written SVG, as the
// simulator's other chart (../plot.ts). Pure: result in, SVG text out.
import { escapeXml as esc } from '../../core/xml/escape.js';
import type { PolicySweep, SweepMeasure } from './frontiers.js';
import { knobsLabel } from './grid.js';
import type { SweepResult } from './run.js';

const W = 460;
const H = 340;
const LEFT = 64;
const TOP = 70;
const GAP = 90;
const BOTTOM = 50;
const COLORS: Record<string, string> = { static: '#7f7f7f', reactive: '#d62728', predictive: '#1f77b4', oracle: '#2ca02c', ratio: '#ff7f0e' };

const f1 = (x: number) => (Math.round(x * 10) / 10).toString();
/** An axis label: three significant digits, so small ranges (a violation of 0.05%) stay readable. */
const tick = (x: number) => Number(x.toPrecision(3)).toString();

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  x: (m: SweepMeasure) => number;
  y: (m: SweepMeasure) => number;
  frontier: (p: PolicySweep) => SweepMeasure[];
  /** the x axis starts at the data's low end, not at 0 (VM-days: the spread is far from 0) */
  xFromData?: boolean;
}

/** A round value at or below x, on the scale of `range`. */
function niceFloor(x: number, range: number): number {
  if (!(range > 0)) return Math.max(0, x);
  const p = 10 ** Math.floor(Math.log10(range));
  return Math.max(0, Math.floor(x / p) * p);
}

function panel(r: SweepResult, spec: Panel, x0: number): string {
  const all = Object.values(r.policies).flatMap((p) => p.points);
  const xValues = all.map(spec.x);
  const minX = spec.xFromData && xValues.length > 0 ? niceFloor(Math.min(...xValues), Math.max(...xValues) - Math.min(...xValues)) : 0;
  const maxX = minX + niceMax(Math.max(0, ...xValues) - minX);
  const maxY = niceMax(Math.max(0, ...all.map(spec.y)));
  const xs = (v: number) => x0 + (W * (v - minX)) / (maxX - minX);
  const ys = (v: number) => TOP + H - (H * v) / maxY;
  const out: string[] = [];
  out.push(`<text x="${x0}" y="${TOP - 12}" font-size="12" font-weight="bold">${esc(spec.title)}</text>`);
  out.push(`<rect x="${x0}" y="${TOP}" width="${W}" height="${H}" fill="#fff" stroke="#ccc"/>`);
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    const yy = TOP + H - H * frac;
    const xx = x0 + W * frac;
    out.push(`<line x1="${x0}" x2="${x0 + W}" y1="${f1(yy)}" y2="${f1(yy)}" stroke="#eee"/>`);
    out.push(`<line x1="${f1(xx)}" x2="${f1(xx)}" y1="${TOP}" y2="${TOP + H}" stroke="#eee"/>`);
    out.push(`<text x="${x0 - 4}" y="${f1(yy + 3)}" text-anchor="end" font-size="9" fill="#555">${esc(tick(maxY * frac))}</text>`);
    out.push(`<text x="${f1(xx)}" y="${TOP + H + 12}" text-anchor="middle" font-size="9" fill="#555">${esc(tick(minX + (maxX - minX) * frac))}</text>`);
  }
  out.push(`<text x="${x0 + W / 2}" y="${TOP + H + 28}" text-anchor="middle" font-size="10">${esc(spec.xLabel)}</text>`);
  out.push(`<text x="${x0 - 40}" y="${TOP + H / 2}" text-anchor="middle" font-size="10" transform="rotate(-90 ${x0 - 40} ${TOP + H / 2})">${esc(spec.yLabel)}</text>`);
  for (const [policy, p] of Object.entries(r.policies)) {
    const color = COLORS[policy] ?? '#000';
    const line = spec.frontier(p).map((m) => `${f1(xs(spec.x(m)))},${f1(ys(spec.y(m)))}`);
    if (line.length > 1) out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.8" points="${line.join(' ')}"/>`);
    for (const m of p.points) {
      const label = `${policy} ${knobsLabel(m.knobs)}: ${tick(spec.x(m))}, ${tick(spec.y(m))}`;
      out.push(`<circle cx="${f1(xs(spec.x(m)))}" cy="${f1(ys(spec.y(m)))}" r="3" fill="${color}" fill-opacity="0.55" stroke="${color}"><title>${esc(label)}</title></circle>`);
    }
  }
  return out.join('\n');
}

export function renderSweepPlot(r: SweepResult, opts: { title?: string } = {}): string {
  const panels: Panel[] = [
    {
      title: '(a) rejections vs SLO violation (lower left is better)',
      xLabel: 'rejected requests, %',
      yLabel: 'SLO violation (weighted), %',
      x: (m) => m.rejectionRate * 100,
      y: (m) => m.sloViolation * 100,
      frontier: (p) => p.frontier.rejectionViolation,
    },
    {
      title: `(b) admitted VM-days vs ${r.topClass} SLO violation (lower right is better)`,
      xLabel: 'admitted VM-days',
      yLabel: `${r.topClass} SLO violation, %`,
      x: (m) => m.admittedVmDays,
      y: (m) => m.topClassSloViolation * 100,
      frontier: (p) => p.frontier.vmDaysTopClassViolation,
      xFromData: true,
    },
  ];
  const width = LEFT + panels.length * (W + GAP);
  const height = TOP + H + BOTTOM;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  out.push(`<rect width="100%" height="100%" fill="#fafafa"/>`);
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">${esc(opts.title ?? 'virtzone simulate --sweep: each policy\'s points and Pareto frontier')}</text>`);
  Object.keys(r.policies).forEach((policy, i) => {
    const x = 10 + i * 120;
    const color = COLORS[policy] ?? '#000';
    out.push(`<line x1="${x}" x2="${x + 20}" y1="36" y2="36" stroke="${color}" stroke-width="2"/><circle cx="${x + 10}" cy="36" r="3" fill="${color}"/>`);
    out.push(`<text x="${x + 26}" y="40" font-size="11">${esc(policy)}</text>`);
  });
  panels.forEach((p, i) => out.push(panel(r, p, LEFT + i * (W + GAP))));
  out.push('</svg>');
  return out.join('\n') + '\n';
}
