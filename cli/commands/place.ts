// virtzone place --tenant T --app A --vcpus N --memory MiB [...]: ask the router for room
// for a VM (POST /v1/placements). Prints the decision, the zone and the reservation.
// Exit 0 placed, 4 rejected by the overflow manager (retry after the hint), 2 bad input,
// 3 daemon unreachable.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { addConnectionOptions, DaemonClient, problemError, type ConnectionOptions } from '../client.js';
import { CliError, ExitCode, printJson, usageError } from '../output.js';

interface PlaceOptions extends ConnectionOptions {
  tenant: string;
  app: string;
  priority?: string;
  vcpus: string;
  memory: string;
  name?: string;
  template?: string;
  image?: string;
  network?: string[];
  domainXml?: string;
  ttl?: string;
  idempotencyKey?: string;
  json?: boolean;
}

/** The body fields of POST /v1/placements, by the option that sets them (for messages). */
const OPTION_OF: Record<string, string> = {
  tenant: '--tenant',
  app: '--app',
  priority: '--priority',
  vcpus: '--vcpus',
  memoryMiB: '--memory',
  name: '--name',
  template: '--template',
  image: '--image',
  networks: '--network',
  domainXml: '--domain-xml',
  ttlSeconds: '--ttl',
  'Idempotency-Key': '--idempotency-key',
};

function wholeNumber(value: string, option: string, min: number, max: number, unit = ''): number {
  if (!/^\d+$/.test(value.trim())) throw usageError(`${option}: ${JSON.stringify(value)} is not a whole number${unit ? ` of ${unit}` : ''}`);
  const n = Number(value.trim());
  if (n < min || n > max) throw usageError(`${option}: ${n} is out of range: expected ${min}..${max}${unit ? ` ${unit}` : ''}`);
  return n;
}

/** The request body from the options; every check names its option. */
function placementBody(opts: PlaceOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {
    tenant: opts.tenant,
    app: opts.app,
    vcpus: wholeNumber(opts.vcpus, '--vcpus', 1, 1024),
    memoryMiB: wholeNumber(opts.memory, '--memory', 1, 16_777_216, 'MiB'),
  };
  if (opts.priority !== undefined) body.priority = opts.priority;
  if (opts.name !== undefined) body.name = opts.name;
  if (opts.template !== undefined) body.template = opts.template;
  if (opts.image !== undefined) body.image = opts.image;
  if (opts.network !== undefined) body.networks = opts.network;
  if (opts.ttl !== undefined) body.ttlSeconds = wholeNumber(opts.ttl, '--ttl', 1, 604_800, 'seconds');
  if (opts.domainXml !== undefined) {
    try {
      body.domainXml = readFileSync(opts.domainXml, 'utf8');
    } catch (err) {
      throw usageError(`--domain-xml: cannot read ${opts.domainXml}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return body;
}

interface Placed {
  decision: 'placed';
  zone: string;
  reservationId: string;
  partition: string;
  expiresAt: string;
  overflow: boolean;
  probability?: number;
  borrowedFrom?: string;
  domain?: string;
}

interface Rejected {
  decision: 'rejected';
  detail: string;
  zone: string;
  policy: string;
  probability: number;
  retryAfterSeconds: number;
}

export function registerPlace(program: Command): void {
  const cmd = program
    .command('place')
    .description('reserve room for a VM in its zone (and with --template create and start it)')
    .requiredOption('--tenant <name>', 'tenant asking for the VM')
    .requiredOption('--app <name>', 'application the VM belongs to')
    .option('--priority <class>', 'explicit class (zone); default: the config rules decide, else general')
    .requiredOption('--vcpus <n>', 'vCPUs to reserve')
    .requiredOption('--memory <MiB>', 'memory to reserve, in MiB')
    .option('--name <domain>', 'domain name (default with --template: <app>-<8 hex digits>; must equal <name> in --domain-xml)')
    .option('--template <name>', 'build the VM from this operator template (virtzone templates): the daemon creates, starts and tags it')
    .option('--image <volume>', "with --template: a volume of the template's storage pool to make the root disk from")
    .option('--network <name>', "with --template: a network from the template's list (repeat for more; default: its first)", (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('--domain-xml <file>', 'your own libvirt domain XML (only if the operator turned provisioning.rawDomainXml on; it must pass the allow-list)')
    .option('--ttl <seconds>', "how long the reservation holds (default: the daemon's api.defaultTtlSeconds)")
    .option('--idempotency-key <key>', 'reuse a key to retry safely (default: a new random UUID, printed)')
    .option('--json', 'print the daemon\'s answer as JSON (with the Idempotency-Key used)');
  addConnectionOptions(cmd, 120)
    .addHelpText(
      'after',
      `
Exit status: 0 placed, 4 rejected by the overflow manager (every zone that may take it is
full: retry after the hint, e.g. \`sleep 30; virtzone place ... --idempotency-key KEY\`),
2 bad input (the message names the option or field), 3 daemon unreachable.

A retry with the same --idempotency-key and the same options returns the first answer and
never reserves twice.

Examples:
  virtzone place --tenant acme --app web --vcpus 2 --memory 4096
  virtzone place --tenant acme --app db --priority gold --vcpus 4 --memory 16384 --ttl 600
  virtzone place --tenant acme --app web --vcpus 2 --memory 2048 --template small --image debian-12.qcow2 --name web-07
  virtzone place ... --json | jq -r .reservationId`,
    )
    .action(async (opts: PlaceOptions) => {
      const body = placementBody(opts);
      const key = opts.idempotencyKey ?? randomUUID();
      const client = DaemonClient.fromOptions(opts, 120);
      const reply = await client.request<Placed | (Rejected & Record<string, unknown>)>('POST', '/v1/placements', {
        body,
        headers: { 'idempotency-key': key },
      });
      const replayed = reply.headers['idempotent-replayed'] === 'true';
      if (reply.status === 201) {
        const p = reply.body as Placed;
        if (opts.json) return printJson({ ...p, idempotencyKey: key, replayed });
        const rows: Array<[string, string]> = [
          ['Decision', p.overflow ? `placed (overflow grant, probability ${fmtP(p.probability)})` : 'placed'],
          ['Zone', p.borrowedFrom ? `${p.zone} (room borrowed from ${p.borrowedFrom})` : p.zone],
          ['Reservation', p.reservationId],
          ['Partition', p.partition],
          ['Expires', p.expiresAt],
        ];
        if (p.domain) rows.push(['Domain', `${p.domain} (created and started)`]);
        rows.push(['Idempotency-Key', replayed ? `${key} (replayed: the first answer)` : key]);
        process.stdout.write(kv(rows));
        return;
      }
      if (reply.status === 429 && (reply.body as Rejected)?.decision === 'rejected') {
        const r = reply.body as Rejected;
        const retry = r.retryAfterSeconds ?? Number(reply.headers['retry-after'] ?? 0);
        if (opts.json) {
          printJson({ ...r, idempotencyKey: key });
        } else {
          process.stdout.write(
            kv([
              ['Decision', 'rejected'],
              ['Zone', r.zone],
              ['Policy', `${r.policy} (grant probability ${fmtP(r.probability)})`],
              ['Retry after', `${retry} s`],
              ['Idempotency-Key', key],
            ]),
          );
        }
        throw new CliError(`rejected by the overflow manager: ${r.detail} (retry in ${retry} s with --idempotency-key ${key})`, ExitCode.REJECTED);
      }
      const err = problemError(reply.status, reply.body);
      const field = (reply.body as { field?: string } | undefined)?.field;
      const option = field ? OPTION_OF[field] : undefined;
      throw option ? new CliError(`${err.message.replace(/ \(field: [^)]*\)/, '')} (field: ${field}, option ${option})`, err.exitCode) : err;
    });
}

const fmtP = (p: number | undefined) => (p === undefined ? '-' : (Math.round(p * 1000) / 1000).toString());

function kv(rows: Array<[string, string]>): string {
  const w = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${(k + ':').padEnd(w)}${v}`).join('\n') + '\n';
}
