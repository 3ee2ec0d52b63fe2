/** Totals for today, this week, this month and all time, in the caller's time zone. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { type CostFigure, costFigure, quarterRows, tsParam } from './figures.ts';

export interface PeriodTotals {
  today: CostFigure;
  thisWeek: CostFigure;
  thisMonth: CostFigure;
  allTime: CostFigure;
  /** Where "today", "this week" (from Monday) and "this month" begin, in the time zone asked for. */
  todayStart: Date;
  weekStart: Date;
  monthStart: Date;
}

/** Totals for today, this week (Monday first), this month and all time, in `timeZone`. */
export async function periodTotals(
  db: DbOrTx,
  ownerId: string,
  options: { workflowId: string | null; timeZone: string; now: Date },
): Promise<PeriodTotals> {
  const now = tsParam(options.now);
  const tz = options.timeZone;
  const [row] = await db.execute<Record<string, string | number | null>>(sql`
    with bounds as (
      select date_trunc('day', ${now}, ${tz}) as day, date_trunc('week', ${now}, ${tz}) as week,
        date_trunc('month', ${now}, ${tz}) as month
    )
    select
      (extract(epoch from b.day) * 1000)::float8 as day_ms,
      (extract(epoch from b.week) * 1000)::float8 as week_ms,
      (extract(epoch from b.month) * 1000)::float8 as month_ms,
      ${sql.raw(
        ['day', 'week', 'month', 'all']
          .map((p) => {
            const when = p === 'all' ? 'true' : `r.bucket_start >= b.${p}`;
            return `sum(r.attempts) filter (where ${when}) as ${p}_attempts,
              sum(r.priced_attempts) filter (where ${when}) as ${p}_priced,
              sum(r.unpriced_attempts) filter (where ${when}) as ${p}_unpriced,
              sum(r.no_usage_attempts) filter (where ${when}) as ${p}_no_usage,
              sum(r.failed_no_usage_attempts) filter (where ${when}) as ${p}_failed_no_usage,
              sum(r.cost_micros) filter (where ${when}) as ${p}_cost`;
          })
          .join(','),
      )}
    from bounds b
    left join cost_rollups r on ${quarterRows(ownerId, options.workflowId)} and r.bucket_start <= ${now}
    group by b.day, b.week, b.month
  `);
  const r = row!;
  const figure = (p: string) =>
    costFigure({
      attempts: r[`${p}_attempts`] ?? null,
      priced: r[`${p}_priced`] ?? null,
      unpriced: r[`${p}_unpriced`] ?? null,
      no_usage: r[`${p}_no_usage`] ?? null,
      failed_no_usage: r[`${p}_failed_no_usage`] ?? null,
      cost: r[`${p}_cost`] ?? null,
    });
  return {
    today: figure('day'),
    thisWeek: figure('week'),
    thisMonth: figure('month'),
    allTime: figure('all'),
    todayStart: new Date(Number(r.day_ms)),
    weekStart: new Date(Number(r.week_ms)),
    monthStart: new Date(Number(r.month_ms)),
  };
}
