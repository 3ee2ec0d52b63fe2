/**
 * Cost analytics for the dashboard: totals, breakdowns, trends, the most expensive workflows and
 * token usage. Every question takes an optional range (`from`/`to`, default the last 30 days), a
 * workflow filter and the caller's IANA time zone (for "today", "this week" — from Monday — and the
 * hour/day buckets). Money is integer micro-dollars; unpriced attempts are counted, never $0.
 * The CSV export of the ledger is the plain route `GET /api/analytics/export.csv`.
 */
import {
  analyticsFilterSchema,
  analyticsSummary,
  analyticsTrends,
  analyticsUsage,
  expensiveWorkflows,
  expensiveWorkflowsInputSchema,
  trendsInputSchema,
} from '@swarm/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../trpc.ts';

const filter = analyticsFilterSchema.optional().transform((f) => f ?? {});

export const analyticsRouter = {
  summary: authedProcedure
    .input(filter)
    .query(({ ctx, input }) => analyticsSummary(ctx.db, ctx.user.id, input)),

  trends: authedProcedure
    .input(trendsInputSchema)
    .query(({ ctx, input }) => analyticsTrends(ctx.db, ctx.user.id, input)),

  expensiveWorkflows: authedProcedure
    .input(expensiveWorkflowsInputSchema.optional().transform((f) => f ?? {}))
    .query(({ ctx, input }) => expensiveWorkflows(ctx.db, ctx.user.id, input)),

  usage: authedProcedure.input(filter).query(({ ctx, input }) => analyticsUsage(ctx.db, ctx.user.id, input)),
} satisfies TRPCRouterRecord;
