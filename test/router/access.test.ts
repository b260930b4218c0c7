// Roles of local callers on the Unix socket, from the kernel's word for who they are:
// real clients run as other users (setpriv) with other groups, so SO_PEERCRED and
// SO_PEERGROUPS are what decides — never anything the request says.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { canSwitchUser, requestAs } from '../fixtures/unix-client.js';
import { closeAgents, removeDir, startHarness } from './helpers.js';

const PLACE = { tenant: 'acme', app: 'web', priority: 'silver', vcpus: 1, memoryMiB: 256 };

t.test('api.peers maps users and groups (primary or supplementary) to roles', { skip: !canSwitchUser() && 'needs root and setpriv' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-peers-'));
  chmodSync(dir, 0o711);
  // gids with no name are fine: the kernel hands them over as they are
  const h = await startHarness({
    dir,
    config: {
      api: {
        socketMode: '0660',
        socketGroup: '4242',
        peers: [
          { user: '4301', role: 'admin' },
          { group: '4343', role: 'provision', tenants: ['acme'], classes: ['silver'] },
          { group: '4242', role: 'read' },
        ],
      },
    },
  });
  t.teardown(async () => {
    await h.close();
    removeDir(dir);
    closeAgents();
  });
  const place = (who: { uid: number; gid: number; groups?: number[] }, key: string) => requestAs(who, h.socket, 'POST', '/v1/placements', { body: PLACE, headers: { 'idempotency-key': key } });

  // a member of the socket's group only: read
  let r = await requestAs({ uid: 4300, gid: 4242 }, h.socket, 'GET', '/v1/zones');
  t.equal(r.status, 200, `reads: ${r.raw.slice(0, 200)}`);
  r = await place({ uid: 4300, gid: 4242 }, 'peers-0001');
  t.equal(r.status, 403, 'the read role may not place');
  t.match(r.json, { needed: 'provision', role: 'read', detail: /uid:4300 has read/ });

  // 4343 as a supplementary group (SO_PEERGROUPS) gives provision, for acme in silver
  r = await place({ uid: 4300, gid: 4242, groups: [4343] }, 'peers-0002');
  t.equal(r.status, 201, `a supplementary group's role: ${r.raw.slice(0, 300)}`);
  r = await requestAs({ uid: 4300, gid: 4242, groups: [4343] }, h.socket, 'POST', '/v1/placements', { body: { ...PLACE, priority: 'gold' }, headers: { 'idempotency-key': 'peers-0003' } });
  t.equal(r.status, 403, 'but only in its classes');
  t.match(r.json, { field: 'priority' });
  r = await requestAs({ uid: 4300, gid: 4242, groups: [4343] }, h.socket, 'POST', '/v1/placements', { body: { ...PLACE, tenant: 'globex' }, headers: { 'idempotency-key': 'peers-0004' } });
  t.equal(r.status, 403, 'and for its tenants');

  // a user rule: admin (may repartition), the first matching rule decides
  r = await requestAs({ uid: 4301, gid: 4242 }, h.socket, 'POST', '/v1/repartition', { body: {} });
  t.equal(r.status, 200, `a user named by a rule: ${r.raw.slice(0, 200)}`);
  t.equal(r.json.dryRun, true, 'a repartition without apply is a dry run');
  r = await requestAs({ uid: 4300, gid: 4242, groups: [4343] }, h.socket, 'POST', '/v1/repartition', { body: { apply: true } });
  t.equal(r.status, 403, 'provision may not repartition');
  // a header naming another user changes nothing
  r = await requestAs({ uid: 4300, gid: 4242 }, h.socket, 'POST', '/v1/repartition', { body: {}, headers: { 'x-remote-user': 'root', authorization: 'Bearer whatever' } });
  t.equal(r.status, 403, 'what the request says about its sender is not read');
});

t.test('api.socketRole: none refuses a caller no rule names', { skip: !canSwitchUser() && 'needs root and setpriv' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vz-peers-none-'));
  chmodSync(dir, 0o711);
  const h = await startHarness({ dir, config: { api: { socketGroup: '4242', socketRole: 'none', peers: [{ group: '4343', role: 'read' }] } } });
  t.teardown(async () => {
    await h.close();
    removeDir(dir);
    closeAgents();
  });
  let r = await requestAs({ uid: 4300, gid: 4242 }, h.socket, 'GET', '/v1/zones');
  t.equal(r.status, 403, 'in the socket group, in no rule: refused');
  t.match(r.json.detail, /uid 4300 has no role/);
  r = await requestAs({ uid: 4300, gid: 4343 }, h.socket, 'GET', '/v1/zones');
  t.equal(r.status, 0, 'the socket mode still decides who connects at all: outside the socket group there is no connection');
  t.match(r.raw, /Permission ?(denied|Error)/);
  r = await requestAs({ uid: 4300, gid: 4242, groups: [4343] }, h.socket, 'GET', '/v1/zones');
  t.equal(r.status, 200, 'named by a rule: served');
});
