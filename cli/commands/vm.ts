// virtzone vm NAME [--json]: one VM, like `virsh dominfo`: its zone, tenant and app, the
// state and size libvirt reports (current and maximum), its zone's size and floor, its
// use now and its peak over the last hour, and the last actions taken on it.
// GET /v1/vms/{name}, /v1/zones/{zone}, /v1/vms/{name}/history and /v1/audit?vm=NAME.
import type { Command } from 'commander';
import type { Resources } from '../../core/model/types.js';
import { addConnectionOptions, DaemonClient, type ConnectionOptions } from '../client.js';
import { fmtNum, fmtTime, isoTime, printJson } from '../output.js';
import { auditJson, renderAudit, type AuditRowReply } from './audit.js';
import type { HistoryReply } from './history.js';
import { zoneState, type ZoneReply } from './zones.js';

const RECENT_ACTIONS = 10;
const PEAK_WINDOW_SECONDS = 3600;

/** GET /v1/vms/{name} (router/schemas/vm-info.ts VmInfoView). */
export interface VmInfoReply {
  name: string;
  zone: string | null;
  uuid?: string | null;
  tenant?: string | null;
  app?: string | null;
  vcpus?: number | null;
  memoryMiB?: number | null;
  cpuCores?: number | null;
  memoryUsedMiB?: number | null;
  lastSeen?: number | string | null;
  domain: {
    uuid: string;
    state: string;
    id: number;
    persistent: boolean;
    vcpusCurrent: number;
    vcpusMax: number;
    memoryMiB: number;
    maxMemoryMiB: number;
  } | null;
  zoneFloor: Resources | null;
  [field: string]: unknown;
}

export interface HourPeak {
  cpuCores: number | null;
  memoryMiB: number | null;
  rollups: number;
}

/** The largest cpuMax and memMax of the rollups (null when none has a value). */
export function peakOf(rollups: HistoryReply['rollups']): HourPeak {
  const max = (values: Array<number | null>) => {
    const finite = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    return finite.length ? Math.max(...finite) : null;
  };
  return { cpuCores: max(rollups.map((r) => r.cpuMax)), memoryMiB: max(rollups.map((r) => r.memMax)), rollups: rollups.length };
}

export interface VmReport {
  vm: VmInfoReply;
  zone: ZoneReply | null;
  hourPeak: HourPeak;
  actions: AuditRowReply[];
}

/** A GET whose absence is part of the answer (no such zone, no history or audit kept): null then. */
async function optional<T>(client: DaemonClient, path: string, query?: Record<string, string | number | undefined>): Promise<T | null> {
  const reply = await client.request<T>('GET', path, { query });
  return reply.status === 200 ? reply.body : null;
}

export async function fetchVmReport(client: DaemonClient, name: string, nowSeconds = Math.floor(Date.now() / 1000)): Promise<VmReport> {
  // an unknown VM is the daemon's 404: exit 2 with its message
  const vm = await client.get<VmInfoReply>(`/v1/vms/${encodeURIComponent(name)}`);
  const [zone, history, actions] = await Promise.all([
    vm.zone ? optional<ZoneReply>(client, `/v1/zones/${encodeURIComponent(vm.zone)}`) : Promise.resolve(null),
    optional<HistoryReply>(client, `/v1/vms/${encodeURIComponent(name)}/history`, { since: nowSeconds - PEAK_WINDOW_SECONDS }),
    optional<AuditRowReply[]>(client, '/v1/audit', { vm: name, limit: RECENT_ACTIONS }),
  ]);
  return { vm, zone, hourPeak: peakOf(history?.rollups ?? []), actions: actions ?? [] };
}

const cores = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${fmtNum(v, 2)} cores`);
const mib = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${fmtNum(v, 0)} MiB`);
const seen = (v: VmInfoReply['lastSeen']) => (typeof v === 'number' ? `${fmtTime(v)} UTC` : typeof v === 'string' ? v : '-');

export function renderVmReport(r: VmReport): string {
  const { vm, zone, hourPeak } = r;
  const d = vm.domain;
  const vcpus = d ? `${d.vcpusCurrent} (max ${d.vcpusMax})` : vm.vcpus != null ? `${vm.vcpus}` : '-';
  const memory = d ? `${mib(d.memoryMiB)} (max ${mib(d.maxMemoryMiB)})` : mib(vm.memoryMiB);
  const fields: Array<[string, string]> = [
    ['Name', vm.name],
    ['UUID', d?.uuid ?? vm.uuid ?? '-'],
    ['State', d ? d.state : 'unknown to libvirt'],
    ['Zone', vm.zone ?? '-'],
    ['Tenant', vm.tenant ?? '-'],
    ['App', vm.app ?? '-'],
    ['vCPUs', vcpus],
    ['Memory', memory],
  ];
  if (zone) {
    fields.push(['Zone size', `${cores(zone.allocation.cpuCores)}, ${mib(zone.allocation.memoryMiB)} (state ${zoneState(zone)})`]);
    fields.push(['Zone use', `${cores(zone.used.cpuCores)}, ${mib(zone.used.memoryMiB)}`]);
  }
  if (vm.zoneFloor) fields.push(['Zone floor', `${cores(vm.zoneFloor.cpuCores)}, ${mib(vm.zoneFloor.memoryMiB)}`]);
  fields.push(['CPU use', `${cores(vm.cpuCores)} now; last hour's peak ${cores(hourPeak.cpuCores)}`]);
  fields.push(['Memory use', `${mib(vm.memoryUsedMiB)} now; last hour's peak ${mib(hourPeak.memoryMiB)}`]);
  fields.push(['Last seen', seen(vm.lastSeen)]);
  const width = Math.max(...fields.map(([k]) => k.length)) + 2;
  let text = fields.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`).join('\n') + '\n\n';
  text += r.actions.length ? `Recent actions (newest first):\n${renderAudit(r.actions)}` : 'Recent actions: none recorded\n';
  return text;
}

export function vmReportJson(r: VmReport) {
  return {
    ...r.vm,
    zoneView: r.zone,
    hourPeak: r.hourPeak,
    recentActions: auditJson(r.actions),
    lastSeen: typeof r.vm.lastSeen === 'number' ? isoTime(r.vm.lastSeen) : (r.vm.lastSeen ?? null),
  };
}

export function registerVm(program: Command): void {
  const cmd = program
    .command('vm')
    .description("show one VM (like virsh dominfo): zone, tenant, app, state, size, zone limits, recent use and actions")
    .argument('<name>', 'VM (domain) name')
    .option('--json', 'print JSON instead of text');
  addConnectionOptions(cmd)
    .addHelpText(
      'after',
      `
vCPUs and memory show the current value and libvirt's maximum; the zone's size is its
partition's limit and its floor the least the partitioner gives it (classes[].floor).
Use is the collector's latest sample and the largest 5-minute max of the last hour.

Examples:
  virtzone vm web-01
  virtzone vm web-01 --json | jq '.recentActions[0]'`,
    )
    .action(async (name: string, opts: ConnectionOptions & { json?: boolean }) => {
      const report = await fetchVmReport(DaemonClient.fromOptions(opts), name);
      if (opts.json) return printJson(vmReportJson(report));
      process.stdout.write(renderVmReport(report));
    });
}
