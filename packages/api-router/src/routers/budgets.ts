/**
 * Budgets: a monthly limit (calendar month, UTC) globally or per workflow, alert thresholds in
 * percent, and `blockWhenExceeded` (provider calls reserve against it atomically and triggers refuse
 * new runs once it is used up). `list` carries the month's spend and progress.
 */
import {
  createBudget,
  createBudgetSchema,
  deleteBudget,
  listBudgetAlerts,
  listBudgets,
  updateBudget,
  updateBudgetSchema,
} from '@swarm/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

export const budgetsRouter = {
  list: authedProcedure.query(({ ctx }) => listBudgets(ctx.db, ctx.user.id)),

  create: authedProcedure
    .input(createBudgetSchema)
    .mutation(({ ctx, input }) => createBudget(ctx.db, ctx.user.id, input)),

  update: authedProcedure
    .input(updateBudgetSchema)
    .mutation(({ ctx, input }) => updateBudget(ctx.db, ctx.user.id, input)),

  delete: authedProcedure
    .input(z.object({ id: z.uuid('not a valid id') }))
    .mutation(async ({ ctx, input }) => {
      await deleteBudget(ctx.db, ctx.user.id, input.id);
      return { ok: true };
    }),

  alerts: authedProcedure
    .input(
      z
        .object({
          limit: z.number().int('a whole number').min(1, 'at least 1').max(200, 'at most 200').optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listBudgetAlerts(ctx.db, ctx.user.id, { limit: input?.limit })),
} satisfies TRPCRouterRecord;
