// The mode and who set it: a fresh install observes; an admin's switch is audited and
// holds across restarts until the config's mode key changes, which then wins; each
// class's readiness names what is missing. Real SQLite audit table.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../core/store/open.js';
import { AuditLog } from '../../core/store/audit.js';
import { ModeControl, MODE_AUDIT_ACTION } from '../../partitioner/mode/mode-control.js';
import { classReadiness } from '../../partitioner/mode/readiness.js';
import { ZoneEnforcement } from '../../partitioner/mode/zone-enforcement.js';
import { config } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'vz-mode-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('the config default is observe', async (t) => {
  t.equal(config({}).mode, 'observe');
});

t.test('switches are audited and an admin\'s holds across restarts until the config key changes', async (t) => {
  const path = join(dir, 'a.db');
  let now = 1000;
  const open = (configMode: 'observe' | 'enforce') => {
    const db = openDatabase(path);
    return { db, audit: new AuditLog(db), control: new ModeControl(new AuditLog(db), configMode, () => now) };
  };
  const rows = (audit: AuditLog) => audit.list({ action: MODE_AUDIT_ACTION, limit: 100 }).reverse();

  // first start: observe from the config, recorded once
  let s = open('observe');
  t.equal(s.control.mode, 'observe');
  t.same(rows(s.audit).map((r) => [r.actor, r.after.mode, r.after.source]), [['config', 'observe', 'config']]);
  s.db.close();

  // a restart with the same config records nothing new
  now = 2000;
  s = open('observe');
  t.equal(rows(s.audit).length, 1, 'a restart with nothing changed is not a switch');

  // an admin switches to enforce
  const changes: string[] = [];
  s.control.onChange((m, before) => changes.push(`${before}->${m.mode}`));
  now = 3000;
  t.equal(s.control.setByAdmin('enforce', 'token:ops', 'plan reviewed'), true);
  t.equal(s.control.setByAdmin('enforce', 'token:ops', undefined), false, 'the same mode again: no change');
  t.same(changes, ['observe->enforce']);
  const last = rows(s.audit).at(-1)!;
  t.same([last.actor, last.before, last.after.mode, last.after.source, last.after.configMode, last.reason], ['token:ops', { mode: 'observe' }, 'enforce', 'api', 'observe', 'set by token:ops: plan reviewed']);
  s.db.close();

  // restart, config still says observe: the admin's switch holds
  now = 4000;
  s = open('observe');
  t.equal(s.control.mode, 'enforce', 'the admin\'s enforce survives a restart');
  t.same(s.control.view(), { mode: 'enforce', source: 'api', configMode: 'observe', by: 'token:ops', at: 3000 });
  t.equal(rows(s.audit).length, 2);

  // a reload that leaves the mode key alone keeps it; one that changes the key wins
  s.control.reloaded('observe', 'observe');
  t.equal(s.control.mode, 'enforce');
  now = 5000;
  s.control.reloaded('observe', 'enforce');
  t.same([s.control.mode, s.control.view().source], ['enforce', 'config'], 'the key changed: the config speaks now');
  s.control.reloaded('enforce', 'observe');
  t.equal(s.control.mode, 'observe');
  t.same(rows(s.audit).slice(-2).map((r) => [r.actor, r.after.mode, r.after.source]), [['config', 'enforce', 'config'], ['config', 'observe', 'config']]);
  s.db.close();

  // the operator edits the file while the daemon is down: the config wins at start
  const path2 = join(dir, 'b.db');
  const db2 = openDatabase(path2);
  const c2 = new ModeControl(new AuditLog(db2), 'observe', () => now);
  c2.setByAdmin('enforce', 'root', undefined);
  const c3 = new ModeControl(new AuditLog(db2), 'enforce', () => now);
  t.same([c3.mode, c3.view().source], ['enforce', 'config']);
  const c4 = new ModeControl(new AuditLog(db2), 'observe', () => now);
  t.same([c4.mode, c4.view().source], ['observe', 'config'], 'the admin\'s word was made under another config key: the config wins');
  db2.close();
});

t.test('readiness names what each class lacks', async (t) => {
  const cold = classReadiness({ class: 'gold', historySeconds: 0, model: null, modelRunId: null }, 7);
  t.same(cold.missing, ['history: 0 of 7 days', 'model: no trained model covers it yet (virtzone train, or the nightly run)']);
  t.equal(cold.ready, false);
  const partial = classReadiness({ class: 'gold', historySeconds: 2.57 * 86_400, model: 'lstm', modelRunId: 3 }, 7);
  t.same(partial.missing, ['history: 2.5 of 7 days']);
  t.equal(partial.historyDays, 2.57);
  const ready = classReadiness({ class: 'gold', historySeconds: 8 * 86_400, model: 'ets', modelRunId: 4 }, 7);
  t.same([ready.ready, ready.missing], [true, []]);
});

t.test('zone enforcement: degraded with the reason only when zones should be enforced', async (t) => {
  let managed = true;
  let enforcing = false;
  const z = new ZoneEnforcement(() => managed, () => enforcing);
  z.cannotManage('no usable cgroup hierarchy: /sys/fs/cgroup is read-only');
  t.same(z.check(), { ok: true, detail: 'observe mode: zones are planned and reported, not enforced' });
  enforcing = true;
  t.same(z.check(), { ok: false, detail: 'zones are not enforced: no usable cgroup hierarchy: /sys/fs/cgroup is read-only' });
  const z2 = new ZoneEnforcement(() => managed, () => enforcing);
  z2.attempt(['systemctl start machine-virtzone-gold.slice failed: Access denied']);
  t.match(z2.check(), { ok: false, detail: /not fully enforced: systemctl start machine-virtzone-gold\.slice failed: Access denied/ });
  z2.attempt([]);
  t.equal(z2.check().ok, true);
  managed = false;
  z2.attempt(['x']);
  t.equal(z2.check().ok, true, 'unmanaged: nothing to enforce');
});
