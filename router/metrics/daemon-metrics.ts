// The families fed by the rest of the daemon (forecaster, libvirt supervisor, collector,
// auto-scaler, apply, inventory). Each is a collect() callback that reads state the
// daemon already keeps, at scrape time: nothing is pushed into the registry between
// scrapes, and a family whose source has nothing to say shows no sample.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Horizon, LoadPrediction, Rollup } from '../../core/model/types.js';
import { AUDIT_RESULTS, type AuditResult } from '../../core/store/audit.js';
import { actualPeak, forecastClasses, forecastSamples, lastTraining, peakWindowSeconds } from './forecast-samples.js';

export interface MetricsVm {
  name: string;
  zone: string;
  tenant: string | null;
  app: string | null;
}

/** Where the daemon-fed families read from; every function is called at scrape time. */
export interface DaemonMetricSources {
  /** every current prediction; only class series are shown */
  predictions(): readonly LoadPrediction[];
  /** 5-minute rollups of a series with since <= ts < until (unix seconds) */
  rollups(series: string, since: number, until: number): readonly Rollup[];
  /** age of the model in use; null when none was trained yet */
  modelAgeSeconds(): number | null;
  /** the forecaster's training status (lastGood, lastFailure run records) */
  trainStatus(): Record<string, unknown>;
  /** whether the libvirt connection is up */
  libvirtUp(): boolean;
  /** seconds since a libvirt call last succeeded; null when none did */
  libvirtLastSuccessAgeSeconds(): number | null;
  /** when a collector tick last succeeded, unix seconds; null when none did */
  collectorLastSuccessSeconds(): number | null;
  /** audit rows per result of one actor at or after `since` (AuditLog.countByResult) */
  auditResults(actor: string, since: number): Record<AuditResult, number>;
  /** the VMs the store knows, with their zone, tenant and app */
  vms(): readonly MetricsVm[];
  /** unix seconds; default Date.now() / 1000 */
  now?(): number;
}

/**
 * Leaves a gauge without labels with no sample: its reset() puts a 0 back, which would
 * read as a real value (a model 0 s old) when the source has none.
 */
function clear(gauge: Gauge): void {
  gauge.reset();
  gauge.remove();
}

const HORIZONS: readonly Horizon[] = ['5m', '30m', '24h'];
/** who writes the audit rows of each action counter: the auto-scaler, and plans applied by `virtzone apply` / POST /v1/repartition */
const ACTORS = { autoscaler: ['autoscaler'], apply: ['apply', 'repartition'] } as const;

/** Registers the daemon-fed families on `registry`. Counters count from this call on. */
export function registerDaemonMetrics(registry: Registry, sources: DaemonMetricSources): void {
  const now = sources.now ?? (() => Date.now() / 1000);
  const registers = [registry];

  const forecast = (resource: 'cpu' | 'memory') =>
    new Gauge({
      name: resource === 'cpu' ? 'virtzone_forecast_cpu_cores' : 'virtzone_forecast_memory_bytes',
      help: `forecast peak ${resource === 'cpu' ? 'CPU use in cores' : 'memory use in bytes'} of a class over the next horizon, per quantile of the forecast distribution`,
      labelNames: ['class', 'horizon', 'quantile'] as const,
      registers,
      collect() {
        this.reset();
        for (const s of forecastSamples(sources.predictions())) {
          if (s.resource === resource) this.set({ class: s.class, horizon: s.horizon, quantile: s.quantile }, s.value);
        }
      },
    });
  forecast('cpu');
  forecast('memory');

  // both peaks in one read per class and horizon: the two gauges of one scrape share it
  // (a second is far below the 5-minute rollups it is read from)
  let peaksAt = -Infinity;
  let peaks: Array<{ class: string; horizon: Horizon; peak: NonNullable<ReturnType<typeof actualPeak>> }> = [];
  const currentPeaks = () => {
    const t = now();
    if (Math.abs(t - peaksAt) >= 1) {
      peaksAt = t;
      peaks = forecastClasses(sources.predictions()).flatMap((cls) =>
        HORIZONS.flatMap((horizon) => {
          const peak = actualPeak(sources.rollups(`class:${cls}`, t - peakWindowSeconds(horizon), t + 1), horizon);
          return peak ? [{ class: cls, horizon, peak }] : [];
        }),
      );
    }
    return peaks;
  };
  new Gauge({
    name: 'virtzone_actual_peak_cpu_cores',
    help: 'peak CPU use in cores a class actually reached over the last horizon (largest 5-minute mean), to set beside the forecast made one horizon earlier',
    labelNames: ['class', 'horizon'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of currentPeaks()) this.set({ class: p.class, horizon: p.horizon }, p.peak.cpuCores);
    },
  });
  new Gauge({
    name: 'virtzone_actual_peak_memory_bytes',
    help: 'peak memory use in bytes a class actually reached over the last horizon (largest 5-minute mean), to set beside the forecast made one horizon earlier',
    labelNames: ['class', 'horizon'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of currentPeaks()) this.set({ class: p.class, horizon: p.horizon }, p.peak.memoryBytes);
    },
  });

  new Gauge({
    name: 'virtzone_model_age_seconds',
    help: 'age of the forecast model in use; no sample until a model was trained',
    registers,
    collect() {
      clear(this);
      const age = sources.modelAgeSeconds();
      if (age !== null) this.set(age);
    },
  });
  new Gauge({
    name: 'virtzone_model_last_training_success',
    help: '1 when the newest finished training run succeeded, 0 when it failed; no sample before the first run ends',
    registers,
    collect() {
      clear(this);
      const last = lastTraining(sources.trainStatus());
      if (last) this.set(last.success ? 1 : 0);
    },
  });
  new Gauge({
    name: 'virtzone_model_last_training_timestamp_seconds',
    help: 'when the newest finished training run ended (unix time); no sample before the first run ends',
    registers,
    collect() {
      clear(this);
      const last = lastTraining(sources.trainStatus());
      if (last) this.set(last.finishedAt);
    },
  });

  new Gauge({
    name: 'virtzone_libvirt_up',
    help: '1 while the libvirt connection is up, 0 while it is lost and being re-established',
    registers,
    collect() {
      this.set(sources.libvirtUp() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'virtzone_libvirt_last_success_age_seconds',
    help: 'seconds since a libvirt call last succeeded (a connection can claim to be up while libvirtd does not answer); no sample before the first success',
    registers,
    collect() {
      clear(this);
      const age = sources.libvirtLastSuccessAgeSeconds();
      if (age !== null) this.set(age);
    },
  });
  new Gauge({
    name: 'virtzone_collector_last_success_timestamp_seconds',
    help: 'when a collector tick last succeeded (unix time); no sample before the first one',
    registers,
    collect() {
      clear(this);
      const at = sources.collectorLastSuccessSeconds();
      if (at !== null) this.set(at);
    },
  });

  // Counters over the audit table: every action the auto-scaler or an applied plan takes
  // is recorded there with its result, so counting rows since this registration is
  // exactly the number of actions (and failures, rollbacks) since the daemon started.
  const since = now();
  const actionCounter = (who: keyof typeof ACTORS, help: string) =>
    new Counter({
      name: `virtzone_${who}_actions_total`,
      help,
      labelNames: ['result'] as const,
      registers,
      collect() {
        this.reset();
        for (const result of AUDIT_RESULTS) {
          const n = ACTORS[who].reduce((sum, actor) => sum + sources.auditResults(actor, since)[result], 0);
          this.inc({ result }, n);
        }
      },
    });
  actionCounter('autoscaler', 'actions the auto-scaler took on VMs and zones, by result (ok, failed, rolled_back, skipped)');
  actionCounter('apply', 'steps of applied plans (virtzone apply, POST /v1/repartition), by result (ok, failed, rolled_back, skipped)');

  new Gauge({
    name: 'virtzone_vm_info',
    help: 'one series per VM with its zone, tenant and app (value 1), to join with libvirt exporters on the domain name',
    labelNames: ['vm', 'zone', 'tenant', 'app'] as const,
    registers,
    collect() {
      this.reset();
      for (const vm of sources.vms()) this.set({ vm: vm.name, zone: vm.zone, tenant: vm.tenant ?? '', app: vm.app ?? '' }, 1);
    },
  });
}
