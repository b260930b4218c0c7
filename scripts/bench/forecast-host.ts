// A host of N VMs x D days for the forecaster's benchmarks, from a trace folder: each
// trace VM contributes disjoint D-day windows (newest first) until there are N VMs, and
// the VMs take the classes gold, silver, bronze in turn; one series per class sums them.
import { loadBitbrainsSeries } from '../../forecaster/input/bitbrains.js';
import type { LoadSeries } from '../../forecaster/input/series.js';

/** N VMs x D days: each trace VM contributes disjoint D-day windows until N VMs exist, plus one series per class. */
export async function hostSeries(trace: string, vms: number, days: number, start = 1_700_000_000): Promise<LoadSeries[]> {
  const all = await loadBitbrainsSeries(trace);
  const steps = days * 288;
  const byVm = new Map<string, LoadSeries[]>();
  for (const s of all) byVm.set(s.series, [...(byVm.get(s.series) ?? []), s]);
  const out: LoadSeries[] = [];
  const classes = ['gold', 'silver', 'bronze'];
  const classSum = new Map<string, { cpu: Float64Array; memory: Float64Array }>();
  let made = 0;
  for (let w = 0; made < vms; w++) {
    let any = false;
    for (const [name, pair] of byVm) {
      if (made >= vms) break;
      const end = pair[0].values.length - w * steps;
      if (end - steps < 0) continue;
      any = true;
      const cls = classes[made % classes.length];
      const sums = classSum.get(cls) ?? { cpu: new Float64Array(steps), memory: new Float64Array(steps) };
      classSum.set(cls, sums);
      for (const s of pair) {
        const values = Float64Array.from(s.values.subarray(end - steps, end));
        out.push({ ...s, series: `${name}-w${w}`, start, values });
        const acc = sums[s.resource];
        for (let i = 0; i < steps; i++) if (!Number.isNaN(values[i])) acc[i] += values[i];
      }
      made++;
    }
    if (!any) throw new Error(`the trace holds fewer than ${vms} VM-windows of ${days} days`);
  }
  for (const [cls, sums] of classSum) {
    out.push({ series: `class:${cls}`, resource: 'cpu', start, step: 300, values: sums.cpu });
    out.push({ series: `class:${cls}`, resource: 'memory', start, step: 300, values: sums.memory });
  }
  return out;
}

