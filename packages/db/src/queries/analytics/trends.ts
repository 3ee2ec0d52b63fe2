/** Trends of a range by hour or day, zero-filled, in the caller's time zone. */
import { invalidInput } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { type CostFigure, costFigure, num, quarterRows, type RawMeasures, tsParam } from './figures.ts';
import {
  type AnalyticsFilter,
  type AnalyticsOptions,
  DAY_MS,
  MAX_HOURLY_TREND_DAYS,
  type ResolvedRange,
  resolveAnalyticsFilter,
} from './filter.ts';

export interface TrendPoint extends CostFigure {
  /** Start of the hour or day in the time zone asked for. */
  start: Date;
  failedAttempts: number;
  fallbackAttempts: number;
  runsSucceeded: number;
  runsFailed: number;
}

export interface AnalyticsTrends {
  range: ResolvedRange & { workflowId: string | null };
  interval: 'hour' | 'day';
  /** Every hour or day of the range, in order, zero-filled. */
  points: TrendPoint[];
}

export async function analyticsTrends(
  db: DbOrTx,
  ownerId: string,
  input: AnalyticsFilter & { interval: 'hour' | 'day' },
  options: AnalyticsOptions = {},
): Promise<AnalyticsTrends> {
  const range = await resolveAnalyticsFilter(db, ownerId, input, options);
  if (input.interval === 'hour' && range.to.getTime() - range.from.getTime() > MAX_HOURLY_TREND_DAYS * DAY_MS)
    throw invalidInput([
      { path: 'interval', message: `hourly trends cover at most ${MAX_HOURLY_TREND_DAYS} days; use day` },
    ]);
  const tz = range.timeZone;
  const from = tsParam(range.from);
  const to = tsParam(range.to);
  // Buckets are generated in local time so days stay days across DST changes.
  const series =
    input.interval === 'day'
      ? sql`select (g at time zone ${tz}) as start from generate_series(
          date_trunc('day', ${from}, ${tz}) at time zone ${tz},
          (${to} - interval '1 millisecond') at time zone ${tz}, interval '1 day') g`
      : sql`select g as start from generate_series(
          date_trunc('hour', ${from}, ${tz}), ${to} - interval '1 millisecond', interval '1 hour') g`;
  const rows =
    range.to.getTime() === range.from.getTime()
      ? []
      : await db.execute<RawMeasures & Record<string, string | number | null>>(sql`
    with data as (
      select date_trunc(${input.interval}, bucket_start, ${tz}) as start,
        sum(attempts) as attempts, sum(priced_attempts) as priced, sum(unpriced_attempts) as unpriced,
        sum(no_usage_attempts) as no_usage, sum(failed_no_usage_attempts) as failed_no_usage,
        sum(cost_micros) as cost, sum(failed_attempts) as failed_attempts,
        sum(fallback_attempts) as fallback_attempts, sum(runs_succeeded) as runs_succeeded,
        sum(runs_failed) as runs_failed
      from cost_rollups
      where ${quarterRows(ownerId, range.workflowId)} and bucket_start >= ${from} and bucket_start < ${to}
      group by 1
    )
    select (extract(epoch from s.start) * 1000)::float8 as start_ms, d.*
    from (${series}) s left join data d on d.start = s.start
    order by s.start
  `);
  return {
    range,
    interval: input.interval,
    points: rows.map((r) => ({
      start: new Date(Number(r.start_ms)),
      ...costFigure(r),
      failedAttempts: num(r.failed_attempts),
      fallbackAttempts: num(r.fallback_attempts),
      runsSucceeded: num(r.runs_succeeded),
      runsFailed: num(r.runs_failed),
    })),
  };
}
