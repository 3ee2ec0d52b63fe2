/**
 * What the Prometheus endpoints report about the whole fleet rather than one process: queue depth
 * and the oldest queued run's age, circuit breakers per model, and budget spend. Read in one round
 * trip per scrape (the telemetry package caches it briefly), never per run: every API instance and
 * runner may answer a scrape, and each asks Postgres, the one place these facts live.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';

export interface MonitoringSnapshot {
  /** Runs waiting for a runner (`queued`). */
  queuedRuns: number;
  /** Runs a runner is executing (`running`). */
  runningRuns: number;
  /** Seconds since the oldest queued run was created; 0 when none waits. */
  oldestQueuedSeconds: number;
  /**
   * Circuit state of every model called in the last hour or with a breaker row (a model without
   * one is closed: rows are written when a circuit first opens).
   */
  breakers: Array<{ provider: string; model: string; state: string }>;
  /** Budgets by how much of this month's limit is spent: under 80%, 80–100%, at or past it. */
  budgets: { under80: number; from80: number; exhausted: number; maxSpendRatio: number };
}

interface SnapshotRow extends Record<string, unknown> {
  queued: number;
  running: number;
  oldest_seconds: number | string | null;
  breakers: Array<{ provider: string; model: string; state: string }> | null;
  under80: number;
  from80: number;
  exhausted: number;
  max_ratio: number | string | null;
}

export async function readMonitoringSnapshot(db: DbOrTx): Promise<MonitoringSnapshot> {
  // The status counts are served by the partial `executions_active_idx`; a budget only counts spend
  // of the current period (a stale period means nothing spent yet this month).
  const rows = await db.execute<SnapshotRow>(sql`
    select
      (select count(*)::int from executions where status = 'queued') as queued,
      (select count(*)::int from executions where status = 'running') as running,
      (select extract(epoch from now() - min(created_at)) from executions where status = 'queued')
        as oldest_seconds,
      (select json_agg(json_build_object('provider', m.provider, 'model', m.model,
                                         'state', coalesce(pb.state, 'closed'))
                       order by m.provider, m.model)
         from (select provider, model from provider_breakers
               union
               select provider, model from provider_health_buckets
                where bucket_start > now() - interval '1 hour') m
         left join provider_breakers pb on pb.provider = m.provider and pb.model = m.model)
        as breakers,
      b.under80, b.from80, b.exhausted, b.max_ratio
    from (
      select
        count(*) filter (where ratio < 0.8)::int as under80,
        count(*) filter (where ratio >= 0.8 and ratio < 1)::int as from80,
        count(*) filter (where ratio >= 1)::int as exhausted,
        max(ratio) as max_ratio
      from (
        select case when period = to_char(now() at time zone 'UTC', 'YYYY-MM')
                    then spent_micros::float8 / monthly_limit_micros else 0 end as ratio
        from budgets
      ) r
    ) b`);
  const row = rows[0];
  if (!row) throw new Error('monitoring snapshot returned no row');
  return {
    queuedRuns: row.queued,
    runningRuns: row.running,
    oldestQueuedSeconds: Math.max(0, Number(row.oldest_seconds ?? 0)),
    breakers: row.breakers ?? [],
    budgets: {
      under80: row.under80,
      from80: row.from80,
      exhausted: row.exhausted,
      maxSpendRatio: Number(row.max_ratio ?? 0),
    },
  };
}
