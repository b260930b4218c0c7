// Parsers for option values shared by subcommands. Each failure is a usage error
// (exit 2) that names the option and shows what is accepted.
import { usageError } from './output.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * A point in time as unix seconds: ISO 8601 ("2013-07-01", "2013-07-01T12:00:00Z"),
 * relative to now ("-2h", "-7d", "-30m", "-1w", "-90s"), "now", or unix seconds.
 */
export function parseTimeArg(value: string, option: string, nowSeconds = Math.floor(Date.now() / 1000)): number {
  const v = value.trim();
  if (v === 'now') return nowSeconds;
  const rel = /^-(\d+(?:\.\d+)?)([smhdw])$/.exec(v);
  if (rel) return Math.floor(nowSeconds - Number(rel[1]) * UNIT_SECONDS[rel[2]]);
  if (/^\d{9,11}$/.test(v)) return Number(v);
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) {
    // a date or a date-time without zone is taken as UTC, like everything virtzone prints
    const iso = v.replace(' ', 'T');
    const withZone = /T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso + 'Z' : iso;
    const ms = Date.parse(withZone);
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw usageError(
    `${option}: ${JSON.stringify(value)} is not a time: expected ISO 8601 (2013-07-01T12:00:00Z), a relative time (-2h, -7d, -30m, -1w), "now" or unix seconds`,
  );
}
