// A daemon API for the CLI tests of `train`, `forecast` and `history` in daemon mode, built
// from the real parts the daemon is made of: the router (buildServer/listenApi) on a Unix
// socket, the store (SQLite, imported real traces), the forecaster's routine (training in a
// worker thread, checkpoints, predictions) and libvirt's test driver. It wires the two
// providers the CLI adds to RouterDeps — history and actions.trainStatus — the way the
// daemon is meant to. It runs inside the test process (tap's TypeScript loader also reaches
// the training worker thread); the CLI still runs as a child process.
import { validateConfig } from '../../core/config/load.js';
import { openHost } from '../../core/host/libvirt-host.js';
import { Store } from '../../core/store/store.js';
import { ModelCheckpoints } from '../../forecaster/checkpoint/checkpoint.js';
import { ForecastRoutine } from '../../forecaster/routines/forecast-routine.js';
import { buildServer, listenApi } from '../../router/server.js';

const silent = { info: () => {}, warn: () => {}, error: () => {} };

export async function startForecastApi(o: { db: string; socket: string; uri: string }) {
  const config = validateConfig({ api: { socket: o.socket }, zones: { manageCgroups: false } }, 'forecast-api');
  const store = Store.open(o.db);
  const routine = new ForecastRoutine({
    checkpoints: new ModelCheckpoints(store.db),
    reader: store,
    log: silent,
    schedule: '0 3 * * *',
    refreshMinutes: 60,
    lstm: false,
    quantile: config.partitioner.quantile,
    trainingDays: 21,
  });
  await routine.start();
  const host = await openHost(o.uri, { events: false });
  const server = await buildServer({
    config,
    db: store.db,
    zones: async () => [],
    forecasts: async (series) => routine.predictions({ series }),
    vms: async () => store.listVms().map((v) => ({ name: v.name, zone: v.class ?? 'general' })),
    history: async (series, since, until) => store.readRollups(series, since, until),
    actions: {
      plan: async () => ({}),
      repartition: async ({ dryRun }) => ({ dryRun }),
      train: async () => ({ runId: await routine.trainNow('manual') }),
      trainStatus: async () => ({ ...routine.status() }),
      modelAgeSeconds: async () => {
        const good = routine.status().lastGood;
        return good?.finishedAt ? Date.now() / 1000 - good.finishedAt : null;
      },
    },
    host,
    sweepIntervalMs: 0,
  });
  const api = await listenApi(server, config.api);
  return {
    routine,
    store,
    async close() {
      await api.close();
      await routine.stop();
      await host.close();
      store.close();
    },
  };
}
