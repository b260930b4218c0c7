// @ts-check
// virtzone's web dashboard: polls the daemon's JSON API and draws zones, forecasts,
// placement decisions and the audit trail. A plain ES module (no build step, no framework;
// uPlot, loaded before it by index.html, draws the charts). Public static code: it holds no
// data; every number on the page comes from the API with the caller's credential.
//
// Credential: a bearer token in the URL fragment (#token=...), which browsers never send to
// a server; it is kept in sessionStorage (this tab only) and removed from the address bar.
// Without one, requests go without Authorization (the daemon's Unix socket side, through
// `virtzone dashboard`, which holds the real credential, requires its own session token).
// Query: ?poll=SECONDS changes the poll interval (default 10, at least 1).

/** @type {any} */
const uPlot = /** @type {any} */ (window).uPlot;

const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(1, Number(params.get('poll')) || 10) * 1000;
/** Rollups shown: the last 24 hours. */
const HISTORY_SECONDS = 24 * 3600;
const HORIZON_SECONDS = { '5m': 300, '30m': 1800, '24h': 86400 };
const HORIZONS = /** @type {const} */ (['5m', '30m', '24h']);
const HORIZON_COLORS = { '5m': '#16a34a', '30m': '#2563eb', '24h': '#9333ea' };
/** Polled zone samples kept per zone (a day at the default interval). */
const MAX_SAMPLES = 8640;
const MAX_RECENT = 50;
/** Audit actions of provisioning: a VM created in, or placed into, a zone. */
const PLACEMENT_ACTIONS = new Set(['create', 'place']);

const token = takeToken();

/** The token from #token=..., else the one this tab was given before. */
function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const given = fragment.get('token');
  if (given) {
    sessionStorage.setItem('virtzone.token', given);
    history.replaceState(null, '', location.pathname + location.search);
    return given;
  }
  return sessionStorage.getItem('virtzone.token');
}

/**
 * One GET of the API: { status, body } (body null when not JSON).
 * @param {string} path
 * @returns {Promise<{ status: number, body: any, text: string }>}
 */
async function get(path) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { headers, cache: 'no-store' });
  const text = await res.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* /metrics is text */
  }
  return { status: res.status, body, text };
}

// ---- state kept across polls ----

/** @type {Map<string, Array<{ t: number, size: number, used: number, reserved: number }>>} */
const samples = new Map();
/** @type {Map<string, any[]>} rollups by zone, ts ascending */
const rollups = new Map();
/** @type {Map<string, Map<string, any>>} predictions seen, by class, keyed horizon@origin (cpu only) */
const predictions = new Map();
/** @type {Map<string, number> | null} decision counters at the first poll */
let firstCounts = null;
/** @type {Map<string, number>} decision counters at the last poll */
let lastCounts = new Map();
/** @type {Array<{ t: number, zone: string, outcome: string, n: number }>} */
const recent = [];
/** @type {Map<string, any>} */
const charts = new Map();
/** @type {Map<string, number>} reservations per zone at the last poll */
const lastReservations = new Map();
let firstDrawn = false;

// ---- polling ----

/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
let polling = false;

async function poll() {
  if (polling) return;
  polling = true;
  clearTimeout(timer);
  try {
    await refresh();
    showProblem(null);
    setText('status', `updated ${clock(Date.now() / 1000)} · every ${POLL_MS / 1000} s`);
  } catch (err) {
    showProblem(err instanceof Error ? err.message : String(err));
  } finally {
    polling = false;
    if (document.visibilityState === 'visible') timer = setTimeout(poll, POLL_MS);
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    poll();
  } else {
    clearTimeout(timer);
    setText('status', 'paused (page hidden)');
  }
});

async function refresh() {
  const now = Date.now() / 1000;
  // each section is drawn as soon as its own answers are in: a slow one holds up only itself
  const zonesPart = get('/v1/zones').then(async (reply) => {
    if (reply.status === 401) throw new Error('the daemon wants a credential: open the address `virtzone dashboard` printed (it carries #token=...)');
    if (reply.status !== 200) throw new Error(`GET /v1/zones: ${reply.status} ${reply.body?.detail ?? reply.text.slice(0, 200)}`);
    /** @type {any[]} */
    const zones = reply.body;
    renderZones(zones);
    await Promise.all(zones.map(async (z) => {
      const known = rollups.get(z.name) ?? [];
      // only what is new since the last rollup held (which may have grown since)
      const since = known.length ? known[known.length - 1].ts : Math.floor(now - HISTORY_SECONDS);
      const h = await get(`/v1/series/class:${encodeURIComponent(z.name)}/history?since=${since}`);
      if (h.status === 200) rollups.set(z.name, mergeRollups(known, h.body.rollups, now - HISTORY_SECONDS));
    }));
    for (const z of zones) {
      const list = samples.get(z.name) ?? [];
      list.push({ t: now, size: z.allocation.cpuCores, used: z.used.cpuCores, reserved: z.reserved.cpuCores });
      if (list.length > MAX_SAMPLES) list.splice(0, list.length - MAX_SAMPLES);
      samples.set(z.name, list);
    }
    renderZoneCharts(zones, now);
  });
  const modePart = get('/v1/mode').then(async (reply) => {
    const mode = reply.status === 200 ? reply.body : null;
    renderMode(mode);
    // forecasts only for classes with a model: the others would answer 404 (none yet)
    const modelled = (mode?.classes ?? []).filter((/** @type {any} */ c) => c.model).map((/** @type {any} */ c) => c.class);
    await Promise.all(modelled.map(async (/** @type {string} */ cls) => {
      const f = await get(`/v1/forecasts/class:${encodeURIComponent(cls)}`);
      if (f.status !== 200) return;
      const seen = predictions.get(cls) ?? new Map();
      for (const p of f.body.predictions) if (p.resource === 'cpu') seen.set(`${p.horizon}@${p.origin}`, p);
      for (const [key, p] of seen) if (p.origin + HORIZON_SECONDS[/** @type {'5m'} */ (p.horizon)] < now - HISTORY_SECONDS) seen.delete(key);
      predictions.set(cls, seen);
    }));
    return mode;
  });
  // a forecast is drawn against the class's rollups: both parts first
  const forecastPart = Promise.all([zonesPart, modePart]).then(([, mode]) => renderForecastCharts(mode));
  const chartsDrawn = forecastPart.then(() => {
    if (firstDrawn) return;
    firstDrawn = true;
    performance.mark('dashboard-drawn');
    document.body.dataset.ready = 'true';
  });
  const decisionsPart = get('/metrics').then((reply) => renderDecisions(reply.status === 200 ? decisionCounts(reply.text) : null, now));
  const auditPart = get('/v1/audit?limit=50').then(renderAudit);
  const failed = (await Promise.allSettled([zonesPart, chartsDrawn, decisionsPart, auditPart])).find((r) => r.status === 'rejected');
  if (failed) throw /** @type {PromiseRejectedResult} */ (failed).reason;
}

/**
 * Rollups known plus those fetched: one per bucket (the fetched one wins: the last bucket grows), within the window.
 * @param {any[]} known @param {any[]} fetched @param {number} from
 */
function mergeRollups(known, fetched, from) {
  const byTs = new Map(known.map((r) => [r.ts, r]));
  for (const r of fetched) byTs.set(r.ts, r);
  return [...byTs.values()].filter((r) => r.ts >= from).sort((a, b) => a.ts - b.ts);
}

/**
 * virtzone_placement_decisions_total by "zone outcome", from the Prometheus text.
 * @param {string} text
 */
function decisionCounts(text) {
  /** @type {Map<string, number>} */
  const counts = new Map();
  const re = /^virtzone_placement_decisions_total\{zone="([^"]*)",outcome="([^"]*)"\} ([0-9.e+]+)$/gm;
  for (const m of text.matchAll(re)) counts.set(`${m[1]} ${m[2]}`, Number(m[3]));
  return counts;
}

// ---- rendering ----

/** @param {string} id @param {string} text */
function setText(id, text) {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}

/** @param {string | null} message */
function showProblem(message) {
  const el = /** @type {HTMLElement} */ (document.getElementById('problem'));
  el.hidden = message === null;
  el.textContent = message ?? '';
}

/** @param {number} t unix seconds */
function clock(t) {
  return new Date(t * 1000).toLocaleTimeString([], { hour12: false });
}

/** @param {number} x */
function num(x) {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** @param {{ cpuCores: number, memoryMiB: number } | undefined} r */
function res(r) {
  return r ? `${num(r.cpuCores)} cores · ${num(r.memoryMiB)} MiB` : '—';
}

/**
 * A table row of cells: [text, class?] pairs.
 * @param {Array<[string, string?]>} cells
 */
function row(cells) {
  const tr = document.createElement('tr');
  for (const [text, cls] of cells) {
    const td = document.createElement('td');
    td.textContent = text;
    if (cls) td.className = cls;
    tr.append(td);
  }
  return tr;
}

/** @param {string} tableId @param {HTMLTableRowElement[]} rows */
function fillTable(tableId, rows) {
  const body = /** @type {HTMLTableElement} */ (document.getElementById(tableId)).tBodies[0];
  body.replaceChildren(...rows);
}

/** @param {any} mode */
function renderMode(mode) {
  setText('mode', mode ? `mode: ${mode.mode}` : '');
}

/** @param {any[]} zones */
function renderZones(zones) {
  fillTable('zones', zones.map((z) => {
    const tr = row([
      [z.name, 'zone-name'],
      [z.state ?? '', `state-${z.state ?? ''}`],
      [res(z.allocation)],
      [res(z.used)],
      [res(z.forecastPeak)],
      [res(z.reserved)],
      [res(z.free)],
      [String(z.reservations), 'num reservations'],
      [String(z.vms.length), 'num'],
    ]);
    tr.dataset.zone = z.name;
    const before = lastReservations.get(z.name);
    if (before !== undefined && before !== z.reservations) tr.classList.add('changed');
    lastReservations.set(z.name, z.reservations);
    return tr;
  }));
}

/**
 * A chart in its container, made on first use and given new data after.
 * @param {string} key @param {HTMLElement} parent @param {string} title @param {() => any} options @param {any[]} data
 */
function drawChart(key, parent, title, options, data) {
  let entry = charts.get(key);
  if (!entry) {
    const box = document.createElement('div');
    box.className = 'chart';
    box.dataset.chart = key;
    const h = document.createElement('h4');
    h.textContent = title;
    box.append(h);
    parent.append(box);
    const opts = options();
    opts.width = Math.max(300, box.clientWidth - 12);
    entry = { box, plot: new uPlot(opts, data, box) };
    charts.set(key, entry);
  } else {
    entry.plot.setData(data);
  }
  entry.box.dataset.points = String(data[0].length);
}

/**
 * Columns aligned on one x (uPlot's data shape): each input maps x → y; missing points are null.
 * @param {Array<Map<number, number>>} columns
 */
function align(columns) {
  const xs = [...new Set(columns.flatMap((c) => [...c.keys()]))].sort((a, b) => a - b);
  return [xs, ...columns.map((c) => xs.map((x) => c.get(x) ?? null))];
}

/**
 * The band of a prediction: its lowest and highest quantiles.
 * @param {Record<string, number>} distribution
 */
function band(distribution) {
  const qs = Object.keys(distribution).sort((a, b) => Number(a) - Number(b));
  if (!qs.length) return null;
  return { lo: distribution[qs[0]], hi: distribution[qs[qs.length - 1]] };
}

/** @param {any[]} zones @param {number} now */
function renderZoneCharts(zones, now) {
  const parent = /** @type {HTMLElement} */ (document.getElementById('zone-charts'));
  for (const z of zones) {
    const size = new Map();
    const used = new Map();
    const reserved = new Map();
    const lo = new Map();
    const hi = new Map();
    const polled = samples.get(z.name) ?? [];
    const rolled = rollups.get(z.name) ?? [];
    // the size before the first poll is not known from the API: the first polled value stands for it
    const from = rolled.length ? rolled[0].ts : polled[0]?.t ?? now;
    if (polled.length) size.set(from, polled[0].size);
    for (const r of rolled) if (r.cpuMean !== null) used.set(r.ts, r.cpuMean);
    for (const s of polled) {
      size.set(s.t, s.size);
      used.set(s.t, s.used);
      reserved.set(s.t, s.reserved);
    }
    for (const p of (predictions.get(z.name) ?? new Map()).values()) {
      if (p.horizon !== '30m') continue;
      const b = band(p.distribution);
      if (!b) continue;
      const t = p.origin + HORIZON_SECONDS['30m'];
      lo.set(t, b.lo);
      hi.set(t, b.hi);
    }
    drawChart(`zone:${z.name}`, parent, `${z.name}`, () => ({
      height: 180,
      series: [
        {},
        { label: 'size', stroke: '#111827', width: 2, paths: uPlot.paths.stepped({ align: 1 }), spanGaps: true },
        { label: 'used', stroke: '#dc2626', width: 1.5, spanGaps: true },
        { label: 'reserved', stroke: '#f59e0b', width: 1.5, spanGaps: true },
        { label: 'forecast lo', stroke: '#93c5fd', spanGaps: true },
        { label: 'forecast hi', stroke: '#93c5fd', spanGaps: true },
      ],
      bands: [{ series: [5, 4], fill: 'rgba(37, 99, 235, 0.12)' }],
      axes: [{}, { label: 'cores', size: 50 }],
    }), align([size, used, reserved, lo, hi]));
  }
}

/** @param {any} mode */
function renderForecastCharts(mode) {
  const parent = /** @type {HTMLElement} */ (document.getElementById('forecast-charts'));
  for (const c of mode?.classes ?? []) {
    const key = `forecast:${c.class}`;
    const seen = predictions.get(c.class);
    if (!seen || !seen.size) {
      // no model yet: say why, from the daemon's own account of what is missing
      let note = parent.querySelector(`[data-note="${CSS.escape(c.class)}"]`);
      if (!note) {
        note = document.createElement('div');
        note.className = 'chart';
        note.setAttribute('data-note', c.class);
        parent.append(note);
      }
      note.textContent = `${c.class}: no forecast yet — ${(c.missing ?? []).join('; ') || 'none served'}`;
      continue;
    }
    parent.querySelector(`[data-note="${CSS.escape(c.class)}"]`)?.remove();
    const actual = new Map();
    for (const r of rollups.get(c.class) ?? []) if (r.cpuMax !== null) actual.set(r.ts, r.cpuMax);
    /** @type {Array<Map<number, number>>} */
    const columns = [actual];
    for (const h of HORIZONS) {
      const lo = new Map();
      const hi = new Map();
      for (const p of seen.values()) {
        if (p.horizon !== h) continue;
        const b = band(p.distribution);
        if (!b) continue;
        lo.set(p.origin + HORIZON_SECONDS[h], b.lo);
        hi.set(p.origin + HORIZON_SECONDS[h], b.hi);
      }
      columns.push(lo, hi);
    }
    drawChart(key, parent, `${c.class} — CPU peak and forecast quantile bands`, () => ({
      height: 180,
      series: [
        {},
        { label: 'peak', stroke: '#111827', width: 1.5, spanGaps: true },
        ...HORIZONS.flatMap((h) => [
          { label: `${h} lo`, stroke: HORIZON_COLORS[h], width: 1, spanGaps: true, points: { show: true, size: 3 } },
          { label: `${h} hi`, stroke: HORIZON_COLORS[h], width: 1, spanGaps: true, points: { show: true, size: 3 } },
        ]),
      ],
      bands: HORIZONS.map((h, i) => ({ series: [3 + 2 * i, 2 + 2 * i], fill: `${HORIZON_COLORS[h]}22` })),
      axes: [{}, { label: 'cores', size: 50 }],
    }), align(columns));
  }
}

/** @param {Map<string, number> | null} counts @param {number} now */
function renderDecisions(counts, now) {
  if (!counts) {
    fillTable('decisions', [row([['decision counts unavailable (GET /metrics failed)', 'note']])]);
    return;
  }
  if (!firstCounts) firstCounts = new Map(counts);
  else {
    for (const [key, n] of counts) {
      const delta = n - (lastCounts.get(key) ?? 0);
      if (delta > 0) {
        const [zone, outcome] = key.split(' ');
        recent.unshift({ t: now, zone, outcome, n: delta });
      }
    }
    recent.splice(MAX_RECENT);
  }
  lastCounts = counts;
  const keys = [...counts.keys()].sort();
  fillTable('decisions', keys.length
    ? keys.map((key) => {
      const [zone, outcome] = key.split(' ');
      const n = counts.get(key) ?? 0;
      return row([[zone], [outcome, `outcome-${outcome}`], [String(n), 'num'], [String(n - (firstCounts?.get(key) ?? 0)), 'num']]);
    })
    : [row([['no placement decided since the daemon started', 'note']])]);
  const list = /** @type {HTMLElement} */ (document.getElementById('recent'));
  list.replaceChildren(...(recent.length
    ? recent.map((e) => {
      const li = document.createElement('li');
      li.textContent = `${clock(e.t)} ${e.outcome} ×${e.n} in ${e.zone}`;
      li.className = `outcome-${e.outcome}`;
      return li;
    })
    : [Object.assign(document.createElement('li'), { textContent: 'none since this page opened', className: 'note' })]));
}

/** @param {{ status: number, body: any }} reply */
function renderAudit(reply) {
  const note = /** @type {HTMLElement} */ (document.getElementById('audit-note'));
  if (reply.status !== 200 || !Array.isArray(reply.body)) {
    note.hidden = false;
    note.textContent = reply.status === 404 ? 'this daemon serves no audit trail (GET /v1/audit)' : `GET /v1/audit: ${reply.status} ${reply.body?.detail ?? ''}`;
    fillTable('audit', []);
    fillTable('placement-audit', [row([['no audit trail to read', 'note']])]);
    return;
  }
  const placing = reply.body.filter((/** @type {any} */ a) => PLACEMENT_ACTIONS.has(a.action));
  fillTable('placement-audit', placing.length
    ? placing.map((/** @type {any} */ a) => row([[clock(a.ts)], [a.vm], [a.action], [a.result, `result-${a.result}`], [a.error ? `${a.reason} — ${a.error}` : a.reason, 'reason']]))
    : [row([['none among the latest audit rows', 'note']])]);
  note.hidden = reply.body.length > 0;
  note.textContent = 'no audit rows yet';
  fillTable('audit', reply.body.map((/** @type {any} */ a) => row([
    [`${new Date(a.ts * 1000).toLocaleDateString()} ${clock(a.ts)}`],
    [a.actor],
    [a.vm],
    [a.action],
    [a.result, `result-${a.result}`],
    [a.error ? `${a.reason} — ${a.error}` : a.reason, 'reason'],
  ])));
}

addEventListener('resize', () => {
  for (const { box, plot } of charts.values()) plot.setSize({ width: Math.max(300, box.clientWidth - 12), height: 180 });
});

poll();
