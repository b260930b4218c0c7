// The app profiles the router charges requests by, read from the store at most once per
// refresh interval: the query reads weeks of 5-minute rollups, which a placement must
// not pay for every time (the profiles move slowly — they are weeks of history).
import type { Config } from '../../core/config/schema.js';
import type { AppUseBucketRow } from '../../core/store/store.js';
import { appProfiles, emptyHistogram, RATIO_BUCKETS, type AppProfiles, type UseHistogram } from './app-profile.js';

/**
 * The bucket counts of every app's samples since `since` (unix seconds): Store.appUseBuckets,
 * in the daemon through a worker thread (core/store/app-use-reader.ts).
 */
export type AppUseSource = (since: number, buckets: number) => Promise<Iterable<AppUseBucketRow>> | Iterable<AppUseBucketRow>;

/** The store's bucket counts as one histogram per app. */
export function histogramsOf(rows: Iterable<AppUseBucketRow>): Map<string, UseHistogram> {
  const out = new Map<string, UseHistogram>();
  for (const r of rows) {
    let h = out.get(r.key);
    if (!h) out.set(r.key, (h = emptyHistogram()));
    if (r.cpuBucket !== null) h.cpu[Math.min(RATIO_BUCKETS, Math.max(0, r.cpuBucket))] += r.count;
    if (r.memoryBucket !== null) h.memory[Math.min(RATIO_BUCKETS, Math.max(0, r.memoryBucket))] += r.count;
  }
  return out;
}

const NONE: AppProfiles = new Map();

/**
 * Stale-while-revalidate: current() never waits — it answers with the last profiles read
 * and starts a read in the background when they are older than the refresh interval.
 */
export class AppProfileCache {
  private profiles: AppProfiles = NONE;
  private readAt = -Infinity;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly source: AppUseSource,
    /** read per call: a reloaded configuration applies at once */
    private readonly config: () => Pick<Config, 'router'>,
    /** unix ms */
    private readonly now: () => number = Date.now,
    private readonly refreshMs = 5 * 60_000,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /** The profiles as last read; none when app history is off (router.appHistoryDays 0). */
  current(): AppProfiles {
    if (this.config().router.appHistoryDays <= 0) return NONE;
    if (this.now() - this.readAt >= this.refreshMs && !this.reading) void this.refresh().catch(this.onError);
    return this.profiles;
  }

  /** Reads the profiles now (one read at a time: a call during a read shares it). */
  refresh(): Promise<void> {
    this.reading ??= this.read().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async read(): Promise<void> {
    const { appHistoryDays, appMinSamples, useRatioQuantile } = this.config().router;
    if (appHistoryDays <= 0) {
      this.profiles = NONE;
      return;
    }
    const t = this.now();
    // a failed read is retried at the next interval, not on every placement
    this.readAt = t;
    const since = Math.floor(t / 1000 - appHistoryDays * 86_400);
    this.profiles = appProfiles(histogramsOf(await this.source(since, RATIO_BUCKETS)), useRatioQuantile, appMinSamples);
  }
}
