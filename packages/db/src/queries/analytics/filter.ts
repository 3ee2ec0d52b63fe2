/**
 * The question every analytics answer starts from: the filter (range, workflow, time zone) as the
 * API takes it, and its resolution — defaults, 15-minute boundaries, bounds and ownership checks.
 */
import { invalidInput, NotFoundError } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../client.ts';

const QUARTER_MS = 15 * 60_000;
export const DAY_MS = 86_400_000;
/** Longest range a question may cover (two years and a leap day). */
export const MAX_ANALYTICS_RANGE_DAYS = 731;
/** Hourly trends are for zooming in: at most this many days of hours (≈ 2,200 points). */
export const MAX_HOURLY_TREND_DAYS = 93;
/** Ranges without `from` cover this many days before `to`. */
export const DEFAULT_ANALYTICS_RANGE_DAYS = 30;
const EARLIEST = Date.UTC(2000, 0, 1);

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const instant = z.coerce
  .date({ error: 'a date and time (ISO 8601)' })
  .refine((d) => !Number.isNaN(d.getTime()), 'a date and time (ISO 8601)')
  .refine(
    (d) => d.getTime() >= EARLIEST && d.getTime() <= Date.now() + 366 * DAY_MS,
    'between 2000-01-01 and a year from now',
  );

/** The filters every analytics question takes (tRPC input, the CSV route's query string). */
export const analyticsFilterSchema = z.object({
  from: instant.optional(),
  to: instant.optional(),
  workflowId: z.uuid('not a valid id').optional(),
  timeZone: z
    .string()
    .max(64, 'an IANA time zone such as Europe/Berlin')
    .refine(isTimeZone, 'an IANA time zone such as Europe/Berlin')
    .optional(),
});
export type AnalyticsFilterInput = z.input<typeof analyticsFilterSchema>;
export type AnalyticsFilter = z.output<typeof analyticsFilterSchema>;

export const trendsInputSchema = analyticsFilterSchema.extend({ interval: z.enum(['hour', 'day']) });
export const expensiveWorkflowsInputSchema = analyticsFilterSchema.extend({
  limit: z.number().int('a whole number').min(1, 'at least 1').max(100, 'at most 100').optional(),
});

/** Options for tests and benches: the clock. */
export interface AnalyticsOptions {
  now?: Date;
}

export interface ResolvedRange {
  from: Date;
  to: Date;
  timeZone: string;
}

const floorQuarter = (ms: number) => Math.floor(ms / QUARTER_MS) * QUARTER_MS;
const ceilQuarter = (ms: number) => Math.ceil(ms / QUARTER_MS) * QUARTER_MS;

/**
 * Checks and resolves a filter: defaults (`to` = now, `from` = 30 days before `to`, UTC), widened
 * to 15-minute boundaries; a reversed or over-long range is a BAD_REQUEST naming the field. A workflow filter
 * must name one of the caller's workflows (a deleted one still counts: its spend stays in history
 * only when unfiltered).
 */
export async function resolveAnalyticsFilter(
  db: DbOrTx,
  ownerId: string,
  filter: AnalyticsFilter,
  options: AnalyticsOptions = {},
): Promise<ResolvedRange & { workflowId: string | null }> {
  const now = options.now ?? new Date();
  const toMs = ceilQuarter((filter.to ?? now).getTime());
  const fromMs = floorQuarter(filter.from?.getTime() ?? toMs - DEFAULT_ANALYTICS_RANGE_DAYS * DAY_MS);
  if (filter.from && filter.to && filter.from.getTime() > filter.to.getTime())
    throw invalidInput([{ path: 'to', message: 'must not be before from' }]);
  if (fromMs > toMs) throw invalidInput([{ path: 'from', message: 'must not be after to' }]);
  if (toMs - fromMs > MAX_ANALYTICS_RANGE_DAYS * DAY_MS)
    throw invalidInput([
      { path: 'from', message: `a range covers at most ${MAX_ANALYTICS_RANGE_DAYS} days (two years)` },
    ]);
  if (filter.workflowId) {
    const rows = await db.execute<{ id: string }>(
      sql`select id from workflows where id = ${filter.workflowId} and owner_id = ${ownerId}`,
    );
    if (rows.length === 0) throw new NotFoundError('workflow');
  }
  return {
    from: new Date(fromMs),
    to: new Date(toMs),
    timeZone: filter.timeZone ?? 'UTC',
    workflowId: filter.workflowId ?? null,
  };
}
