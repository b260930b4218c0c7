// GET/POST /v1/mode over the real socket: a fresh config observes, an admin switches (the
// audit row names the credential and the reason), bad bodies are 400s naming the field.
import t from 'tap';
import { closeAgents, call, removeDir, startHarness } from './helpers.js';

t.teardown(closeAgents);

t.test('the mode routes', async (t) => {
  const h = await startHarness();
  t.teardown(async () => {
    await h.close();
    removeDir(h.dir);
  });
  const s = { socket: h.socket };
  const first = await call(s, 'GET', '/v1/mode');
  t.equal(first.status, 200);
  t.match(first.json, { mode: 'observe', source: 'config', configMode: 'observe', by: 'config', wouldDo: null });

  for (const [body, field] of [
    [{ mode: 'enforcing' }, 'mode'],
    [{}, 'mode'],
    [{ mode: 'enforce', reason: '' }, 'reason'],
    [{ mode: 'enforce', force: true }, 'force'],
  ] as const) {
    const r = await call(s, 'POST', '/v1/mode', { body });
    t.equal(r.status, 400, `${JSON.stringify(body)}: 400`);
    t.match(r.headers['content-type'], /application\/problem\+json/);
    t.match(JSON.stringify(r.json), new RegExp(field), `${JSON.stringify(body)}: the problem names ${field}`);
  }
  t.equal((await call(s, 'GET', '/v1/mode')).json.mode, 'observe', 'nothing half-applied');

  const sw = await call(s, 'POST', '/v1/mode', { body: { mode: 'enforce', reason: 'plan reviewed' } });
  t.equal(sw.status, 200);
  t.match(sw.json, { mode: 'enforce', source: 'api', configMode: 'observe', by: 'root', changed: true });
  const again = await call(s, 'POST', '/v1/mode', { body: { mode: 'enforce' } });
  t.match(again.json, { mode: 'enforce', changed: false });
  const rows = h.audit.list({ action: 'set-mode', limit: 10 });
  t.same(
    rows.map((r) => [r.actor, (r.after as { mode: string }).mode, r.reason]),
    [
      ['root', 'enforce', 'set by root: plan reviewed'],
      ['config', 'observe', 'first start: mode observe from the configuration'],
    ],
  );
});
