// contrib/ against the daemon it is for: every metric the alert rules and the Grafana
// dashboard query is a family a live virtzoned exposes, and the dashboard has the
// panels an operator looks for.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { parse } from 'yaml';
import { families, ROOT, startMetricsDaemon } from '../router/metrics-daemon.js';

const ALERTS = join(ROOT, 'contrib/prometheus/virtzone-alerts.yml');
const DASHBOARD = join(ROOT, 'contrib/grafana/virtzone-dashboard.json');

/** virtzone_* names in a text; a histogram's _bucket/_sum/_count series name their family. */
function referencedNames(text: string): Set<string> {
  return new Set([...text.matchAll(/virtzone_[a-z_]+/g)].map((m) => m[0]));
}

function exposes(fams: ReadonlyMap<string, string>, name: string): boolean {
  if (fams.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && fams.get(base) === 'histogram';
}

t.test('every metric the rules and the dashboard use exists in a live /metrics', async (t) => {
  const d = await startMetricsDaemon(t);
  const fams = families(await d.scrapeApi());

  const rules = parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const exprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr)).join('\n');
  const inRules = referencedNames(exprs);
  t.ok(inRules.size >= 8, `the rules query ${inRules.size} metrics`);
  for (const name of inRules) t.ok(exposes(fams, name), `alert rules: ${name} is exposed`);

  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const dashText = JSON.stringify(dashboard);
  const inDashboard = referencedNames(dashText);
  t.ok(inDashboard.size >= 15, `the dashboard uses ${inDashboard.size} metrics`);
  for (const name of inDashboard) t.ok(exposes(fams, name), `dashboard: ${name} is exposed`);
});

t.test('the alert rules: the conditions an operator acts on, each with for, severity and text', async (t) => {
  const rules = parse(readFileSync(ALERTS, 'utf8')) as { groups: Array<{ rules: Array<Record<string, any>> }> };
  const all = rules.groups.flatMap((g) => g.rules);
  const names = all.map((r) => r.alert);
  for (const a of ['VirtzoneZoneShortOfCapacity', 'VirtzoneLibvirtDown', 'VirtzoneRollbacks', 'VirtzoneModelStale', 'VirtzoneRejectionRateHigh']) t.ok(names.includes(a), a);
  for (const r of all) {
    t.match(r.for, /^\d+[smh]$/, `${r.alert}: for`);
    t.ok(['warning', 'critical'].includes(r.labels?.severity), `${r.alert}: severity label`);
    t.ok(r.annotations?.summary && r.annotations?.description, `${r.alert}: summary and description`);
  }
});

t.test('the dashboard: the panels an operator looks for, on a chosen Prometheus', async (t) => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
  const panels = (dashboard.panels as Array<Record<string, any>>).filter((p) => p.type !== 'row');
  const exprOf = (p: Record<string, any>) => (p.targets as Array<{ expr: string }>).map((x) => x.expr).join('\n');
  const uses = (re: RegExp) => panels.some((p) => re.test(exprOf(p)));
  t.ok(uses(/virtzone_zone_cpu_cores\{[^}]*allocation\|used\|forecast_peak/), 'zones: size, used, forecast');
  t.ok(uses(/virtzone_zone_memory_bytes/), 'zones: memory');
  t.ok(uses(/sum by \(outcome\) \(rate\(virtzone_placement_decisions_total/), 'placements by outcome');
  t.ok(uses(/outcome="rejected".*\/.*virtzone_placement_decisions_total/s), 'rejection rate');
  t.ok(uses(/virtzone_libvirt_up/), 'libvirt up');
  t.ok(uses(/virtzone_model_age_seconds/), 'model age');
  t.ok(uses(/virtzone_autoscaler_actions_total/), 'auto-scaler actions');
  t.ok(uses(/virtzone_forecast_cpu_cores/) && uses(/virtzone_actual_peak_cpu_cores/), 'forecast beside the actual peak');
  const ids = panels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels) {
    t.equal(p.datasource?.uid, '${datasource}', `${p.title}: on the chosen data source`);
    t.ok(p.targets.length > 0 && p.gridPos?.w > 0 && p.gridPos?.h > 0, `${p.title}: targets and a place`);
  }
  t.ok(dashboard.templating.list.some((v: { name: string; type: string }) => v.name === 'datasource' && v.type === 'datasource'), 'a data source variable');
});
