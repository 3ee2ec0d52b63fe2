/** How much schedule history is kept, and the pruning the runner's hourly maintenance runs. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { executions, scheduleFires } from '../../schema/index.ts';

/** How much history each schedule keeps (the runner's hourly maintenance prunes the rest). */
export const SCHEDULE_HISTORY_RETENTION = { maxAgeMs: 90 * 86_400_000, maxPerSchedule: 1000 };

/**
 * Prunes schedule history: occurrences older than `maxAgeMs` or beyond the newest `maxPerSchedule`
 * of their schedule — a per-minute schedule would otherwise add half a million rows a year. Never a
 * `queued` occurrence or one whose run is still queued or running (its retries hang off it). Runs
 * stay (their link to the occurrence becomes null). Returns how many rows went.
 */
export async function pruneScheduleFires(
  db: DbOrTx,
  options: { now?: Date | undefined; maxAgeMs?: number; maxPerSchedule?: number } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  const maxAgeMs = options.maxAgeMs ?? SCHEDULE_HISTORY_RETENTION.maxAgeMs;
  const maxPerSchedule = options.maxPerSchedule ?? SCHEDULE_HISTORY_RETENTION.maxPerSchedule;
  const cutoff = new Date(now.getTime() - maxAgeMs).toISOString();
  const deleted = await db.execute<{ id: string }>(sql`
    delete from ${scheduleFires} where id in (
      select id from (
        select f.id, f.fire_at, f.outcome,
          row_number() over (partition by f.schedule_id order by f.fire_at desc) as n
        from ${scheduleFires} f
      ) ranked
      where (ranked.fire_at < ${cutoff}::timestamptz or ranked.n > ${maxPerSchedule})
        and ranked.outcome <> 'queued'
        and not exists (
          select 1 from ${executions} e
          where e.schedule_fire_id = ranked.id and e.status in ('queued', 'running'))
      limit 50000)
    returning id`);
  return deleted.length;
}
