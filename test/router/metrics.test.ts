// The daemon's /metrics as Prometheus sees it: a real virtzoned over libvirt's test
// driver is scraped, promtool lints the text (it must pass), the families are named by
// the conventions (base units, _total on counters and only there, one unit per name,
// stock process_*/nodejs_* names) and carry the daemon's live values. The alert rules
// in contrib/ pass promtool's check and their unit tests.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { families, httpGet, promtool, ROOT, startMetricsDaemon } from './metrics-daemon.js';

const EXPECTED: Record<string, string> = {
  virtzone_build_info: 'gauge',
  virtzone_http_requests_total: 'counter',
  virtzone_http_request_duration_seconds: 'histogram',
  virtzone_placement_decisions_total: 'counter',
  virtzone_zone_cpu_cores: 'gauge',
  virtzone_zone_memory_bytes: 'gauge',
  virtzone_zone_vms: 'gauge',
  virtzone_zone_exhausted: 'gauge',
  virtzone_zones: 'gauge',
  virtzone_reservations_active: 'gauge',
  virtzone_forecast_cpu_cores: 'gauge',
  virtzone_forecast_memory_bytes: 'gauge',
  virtzone_actual_peak_cpu_cores: 'gauge',
  virtzone_actual_peak_memory_bytes: 'gauge',
  virtzone_model_age_seconds: 'gauge',
  virtzone_model_last_training_success: 'gauge',
  virtzone_model_last_training_timestamp_seconds: 'gauge',
  virtzone_libvirt_up: 'gauge',
  virtzone_libvirt_last_success_age_seconds: 'gauge',
  virtzone_collector_last_success_timestamp_seconds: 'gauge',
  virtzone_autoscaler_actions_total: 'counter',
  virtzone_apply_actions_total: 'counter',
  virtzone_vm_info: 'gauge',
  // prom-client's defaults under their stock names
  process_cpu_user_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  process_start_time_seconds: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_gc_duration_seconds: 'histogram',
};

const UNITS = ['seconds', 'bytes', 'cores'];

/** The value of the first sample line matching `re` (the whole line up to the value). */
function sample(text: string, re: RegExp): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (re.test(line.slice(0, space))) return Number(line.slice(space + 1));
  }
  return null;
}

t.test('a live daemon: promtool passes, conventional names, live values', async (t) => {
  const d = await startMetricsDaemon(t, { metrics: { listen: '127.0.0.1:0' } });
  t.ok(d.metricsAddress, 'the metrics listener logged its address');
  // the collector ticks every second: wait for its first success and the VMs it stored
  let text = '';
  const end = Date.now() + 30_000;
  while (Date.now() < end) {
    text = await d.scrapeApi();
    if (sample(text, /^virtzone_collector_last_success_timestamp_seconds$/) !== null && /^virtzone_vm_info\{/m.test(text)) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const lint = promtool(['check', 'metrics'], text);
  t.equal(lint.status, 0, `promtool check metrics:\n${lint.output}`);

  const fams = families(text);
  for (const [name, type] of Object.entries(EXPECTED)) t.equal(fams.get(name), type, `${name} is a ${type}`);
  t.same([...fams.keys()].filter((n) => n.startsWith('virtzoned_')), [], 'no family under the old virtzoned_ prefix');
  for (const old of ['virtzone_zone_allocation', 'virtzone_zone_provisioned', 'virtzone_zone_used', 'virtzone_zone_reserved']) t.notOk(fams.has(old), `${old} is gone`);

  for (const [name, type] of fams) {
    if (!name.startsWith('virtzone_')) continue;
    t.equal(name.endsWith('_total'), type === 'counter', `${name}: _total if and only if a counter`);
    const units = name.split('_').filter((w) => UNITS.includes(w));
    t.ok(units.length <= 1, `${name}: one unit at most (${units.join(', ')})`);
  }
  t.notMatch(text, /^virtzone_\w+\{[^}]*\bresource="/m, 'no family mixes resources (and so units) under a resource label');
  t.notMatch(text, /^# HELP virtzone_.*\bMiB\b/m, 'no family is in MiB');

  // live values
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  t.equal(sample(text, new RegExp(`^virtzone_build_info\\{version="${version.replace(/\./g, '\\.')}",node="${process.versions.node.replace(/\./g, '\\.')}"\\}$`)), 1, 'build info: version and Node.js version');
  t.equal(sample(text, /^virtzone_libvirt_up$/), 1, 'libvirt is up');
  const callAge = sample(text, /^virtzone_libvirt_last_success_age_seconds$/);
  t.ok(callAge !== null && callAge >= 0 && callAge < 30, `a libvirt call succeeded recently (${callAge} s ago)`);
  const collected = sample(text, /^virtzone_collector_last_success_timestamp_seconds$/);
  t.ok(collected !== null && Math.abs(Date.now() / 1000 - collected) < 30, `the collector succeeded recently (${collected})`);
  t.equal(sample(text, /^virtzone_vm_info\{vm="gold-web-01",zone="[a-z]+",tenant="[^"]*",app="[^"]*"\}$/), 1, 'a VM of the test host, with its zone');
  // each zone's size as the daemon logged its plan: cores, and MiB shown in bytes
  const plan = d.lines.filter((l) => l.msg === 'zone plan').at(-1);
  t.ok(plan?.zones?.length >= 4, 'the daemon logged a zone plan');
  for (const z of plan.zones as Array<{ zone: string; cpuCores: number; memoryMiB: number }>) {
    t.equal(sample(text, new RegExp(`^virtzone_zone_cpu_cores\\{zone="${z.zone}",kind="allocation"\\}$`)), z.cpuCores, `${z.zone}: size in cores`);
    t.equal(sample(text, new RegExp(`^virtzone_zone_memory_bytes\\{zone="${z.zone}",kind="allocation"\\}$`)), z.memoryMiB * 1024 * 1024, `${z.zone}: size in bytes`);
  }
  t.equal(sample(text, /^virtzone_autoscaler_actions_total\{result="rolled_back"\}$/), 0, 'no rollback yet, but the series exists');
  t.equal(sample(text, /^virtzone_model_age_seconds$/), null, 'no model trained: no model age sample');

  // the listener serves the same families
  const viaListener = await httpGet(d.metricsAddress!, '/metrics');
  t.equal(viaListener.status, 200);
  t.same([...families(viaListener.text).keys()].sort(), [...fams.keys()].sort(), 'the listener shows the same families as the API');
  const lint2 = promtool(['check', 'metrics'], viaListener.text);
  t.equal(lint2.status, 0, `promtool check metrics (listener):\n${lint2.output}`);
});

t.test('the alert rules pass promtool check and their unit tests', async (t) => {
  const check = promtool(['check', 'rules', 'contrib/prometheus/virtzone-alerts.yml']);
  t.equal(check.status, 0, `promtool check rules:\n${check.output}`);
  t.match(check.output, /SUCCESS: \d+ rules found/);
  const unit = promtool(['test', 'rules', 'virtzone-alerts.test.yml'], undefined, join(ROOT, 'contrib/prometheus'));
  t.equal(unit.status, 0, `promtool test rules:\n${unit.output}`);
  t.match(unit.output, /SUCCESS/);
});
