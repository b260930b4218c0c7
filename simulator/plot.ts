// `--plot FILE.svg`: demand, allocation and rejections over time, one row of panels per
// policy and one panel per zone. Hand-written SVG (no dependency): each panel has CPU
// (cores) on top and memory (GiB) below, hourly means; rejected requests are bars
// along the bottom of the CPU chart. Pure: timeline in, SVG text out.
import { escapeXml as esc } from '../core/xml/escape.js';
import type { PolicyRun, TimelineHour } from './engine.js';

const PANEL_W = 300;
const PANEL_H = 230;
const GAP = 60;
const LEFT = 64;
const TOP = 56;
const COLORS = { demand: '#d62728', allocation: '#1f77b4', used: '#7f7f7f', rejected: '#ff7f0e' };

const f1 = (x: number) => (Math.round(x * 10) / 10).toString();

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function polyline(points: Array<[number, number]>, color: string, dash = ''): string {
  if (points.length === 0) return '';
  const d = points.map(([x, y]) => `${f1(x)},${f1(y)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="1.4"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${d}"/>`;
}

interface Chart {
  x: number;
  y: number;
  w: number;
  h: number;
}

function chart(c: Chart, hours: TimelineHour[], zone: string, pick: (p: TimelineHour['zones'][string]) => { demand: number; allocation: number; used: number }, unit: string, withRejections: boolean): string {
  const pts = hours.map((h) => (h.zones[zone] ? pick(h.zones[zone]) : { demand: 0, allocation: 0, used: 0 }));
  const maxY = niceMax(Math.max(...pts.map((p) => Math.max(p.demand, p.allocation, p.used)), 0));
  const n = Math.max(1, hours.length);
  const xs = (i: number) => c.x + (c.w * (i + 0.5)) / n;
  const ys = (v: number) => c.y + c.h - (c.h * v) / maxY;
  const out: string[] = [];
  out.push(`<rect x="${c.x}" y="${c.y}" width="${c.w}" height="${c.h}" fill="#fff" stroke="#ccc"/>`);
  for (const frac of [0, 0.5, 1]) {
    const yy = c.y + c.h - c.h * frac;
    out.push(`<line x1="${c.x}" x2="${c.x + c.w}" y1="${f1(yy)}" y2="${f1(yy)}" stroke="#eee"/>`);
    out.push(`<text x="${c.x - 4}" y="${f1(yy + 3)}" text-anchor="end" font-size="9" fill="#555">${f1(maxY * frac)}</text>`);
  }
  out.push(`<text x="${c.x - 34}" y="${f1(c.y + c.h / 2)}" font-size="9" fill="#555" transform="rotate(-90 ${c.x - 34} ${f1(c.y + c.h / 2)})" text-anchor="middle">${esc(unit)}</text>`);
  if (withRejections) {
    const rej = hours.map((h) => h.zones[zone]?.rejected ?? 0);
    const maxR = Math.max(1, ...rej);
    const bw = Math.max(1, c.w / n - 0.5);
    rej.forEach((r, i) => {
      if (r <= 0) return;
      const bh = (c.h * 0.25 * r) / maxR;
      out.push(`<rect x="${f1(xs(i) - bw / 2)}" y="${f1(c.y + c.h - bh)}" width="${f1(bw)}" height="${f1(bh)}" fill="${COLORS.rejected}" opacity="0.7"><title>${r} rejected</title></rect>`);
    });
    out.push(`<text x="${c.x + c.w - 2}" y="${c.y + c.h - 2}" text-anchor="end" font-size="8" fill="${COLORS.rejected}">max ${maxR} rejected/h</text>`);
  }
  out.push(polyline(pts.map((p, i) => [xs(i), ys(p.allocation)]), COLORS.allocation));
  out.push(polyline(pts.map((p, i) => [xs(i), ys(p.used)]), COLORS.used, '3,2'));
  out.push(polyline(pts.map((p, i) => [xs(i), ys(p.demand)]), COLORS.demand));
  return out.join('\n');
}

export interface PlotOptions {
  title?: string;
}

export function renderPlot(runs: readonly PolicyRun[], opts: PlotOptions = {}): string {
  const withTimeline = runs.filter((r) => r.timeline && r.timeline.length > 0);
  if (withTimeline.length === 0) throw new Error('plot: the runs carry no timeline (run with timeline: true)');
  const cols = Math.max(...withTimeline.map((r) => r.zones.length));
  const width = LEFT + cols * (PANEL_W + GAP) + 10;
  const height = TOP + withTimeline.length * (PANEL_H + GAP + 14) + 20;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`);
  out.push(`<rect width="100%" height="100%" fill="#fafafa"/>`);
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">${esc(opts.title ?? 'virtzone simulate: demand, allocation and rejections per zone')}</text>`);
  const legend: Array<[string, string, string]> = [
    ['demand (what the VMs wanted)', COLORS.demand, ''],
    ['allocation (zone size)', COLORS.allocation, ''],
    ['used (what they got)', COLORS.used, '3,2'],
  ];
  legend.forEach(([label, color, dash], i) => {
    const x = 10 + i * 240;
    out.push(`<line x1="${x}" x2="${x + 24}" y1="36" y2="36" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<text x="${x + 28}" y="40" font-size="11">${esc(label)}</text>`);
  });
  out.push(`<rect x="${10 + 3 * 240}" y="31" width="14" height="10" fill="${COLORS.rejected}" opacity="0.7"/><text x="${10 + 3 * 240 + 18}" y="40" font-size="11">rejected requests per hour</text>`);
  withTimeline.forEach((run, row) => {
    const y0 = TOP + row * (PANEL_H + GAP + 14);
    out.push(`<text x="10" y="${y0 + 10}" font-size="12" font-weight="bold">${esc(run.policy)}</text>`);
    run.zones.forEach((zone, col) => {
      const x0 = LEFT + col * (PANEL_W + GAP);
      const hours = run.timeline!;
      out.push(`<text x="${x0 + PANEL_W / 2}" y="${y0 + 10}" text-anchor="middle" font-size="11">${esc(zone)}</text>`);
      out.push(chart({ x: x0, y: y0 + 16, w: PANEL_W, h: PANEL_H * 0.55 }, hours, zone, (p) => ({ demand: p.demand.cpuCores, allocation: p.allocation.cpuCores, used: p.used.cpuCores }), 'CPU cores', true));
      out.push(chart({ x: x0, y: y0 + 22 + PANEL_H * 0.55, w: PANEL_W, h: PANEL_H * 0.35 }, hours, zone, (p) => ({ demand: p.demand.memoryMiB / 1024, allocation: p.allocation.memoryMiB / 1024, used: p.used.memoryMiB / 1024 }), 'memory GiB', false));
      const last = hours[hours.length - 1]?.hour ?? 0;
      out.push(`<text x="${x0}" y="${f1(y0 + 34 + PANEL_H * 0.9)}" font-size="8" fill="#555">0 h</text>`);
      out.push(`<text x="${x0 + PANEL_W}" y="${f1(y0 + 34 + PANEL_H * 0.9)}" text-anchor="end" font-size="8" fill="#555">${last + 1} h</text>`);
    });
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
