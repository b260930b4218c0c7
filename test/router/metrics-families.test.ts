// The daemon-fed families over plain data and a real audit table: forecasts per class,
// horizon and quantile in cores and bytes beside the peaks actually reached, the model
// and libvirt gauges (no sample when the source has nothing), the action counters from
// the audit log, and one info series per VM.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import t from 'tap';
import type { LoadPrediction, Rollup } from '../../core/model/types.js';
import { AuditLog, type AuditEntry } from '../../core/store/audit.js';
import { openDatabase } from '../../core/store/open.js';
import { registerDaemonMetrics, type DaemonMetricSources } from '../../router/metrics/daemon-metrics.js';
import { actualPeak, forecastSamples, lastTraining } from '../../router/metrics/forecast-samples.js';
import { removeDir } from './helpers.js';

const MIB = 1024 * 1024;

function prediction(series: string, resource: 'cpu' | 'memory', horizon: LoadPrediction['horizon'], distribution: Record<string, number>): LoadPrediction {
  return { series, resource, horizon, origin: 0, peakLoad: distribution['0.95'], averageLoad: 0, trend: 0, distribution, model: 'lstm', confidence: 1 };
}

function rollup(series: string, ts: number, cpuMean: number, memMean: number, samples = 30): Rollup {
  return { series, ts, cpuMean, cpuMax: cpuMean * 2, cpuP95: cpuMean, memMean, memMax: memMean * 2, memP95: memMean, netBps: 0, diskBps: 0, samples };
}

const value = (text: string, series: string): number | null => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? null : Number(line.slice(series.length + 1));
};

t.test('forecast samples: class series only, cores and bytes', async (t) => {
  const samples = forecastSamples([
    prediction('class:gold', 'cpu', '30m', { '0.5': 2, '0.95': 3.5 }),
    prediction('class:gold', 'memory', '30m', { '0.5': 1024, '0.95': 2048 }),
    prediction('vm:web-1', 'cpu', '30m', { '0.5': 1 }),
  ]);
  t.same(samples, [
    { class: 'gold', horizon: '30m', quantile: '0.5', resource: 'cpu', value: 2 },
    { class: 'gold', horizon: '30m', quantile: '0.95', resource: 'cpu', value: 3.5 },
    { class: 'gold', horizon: '30m', quantile: '0.5', resource: 'memory', value: 1024 * MIB },
    { class: 'gold', horizon: '30m', quantile: '0.95', resource: 'memory', value: 2048 * MIB },
  ]);
});

t.test('actual peak: the largest 5-minute mean of the horizon\'s newest measured buckets', async (t) => {
  const rs = [rollup('class:gold', 0, 9, 900), rollup('class:gold', 300, 1, 100), rollup('class:gold', 600, 4, 50), rollup('class:gold', 900, 2, 400), rollup('class:gold', 1200, 99, 9999, 0)];
  t.same(actualPeak(rs, '5m'), { cpuCores: 2, memoryBytes: 400 * MIB }, 'the newest measured bucket (an empty one does not count)');
  t.same(actualPeak(rs, '30m'), { cpuCores: 9, memoryBytes: 900 * MIB }, 'six buckets: all of them here');
  t.equal(actualPeak([], '24h'), null);
  t.equal(actualPeak([rollup('class:gold', 0, 1, 1, 0)], '5m'), null, 'no measured bucket');
});

t.test('last training: the newer of the last good and the last failed run', async (t) => {
  t.equal(lastTraining({}), null);
  t.same(lastTraining({ lastGood: { finishedAt: 100 }, lastFailure: null }), { finishedAt: 100, success: true });
  t.same(lastTraining({ lastGood: { finishedAt: 100 }, lastFailure: { finishedAt: 200 } }), { finishedAt: 200, success: false });
  t.same(lastTraining({ lastGood: { finishedAt: 300 }, lastFailure: { finishedAt: 200 } }), { finishedAt: 300, success: true });
  t.equal(lastTraining({ lastGood: { finishedAt: null } }), null, 'a run still going has not finished');
});

t.test('the registered families read their sources at every scrape', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-metrics-families-'));
  const db = openDatabase(join(dir, 'audit.db'));
  t.teardown(() => {
    db.close();
    removeDir(dir);
  });
  const audit = new AuditLog(db);
  let now = 10_000;
  const entry = (actor: string, result: AuditEntry['result'], ts = now): AuditEntry => ({ ts, actor, vm: 'web-1', action: 'setMemory', reason: 'test', before: null, after: null, result });
  audit.append(entry('autoscaler', 'failed', now - 1)); // before the daemon started: not counted

  const state = {
    predictions: [prediction('class:gold', 'cpu', '5m', { '0.5': 2, '0.99': 3 }), prediction('class:gold', 'memory', '5m', { '0.5': 512, '0.99': 1024 })] as LoadPrediction[],
    rollups: [rollup('class:gold', 9_600, 1.5, 700), rollup('class:gold', 9_900, 2.5, 600)],
    modelAge: null as number | null,
    train: {} as Record<string, unknown>,
    up: true,
    callAge: 0.5 as number | null,
    collected: null as number | null,
  };
  const sources: DaemonMetricSources = {
    predictions: () => state.predictions,
    rollups: (series, since, until) => state.rollups.filter((r) => r.series === series && r.ts >= since && r.ts < until),
    modelAgeSeconds: () => state.modelAge,
    trainStatus: () => state.train,
    libvirtUp: () => state.up,
    libvirtLastSuccessAgeSeconds: () => state.callAge,
    collectorLastSuccessSeconds: () => state.collected,
    auditResults: (actor, since) => audit.countByResult({ actor, since }),
    vms: () => [{ name: 'web-1', zone: 'gold', tenant: 'acme', app: 'web' }, { name: 'lost', zone: 'general', tenant: null, app: null }],
    now: () => now,
  };
  const registry = new Registry();
  registerDaemonMetrics(registry, sources);

  let text = await registry.metrics();
  t.equal(value(text, 'virtzone_forecast_cpu_cores{class="gold",horizon="5m",quantile="0.99"}'), 3);
  t.equal(value(text, 'virtzone_forecast_memory_bytes{class="gold",horizon="5m",quantile="0.5"}'), 512 * MIB);
  t.equal(value(text, 'virtzone_actual_peak_cpu_cores{class="gold",horizon="5m"}'), 2.5, 'the newest bucket');
  t.equal(value(text, 'virtzone_actual_peak_memory_bytes{class="gold",horizon="30m"}'), 700 * MIB, 'both buckets');
  t.equal(value(text, 'virtzone_model_age_seconds'), null, 'no model: no sample (not 0)');
  t.match(text, /^# TYPE virtzone_model_age_seconds gauge$/m, 'the family is still declared');
  t.equal(value(text, 'virtzone_model_last_training_success'), null);
  t.equal(value(text, 'virtzone_collector_last_success_timestamp_seconds'), null);
  t.equal(value(text, 'virtzone_libvirt_up'), 1);
  t.equal(value(text, 'virtzone_libvirt_last_success_age_seconds'), 0.5);
  t.equal(value(text, 'virtzone_autoscaler_actions_total{result="failed"}'), 0, 'rows from before the start are not counted');
  t.equal(value(text, 'virtzone_vm_info{vm="web-1",zone="gold",tenant="acme",app="web"}'), 1);
  t.equal(value(text, 'virtzone_vm_info{vm="lost",zone="general",tenant="",app=""}'), 1);

  // the sources change: the next scrape shows it
  now += 60;
  state.modelAge = 3600;
  state.train = { lastGood: { finishedAt: 5_000 }, lastFailure: { finishedAt: 9_000 } };
  state.up = false;
  state.callAge = 42;
  state.collected = now - 1;
  state.predictions = [];
  audit.append(entry('autoscaler', 'ok'));
  audit.append(entry('autoscaler', 'rolled_back'));
  audit.append(entry('autoscaler', 'rolled_back'));
  audit.append(entry('apply', 'failed'));
  audit.append(entry('repartition', 'ok'));
  audit.append(entry('repartition-dry-run', 'skipped'));
  audit.append(entry('router', 'ok'));
  text = await registry.metrics();
  t.equal(value(text, 'virtzone_model_age_seconds'), 3600);
  t.equal(value(text, 'virtzone_model_last_training_success'), 0, 'the newest run failed');
  t.equal(value(text, 'virtzone_model_last_training_timestamp_seconds'), 9_000);
  t.equal(value(text, 'virtzone_libvirt_up'), 0);
  t.equal(value(text, 'virtzone_libvirt_last_success_age_seconds'), 42);
  t.equal(value(text, 'virtzone_collector_last_success_timestamp_seconds'), now - 1);
  t.equal(value(text, 'virtzone_autoscaler_actions_total{result="ok"}'), 1);
  t.equal(value(text, 'virtzone_autoscaler_actions_total{result="rolled_back"}'), 2);
  t.equal(value(text, 'virtzone_autoscaler_actions_total{result="failed"}'), 0);
  t.equal(value(text, 'virtzone_apply_actions_total{result="failed"}'), 1);
  t.equal(value(text, 'virtzone_apply_actions_total{result="ok"}'), 1, 'an applied repartition counts; a dry run does not');
  t.equal(value(text, 'virtzone_apply_actions_total{result="skipped"}'), 0);
  t.notMatch(text, /^virtzone_forecast_cpu_cores\{/m, 'forecasts gone: their samples too');
  t.notMatch(text, /^virtzone_actual_peak_cpu_cores\{/m, 'peaks are shown for the classes with forecasts');
});
