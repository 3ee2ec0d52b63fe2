/**
 * Cost analytics over the attempt ledger: totals (today / this week / this month / all time in the
 * caller's time zone), breakdowns by workflow, version, provider, model and agent role, trends by
 * hour or day, most expensive workflows, token usage, cost of failures and the fallback rate.
 *
 * Reads `cost_rollups` (kept by triggers in the same transaction as the ledger rows, see
 * schema/analytics.ts) rather than the ledger, so a dashboard over a million attempts reads a few
 * thousand rows (BENCH B8). Totals, trends and run outcomes come from 15-minute buckets; breakdowns
 * from daily (UTC) rows for whole days plus 15-minute rows for the partial days at the ends of the
 * range. Ranges are widened to 15-minute boundaries (`from` rounded down, `to` up; the default
 * `to` is now, so the current quarter-hour is in) so every figure of one answer covers exactly the
 * same attempts.
 *
 * Money is integer micro-dollars. Unpriced attempts (no known price) are counted separately and
 * never added as $0: a figure made only of unpriced attempts has `costMicros: null`.
 */
import { invalidInput, NotFoundError } from '@swarm/engine';
import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../client.ts';

const QUARTER_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
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

export interface TokenUsage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

/** What every figure carries. */
export interface CostFigure {
  /** Sum of priced attempts; null when there were attempts but none of them could be priced. */
  costMicros: number | null;
  attempts: number;
  pricedAttempts: number;
  /** Attempts with no known price: their cost is unknown, not zero. */
  unpricedAttempts: number;
  /** Attempts that reported no usage (failed before the provider billed anything). */
  noUsageAttempts: number;
}

export interface DetailedFigure extends CostFigure {
  tokens: TokenUsage;
}

type RawMeasures = {
  attempts: string | number | null;
  priced: string | number | null;
  unpriced: string | number | null;
  no_usage: string | number | null;
  cost: string | number | null;
  input_tokens?: string | number | null;
  cache_read_tokens?: string | number | null;
  cache_write_tokens?: string | number | null;
  output_tokens?: string | number | null;
  reasoning_tokens?: string | number | null;
};

const num = (v: string | number | null | undefined) => (v === null || v === undefined ? 0 : Number(v));

function costFigure(row: RawMeasures): CostFigure {
  const attempts = num(row.attempts);
  const priced = num(row.priced);
  const unpriced = num(row.unpriced);
  return {
    costMicros: priced === 0 && unpriced > 0 ? null : num(row.cost),
    attempts,
    pricedAttempts: priced,
    unpricedAttempts: unpriced,
    noUsageAttempts: num(row.no_usage),
  };
}

function tokensOf(row: RawMeasures): TokenUsage {
  return {
    inputTokens: num(row.input_tokens),
    cacheReadTokens: num(row.cache_read_tokens),
    cacheWriteTokens: num(row.cache_write_tokens),
    outputTokens: num(row.output_tokens),
    reasoningTokens: num(row.reasoning_tokens),
  };
}

const detailed = (row: RawMeasures): DetailedFigure => ({ ...costFigure(row), tokens: tokensOf(row) });

const MEASURES = sql.raw(`
  sum(attempts) as attempts, sum(priced_attempts) as priced, sum(unpriced_attempts) as unpriced,
  sum(no_usage_attempts) as no_usage, sum(cost_micros) as cost, sum(input_tokens) as input_tokens,
  sum(cache_read_tokens) as cache_read_tokens, sum(cache_write_tokens) as cache_write_tokens,
  sum(output_tokens) as output_tokens, sum(reasoning_tokens) as reasoning_tokens`);

/** Which 15-minute rows answer: the owner's totals, or one workflow's. */
function quarterRows(ownerId: string, workflowId: string | null): SQL {
  return workflowId === null
    ? sql`owner_id = ${ownerId} and grain = 'quarter' and dimension = 'total' and workflow_id is null`
    : sql`workflow_id = ${workflowId} and grain = 'quarter' and dimension = 'workflow' and owner_id = ${ownerId}`;
}

function tsParam(d: Date): SQL {
  return sql`${d.toISOString()}::timestamptz`;
}

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

export interface RangeFigures extends DetailedFigure {
  failures: {
    /** Attempts that ended in an error, and what those cost. */
    failedAttempts: number;
    failedAttemptCostMicros: number;
    /** Runs that failed in the range, and what all their attempts cost. */
    failedRuns: number;
    failedRunCostMicros: number;
  };
  fallback: {
    fallbackAttempts: number;
    retryAttempts: number;
    /** Share of attempts served by a fallback provider/model (0–1); null without attempts. */
    fallbackRate: number | null;
  };
  runs: {
    succeeded: number;
    failed: number;
    cancelled: number;
    succeededCostMicros: number;
    /**
     * Average cost of a fully priced successful run; null without any. Runs with an unpriced
     * attempt are left out (their cost is unknown, never $0) and counted in `succeededUnpriced`.
     */
    costPerSuccessfulRunMicros: number | null;
    succeededUnpriced: number;
  };
}

/**
 * Cost per successful run over the fully priced ones only: a run with an unpriced attempt has an
 * unknown cost, so it is counted apart instead of lowering the average as if it were $0.
 */
function costPerSuccessfulRun(r: Record<string, string | number | null | undefined>): {
  costPerSuccessfulRunMicros: number | null;
  succeededUnpriced: number;
} {
  const succeededUnpriced = num(r.runs_succeeded_unpriced);
  const pricedRuns = num(r.runs_succeeded) - succeededUnpriced;
  const pricedCost = num(r.succeeded_cost) - num(r.succeeded_unpriced_cost);
  return {
    costPerSuccessfulRunMicros: pricedRuns <= 0 ? null : Math.round(pricedCost / pricedRuns),
    succeededUnpriced,
  };
}

async function rangeFigures(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
): Promise<RangeFigures> {
  const [row] = await db.execute<Record<string, string | number | null>>(sql`
    select ${MEASURES},
      sum(failed_attempts) as failed_attempts, sum(failed_attempt_cost_micros) as failed_attempt_cost,
      sum(fallback_attempts) as fallback_attempts, sum(retry_attempts) as retry_attempts,
      sum(runs_succeeded) as runs_succeeded, sum(runs_failed) as runs_failed, sum(runs_cancelled) as runs_cancelled,
      sum(succeeded_run_cost_micros) as succeeded_cost, sum(failed_run_cost_micros) as failed_run_cost,
      sum(runs_succeeded_unpriced) as runs_succeeded_unpriced,
      sum(succeeded_unpriced_run_cost_micros) as succeeded_unpriced_cost
    from cost_rollups
    where ${quarterRows(ownerId, range.workflowId)}
      and bucket_start >= ${tsParam(range.from)} and bucket_start < ${tsParam(range.to)}
  `);
  const r = row! as unknown as RawMeasures & Record<string, string | number | null>;
  const figure = detailed(r);
  const succeeded = num(r.runs_succeeded);
  const succeededCost = num(r.succeeded_cost);
  return {
    ...figure,
    failures: {
      failedAttempts: num(r.failed_attempts),
      failedAttemptCostMicros: num(r.failed_attempt_cost),
      failedRuns: num(r.runs_failed),
      failedRunCostMicros: num(r.failed_run_cost),
    },
    fallback: {
      fallbackAttempts: num(r.fallback_attempts),
      retryAttempts: num(r.retry_attempts),
      fallbackRate: figure.attempts === 0 ? null : num(r.fallback_attempts) / figure.attempts,
    },
    runs: {
      succeeded,
      failed: num(r.runs_failed),
      cancelled: num(r.runs_cancelled),
      succeededCostMicros: succeededCost,
      ...costPerSuccessfulRun(r),
    },
  };
}

/**
 * A breakdown's source rows: daily roll-ups for the whole UTC days inside the range, plus 15-minute
 * roll-ups for the partial days at either end (migration 0010). Without a workflow filter, model
 * and role rows are the owner-level ones (`workflow_id` null: a few per day, not one per workflow);
 * version rows are always per workflow.
 */
function breakdownSource(
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
  dimension: 'version' | 'model' | 'role',
  keys: string,
): SQL {
  const fromMs = range.from.getTime();
  const toMs = range.to.getTime();
  const firstFullDay = Math.ceil(fromMs / DAY_MS) * DAY_MS;
  const endFullDays = Math.floor(toMs / DAY_MS) * DAY_MS;
  const scope =
    range.workflowId !== null
      ? sql`workflow_id = ${range.workflowId} and owner_id = ${ownerId}`
      : dimension === 'version'
        ? sql`owner_id = ${ownerId}`
        : sql`owner_id = ${ownerId} and workflow_id is null`;
  const columns = sql.raw(`${keys}, attempts, priced_attempts, unpriced_attempts, no_usage_attempts,
    cost_micros, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens`);
  const rowsOf = (grain: 'quarter' | 'day', a: number, b: number) =>
    sql`select ${columns} from cost_rollups where ${scope} and grain = ${grain} and dimension = ${dimension}
      and bucket_start >= ${tsParam(new Date(a))} and bucket_start < ${tsParam(new Date(b))}`;
  if (firstFullDay >= endFullDays) return rowsOf('quarter', fromMs, toMs);
  const parts = [rowsOf('day', firstFullDay, endFullDays)];
  if (fromMs < firstFullDay) parts.push(rowsOf('quarter', fromMs, firstFullDay));
  if (endFullDays < toMs) parts.push(rowsOf('quarter', endFullDays, toMs));
  return sql.join(parts, sql` union all `);
}

export interface WorkflowBreakdown extends DetailedFigure {
  workflowId: string;
  /** Null when the workflow has since been deleted. */
  name: string | null;
}
export interface VersionBreakdown extends DetailedFigure {
  workflowId: string;
  /** Null for runs of the draft. */
  versionId: string | null;
  versionNumber: number | null;
}
export interface ProviderBreakdown extends DetailedFigure {
  provider: string;
}
export interface ModelBreakdown extends DetailedFigure {
  provider: string;
  model: string;
}
export interface AgentRoleBreakdown extends DetailedFigure {
  /** Null for attempts of nodes without a role. */
  agentRole: string | null;
}

function addFigures(a: DetailedFigure, b: DetailedFigure): DetailedFigure {
  const priced = a.pricedAttempts + b.pricedAttempts;
  const unpriced = a.unpricedAttempts + b.unpricedAttempts;
  const cost = (a.costMicros ?? 0) + (b.costMicros ?? 0);
  return {
    costMicros: priced === 0 && unpriced > 0 ? null : cost,
    attempts: a.attempts + b.attempts,
    pricedAttempts: priced,
    unpricedAttempts: unpriced,
    noUsageAttempts: a.noUsageAttempts + b.noUsageAttempts,
    tokens: {
      inputTokens: a.tokens.inputTokens + b.tokens.inputTokens,
      cacheReadTokens: a.tokens.cacheReadTokens + b.tokens.cacheReadTokens,
      cacheWriteTokens: a.tokens.cacheWriteTokens + b.tokens.cacheWriteTokens,
      outputTokens: a.tokens.outputTokens + b.tokens.outputTokens,
      reasoningTokens: a.tokens.reasoningTokens + b.tokens.reasoningTokens,
    },
  };
}

const byCostDesc = (a: CostFigure, b: CostFigure) =>
  (b.costMicros ?? -1) - (a.costMicros ?? -1) || b.attempts - a.attempts;

async function versionBreakdown(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
): Promise<{ byVersion: VersionBreakdown[]; byWorkflow: WorkflowBreakdown[] }> {
  const rows = await db.execute<
    RawMeasures & {
      workflow_id: string;
      version_id: string | null;
      number: number | null;
      name: string | null;
    }
  >(sql`
    select s.workflow_id, s.version_id, v.number, w.name, ${MEASURES}
    from (${breakdownSource(ownerId, range, 'version', 'workflow_id, version_id')}) s
    left join workflow_versions v on v.id = s.version_id
    left join workflows w on w.id = s.workflow_id
    group by s.workflow_id, s.version_id, v.number, w.name
  `);
  const byVersion = rows.map((r) => ({
    workflowId: r.workflow_id,
    versionId: r.version_id,
    versionNumber: r.number === null ? null : Number(r.number),
    ...detailed(r),
  }));
  const workflows = new Map<string, WorkflowBreakdown>();
  for (const [i, v] of byVersion.entries()) {
    const { workflowId, versionId: _v, versionNumber: _n, ...figure } = v;
    const seen = workflows.get(workflowId);
    workflows.set(
      workflowId,
      seen ? { ...seen, ...addFigures(seen, figure) } : { workflowId, name: rows[i]!.name, ...figure },
    );
  }
  return { byVersion: byVersion.sort(byCostDesc), byWorkflow: [...workflows.values()].sort(byCostDesc) };
}

async function modelBreakdown(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
): Promise<{ byModel: ModelBreakdown[]; byProvider: ProviderBreakdown[] }> {
  const rows = await db.execute<RawMeasures & { provider: string; model: string }>(sql`
    select s.provider, s.model, ${MEASURES}
    from (${breakdownSource(ownerId, range, 'model', 'provider, model')}) s
    group by s.provider, s.model
  `);
  const byModel = rows.map((r) => ({ provider: r.provider, model: r.model, ...detailed(r) }));
  const providers = new Map<string, ProviderBreakdown>();
  for (const { provider, model: _m, ...figure } of byModel) {
    const seen = providers.get(provider);
    providers.set(provider, seen ? { provider, ...addFigures(seen, figure) } : { provider, ...figure });
  }
  return { byModel: byModel.sort(byCostDesc), byProvider: [...providers.values()].sort(byCostDesc) };
}

async function roleBreakdown(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
): Promise<AgentRoleBreakdown[]> {
  const rows = await db.execute<RawMeasures & { agent_role: string | null }>(sql`
    select s.agent_role, ${MEASURES}
    from (${breakdownSource(ownerId, range, 'role', 'agent_role')}) s
    group by s.agent_role
  `);
  return rows.map((r) => ({ agentRole: r.agent_role, ...detailed(r) })).sort(byCostDesc);
}

export interface AnalyticsSummary {
  range: ResolvedRange & { workflowId: string | null };
  totals: PeriodTotals;
  /** Everything in the range. */
  period: RangeFigures;
  byWorkflow: WorkflowBreakdown[];
  byVersion: VersionBreakdown[];
  byProvider: ProviderBreakdown[];
  byModel: ModelBreakdown[];
  byAgentRole: AgentRoleBreakdown[];
}

export async function analyticsSummary(
  db: DbOrTx,
  ownerId: string,
  filter: AnalyticsFilter,
  options: AnalyticsOptions = {},
): Promise<AnalyticsSummary> {
  const now = options.now ?? new Date();
  const range = await resolveAnalyticsFilter(db, ownerId, filter, { now });
  const [totals, period, versions, models, roles] = await Promise.all([
    periodTotals(db, ownerId, { workflowId: range.workflowId, timeZone: range.timeZone, now }),
    rangeFigures(db, ownerId, range),
    versionBreakdown(db, ownerId, range),
    modelBreakdown(db, ownerId, range),
    roleBreakdown(db, ownerId, range),
  ]);
  return {
    range,
    totals,
    period,
    byWorkflow: versions.byWorkflow,
    byVersion: versions.byVersion,
    byProvider: models.byProvider,
    byModel: models.byModel,
    byAgentRole: roles,
  };
}

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
        sum(no_usage_attempts) as no_usage, sum(cost_micros) as cost, sum(failed_attempts) as failed_attempts,
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

export interface ExpensiveWorkflow extends WorkflowBreakdown {
  runsSucceeded: number;
  runsFailed: number;
  /** As in the summary: fully priced successful runs only; the others counted in `succeededUnpriced`. */
  costPerSuccessfulRunMicros: number | null;
  succeededUnpriced: number;
}

/** The workflows that cost most in the range, with their run outcomes. */
export async function expensiveWorkflows(
  db: DbOrTx,
  ownerId: string,
  input: AnalyticsFilter & { limit?: number | undefined },
  options: AnalyticsOptions = {},
): Promise<{ range: ResolvedRange & { workflowId: string | null }; items: ExpensiveWorkflow[] }> {
  const range = await resolveAnalyticsFilter(db, ownerId, input, options);
  const { byWorkflow } = await versionBreakdown(db, ownerId, range);
  const top = byWorkflow.slice(0, input.limit ?? 10);
  const runs = new Map<string, Record<string, string | number | null>>();
  if (top.length > 0) {
    const rows = await db.execute<Record<string, string | number | null>>(sql`
      select workflow_id, sum(runs_succeeded) as succeeded, sum(runs_failed) as failed,
        sum(succeeded_run_cost_micros) as succeeded_cost, sum(runs_succeeded_unpriced) as runs_succeeded_unpriced,
        sum(succeeded_unpriced_run_cost_micros) as succeeded_unpriced_cost
      from cost_rollups
      where workflow_id in (${sql.join(
        top.map((w) => sql`${w.workflowId}::uuid`),
        sql`, `,
      )}) and grain = 'quarter' and dimension = 'workflow' and owner_id = ${ownerId}
        and bucket_start >= ${tsParam(range.from)} and bucket_start < ${tsParam(range.to)}
      group by workflow_id
    `);
    for (const r of rows) runs.set(String(r.workflow_id), r);
  }
  return {
    range,
    items: top.map((w) => {
      const r = runs.get(w.workflowId);
      const succeeded = num(r?.succeeded);
      return {
        ...w,
        runsSucceeded: succeeded,
        runsFailed: num(r?.failed),
        ...costPerSuccessfulRun({ ...r, runs_succeeded: succeeded }),
      };
    }),
  };
}

export interface AnalyticsUsage {
  range: ResolvedRange & { workflowId: string | null };
  tokens: TokenUsage;
  byModel: ModelBreakdown[];
}

/** Token usage by bucket (input, cache read, cache write, output, reasoning), overall and per model. */
export async function analyticsUsage(
  db: DbOrTx,
  ownerId: string,
  filter: AnalyticsFilter,
  options: AnalyticsOptions = {},
): Promise<AnalyticsUsage> {
  const range = await resolveAnalyticsFilter(db, ownerId, filter, options);
  const { byModel } = await modelBreakdown(db, ownerId, range);
  const tokens = byModel.reduce<TokenUsage>(
    (sum, m) => ({
      inputTokens: sum.inputTokens + m.tokens.inputTokens,
      cacheReadTokens: sum.cacheReadTokens + m.tokens.cacheReadTokens,
      cacheWriteTokens: sum.cacheWriteTokens + m.tokens.cacheWriteTokens,
      outputTokens: sum.outputTokens + m.tokens.outputTokens,
      reasoningTokens: sum.reasoningTokens + m.tokens.reasoningTokens,
    }),
    { inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 },
  );
  return { range, tokens, byModel };
}

/** One ledger row of the CSV export. */
export type CostExportRow = {
  id: string;
  /** ISO 8601, UTC. */
  started_at: string;
  execution_id: string;
  workflow_id: string;
  workflow_name: string | null;
  version_id: string | null;
  version_number: number | null;
  node_id: string;
  agent_role: string | null;
  requested_provider: string;
  requested_model: string;
  served_provider: string;
  served_model: string;
  reason: string;
  error_class: string | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_micros: string | null;
  cost_status: string;
};

/**
 * The ledger rows of a range in batches (keyset over `(started_at, id)`), so an export of millions
 * of rows holds one batch in memory at a time.
 */
export async function* exportCostRows(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
  batchSize = 2000,
): AsyncGenerator<CostExportRow[]> {
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const query = sql`
      select c.id, to_char(c.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as started_at,
        c.started_at::text as started_at_text, c.execution_id, c.workflow_id,
        w.name as workflow_name, e.version_id, v.number as version_number, c.node_id, c.agent_role,
        c.requested_provider, c.requested_model, c.served_provider, c.served_model, c.reason, c.error_class,
        c.input_tokens, c.cache_read_tokens, c.cache_write_tokens, c.output_tokens, c.reasoning_tokens,
        c.cost_micros::text as cost_micros, c.cost_status
      from execution_costs c
      join executions e on e.id = c.execution_id
      left join workflows w on w.id = c.workflow_id
      left join workflow_versions v on v.id = e.version_id
      where c.owner_id = ${ownerId}
        ${range.workflowId === null ? sql`` : sql`and c.workflow_id = ${range.workflowId}`}
        and c.started_at >= ${tsParam(range.from)} and c.started_at < ${tsParam(range.to)}
        ${
          after === null
            ? sql``
            : // The plain bound lets the (owner, started_at) index start where the last batch ended.
              sql`and c.started_at >= ${after.at}::timestamptz
                and (c.started_at, c.id) > (${after.at}::timestamptz, ${after.id}::uuid)`
        }
      order by c.started_at, c.id
      limit ${batchSize}
    `;
    // Served in order by the (owner | workflow, started_at, id) indexes of migration 0009.
    const rows: CostExportRow[] = await db.execute<CostExportRow & { started_at_text: string }>(query);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1] as CostExportRow & { started_at_text: string };
    after = { at: last.started_at_text, id: last.id };
  }
}
