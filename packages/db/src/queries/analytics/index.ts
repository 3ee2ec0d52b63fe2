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
 *
 * The question and its resolution: filter.ts; the figures and shared SQL: figures.ts; one file per
 * answer (totals, summary, breakdowns, trends, usage, export).
 */

export type {
  AgentRoleBreakdown,
  ModelBreakdown,
  ProviderBreakdown,
  VersionBreakdown,
  WorkflowBreakdown,
} from './breakdowns.ts';
export { type CostExportRow, exportCostRows } from './export.ts';
export type { CostFigure, DetailedFigure, TokenUsage } from './figures.ts';
export {
  type AnalyticsFilter,
  type AnalyticsFilterInput,
  type AnalyticsOptions,
  analyticsFilterSchema,
  DEFAULT_ANALYTICS_RANGE_DAYS,
  expensiveWorkflowsInputSchema,
  MAX_ANALYTICS_RANGE_DAYS,
  MAX_HOURLY_TREND_DAYS,
  type ResolvedRange,
  resolveAnalyticsFilter,
  trendsInputSchema,
} from './filter.ts';
export {
  type AnalyticsSummary,
  analyticsSummary,
  type ExpensiveWorkflow,
  expensiveWorkflows,
  type RangeFigures,
} from './summary.ts';
export { type PeriodTotals, periodTotals } from './totals.ts';
export { type AnalyticsTrends, analyticsTrends, type TrendPoint } from './trends.ts';
export { type AnalyticsUsage, analyticsUsage } from './usage.ts';
