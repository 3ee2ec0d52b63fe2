import { attachTag, createTag, deleteTag, detachTag, listTags, updateTag } from '@swarm/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

const id = z.uuid('not a valid id');
const name = z.string().trim().min(1, 'required').max(50, 'at most 50 characters');
const color = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'a hex colour like #7c3aed')
  .transform((c) => c.toLowerCase());
const link = z.object({ workflowId: id, tagId: id });

export const tagsRouter = {
  list: authedProcedure.query(({ ctx }) => listTags(ctx.db, ctx.user.id)),

  create: authedProcedure
    .input(z.object({ name, color }))
    .mutation(({ ctx, input }) => createTag(ctx.db, ctx.user.id, input)),

  update: authedProcedure
    .input(z.object({ id, name: name.optional(), color: color.optional() }))
    .mutation(({ ctx, input: { id, ...patch } }) => updateTag(ctx.db, ctx.user.id, id, patch)),

  delete: authedProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    await deleteTag(ctx.db, ctx.user.id, input.id);
    return { ok: true };
  }),

  attach: authedProcedure.input(link).mutation(async ({ ctx, input }) => {
    await attachTag(ctx.db, ctx.user.id, input.workflowId, input.tagId);
    return { ok: true };
  }),

  detach: authedProcedure.input(link).mutation(async ({ ctx, input }) => {
    await detachTag(ctx.db, ctx.user.id, input.workflowId, input.tagId);
    return { ok: true };
  }),
} satisfies TRPCRouterRecord;
