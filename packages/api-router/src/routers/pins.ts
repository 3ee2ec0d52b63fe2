/**
 * Pinned node outputs of a workflow's draft (test data): listed, set and removed from the editor's
 * node panel. Only test runs use them (`runs.start({ test: true })`, `runs.testNode`); versions,
 * exports (unless `include.pins`) and real runs never see them.
 */
import { listPins, removePin, setPin } from '@swarm/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

const id = z.uuid('not a valid id');
const nodeId = z.string().trim().min(1, 'required').max(64);

export const pinsRouter = {
  list: authedProcedure
    .input(z.object({ workflowId: id }))
    .query(({ ctx, input }) => listPins(ctx.db, ctx.user.id, input.workflowId)),

  set: authedProcedure
    .input(z.object({ workflowId: id, nodeId, output: z.unknown() }))
    .mutation(({ ctx, input }) => setPin(ctx.db, ctx.user.id, input)),

  remove: authedProcedure.input(z.object({ workflowId: id, nodeId })).mutation(async ({ ctx, input }) => {
    await removePin(ctx.db, ctx.user.id, input);
    return { ok: true as const };
  }),
} satisfies TRPCRouterRecord;
