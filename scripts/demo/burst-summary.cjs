// Summarises the demo's placement burst: one `virtzone place --json` answer per file,
// named <n>-<class>.json, counted per class by outcome.
const fs = require('node:fs');
const dir = process.argv[2];
const t = {};
for (const f of fs.readdirSync(dir).sort()) {
  const cls = f.replace(/^\d+-|\.json$/g, '');
  let r;
  try {
    r = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
  } catch {
    r = { decision: 'error' };
  }
  const k = r.decision !== 'placed' ? 'rejected' : r.overflow ? 'overflow' : r.borrowedFrom ? 'borrowed' : 'placed';
  (t[cls] ??= { placed: 0, borrowed: 0, overflow: 0, rejected: 0 })[k]++;
}
console.log(' class    in zone   borrowed   overflow-granted   rejected (429)');
for (const [c, v] of Object.entries(t)) {
  console.log(` ${c.padEnd(8)} ${String(v.placed).padStart(7)} ${String(v.borrowed).padStart(10)} ${String(v.overflow).padStart(18)} ${String(v.rejected).padStart(16)}`);
}
