// What a tenant's app has used relative to its VMs' sizes: the history the router's
// placement sizes new VMs of that app from (router/placement/app-profile.ts).
import { appKey } from '../model/app-key.js';
import type { Db } from './open.js';
import { PreparedStatements } from './statements.js';

/** How many 5-minute samples of one app fall in one ratio bucket of one resource (the other is null). */
export interface AppUseBucketRow {
  /** appKey(tenant, app) */
  key: string;
  cpuBucket: number | null;
  memoryBucket: number | null;
  count: number;
}

export class AppUseQueries {
  private readonly stmts: PreparedStatements;

  constructor(db: Db) {
    this.stmts = new PreparedStatements(db);
  }

  /**
   * Per tenant and app: how many 5-minute rollups since `since` (unix seconds) of the
   * app's VMs fall in each bucket of mean use over the VM's provisioned size — the
   * largest it has had (the auto-scaler moves VMs below their size; a new request asks
   * for the size). Bucket b of `buckets` per unit holds ratios in [b, b + 1) / buckets,
   * use above the size counts as the size; a row counts one resource (the other bucket
   * is null), unmeasured samples are not counted. Aggregated in SQL: weeks of rollups
   * come back as at most 2 x (buckets + 1) rows per app.
   */
  appUseBuckets(since: number, buckets: number): AppUseBucketRow[] {
    // CPU and memory are counted apart (a row holds one of them): grouped by both, an app
    // could come back as 101 x 101 rows; apart it is at most 2 x 101
    const rows = this.stmts
      .get(
        `WITH sizes AS (SELECT vm_id, max(vcpus) AS vcpus, max(memory_mib) AS memory_mib FROM vm_sizes GROUP BY vm_id),
              vm AS (SELECT v.id, v.name, v.tenant, v.app, coalesce(z.vcpus, v.vcpus) AS vcpus, coalesce(z.memory_mib, v.memory_mib) AS memory_mib
                     FROM vms v LEFT JOIN sizes z ON z.vm_id = v.id
                     WHERE v.tenant IS NOT NULL AND v.app IS NOT NULL),
              ratio AS MATERIALIZED (
                SELECT vm.tenant, vm.app,
                       CASE WHEN r.cpu_mean IS NULL OR vm.vcpus IS NULL OR vm.vcpus <= 0 THEN NULL
                            ELSE min(@b, CAST(max(0, r.cpu_mean) * @b / vm.vcpus + 1e-9 AS INTEGER)) END AS cb,
                       CASE WHEN r.mem_mean IS NULL OR vm.memory_mib IS NULL OR vm.memory_mib <= 0 THEN NULL
                            ELSE min(@b, CAST(max(0, r.mem_mean) * @b / vm.memory_mib + 1e-9 AS INTEGER)) END AS mb
                FROM vm
                JOIN series s ON s.key = 'vm:' || vm.name
                JOIN rollups r ON r.series_id = s.id AND r.ts >= @since)
         SELECT tenant, app, cb, NULL, count(*) FROM ratio WHERE cb IS NOT NULL GROUP BY tenant, app, cb
         UNION ALL
         SELECT tenant, app, NULL, mb, count(*) FROM ratio WHERE mb IS NOT NULL GROUP BY tenant, app, mb`,
      )
      .raw(true)
      .all({ since, b: buckets }) as Array<[string, string, number | null, number | null, number]>;
    return rows.map(([tenant, app, cb, mb, n]) => ({ key: appKey(tenant, app), cpuBucket: cb, memoryBucket: mb, count: n }));
  }
}
