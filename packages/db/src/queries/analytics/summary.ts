/** The analytics summary of a range (totals, failures, fallbacks, run outcomes, breakdowns) and its most expensive workflows. */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import {
  type AgentRoleBreakdown,
  type ModelBreakdown,
  modelBreakdown,
  type ProviderBreakdown,
  roleBreakdown,
  type VersionBreakdown,
  versionBreakdown,
  type WorkflowBreakdown,
} from './breakdowns.ts';
import {
  costPerSuccessfulRun,
  type DetailedFigure,
  detailed,
  MEASURES,
  num,
  quarterRows,
  type RawMeasures,
  tsParam,
} from './figures.ts';
import {
  type AnalyticsFilter,
  type AnalyticsOptions,
  type ResolvedRange,
  resolveAnalyticsFilter,
} from './filter.ts';
import { type PeriodTotals, periodTotals } from './totals.ts';

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
     * Average cost of a fully priced successful run; null without any. Runs with an attempt of
     * unknown cost (unpriced, or answered without usage) are left out (their cost is unknown,
     * never $0) and counted in `succeededUnpriced` (same number as `succeededUnknownCost`).
     */
    costPerSuccessfulRunMicros: number | null;
    succeededUnpriced: number;
    succeededUnknownCost: number;
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
