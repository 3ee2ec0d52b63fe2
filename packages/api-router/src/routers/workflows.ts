import {
  cloneWorkflow,
  createWorkflow,
  deleteWorkflow,
  getWorkflow,
  listWorkflows,
  updateWorkflow,
  WEBHOOK_INVALIDATION_TOPIC,
} from '@swarm/db';
import {
  emptyDefinition,
  parseWorkflowDefinition,
  validateWorkflow,
  type WorkflowDefinitionInput,
} from '@swarm/engine';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

const id = z.uuid('not a valid id');
const name = z.string().trim().min(1, 'required').max(200, 'at most 200 characters');
const description = z.string().max(5000, 'at most 5000 characters');
const category = z.string().trim().max(100, 'at most 100 characters');
/**
 * Typed for clients, checked by the engine: `parseWorkflowDefinition` reports every problem with
 * its full path (`definition.edges[3].target`) and guards depth and prototype keys first.
 */
const definition = z.custom<WorkflowDefinitionInput>(() => true);

export const workflowsRouter = {
  list: authedProcedure
    .input(
      z
        .object({
          search: z.string().max(200).optional(),
          tagIds: z.array(id).max(50).optional(),
          cursor: z.string().max(200).nullish(),
          limit: z.number().int().min(1).max(200).optional(),
        })
        .default({}),
    )
    .query(({ ctx, input }) => listWorkflows(ctx.db, ctx.user.id, input)),

  get: authedProcedure
    .input(z.object({ id }))
    .query(({ ctx, input }) => getWorkflow(ctx.db, ctx.user.id, input.id)),

  create: authedProcedure
    .input(
      z.object({
        name,
        description: description.optional(),
        category: category.optional(),
        definition: definition.optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      createWorkflow(ctx.db, ctx.user.id, {
        ...input,
        definition:
          input.definition === undefined ? emptyDefinition() : parseWorkflowDefinition(input.definition),
      }),
    ),

  update: authedProcedure
    .input(
      z.object({
        id,
        name: name.optional(),
        description: description.optional(),
        category: category.optional(),
        definition: definition.optional(),
      }),
    )
    .mutation(({ ctx, input: { id, ...patch } }) =>
      updateWorkflow(ctx.db, ctx.user.id, id, {
        ...patch,
        definition: patch.definition === undefined ? undefined : parseWorkflowDefinition(patch.definition),
      }),
    ),

  delete: authedProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    await deleteWorkflow(ctx.db, ctx.user.id, input.id);
    // Its webhooks went with it (ids unknown here): drop this process's cached webhooks.
    ctx.invalidations.invalidate(WEBHOOK_INVALIDATION_TOPIC);
    return { ok: true };
  }),

  clone: authedProcedure
    .input(z.object({ id, name: name.optional() }))
    .mutation(({ ctx, input }) =>
      ctx.db.transaction((tx) => cloneWorkflow(tx, ctx.user.id, input.id, input.name)),
    ),

  /**
   * Everything a run would check: structure, node types, each node's config, handles, inputs.
   * Drafts may be saved with config problems (saving checks structure only); runs may not.
   */
  validate: authedProcedure.input(z.object({ definition })).mutation(({ ctx, input }) => {
    const result = validateWorkflow(input.definition, ctx.nodeRegistry);
    return { valid: result.valid, issues: result.errors, warnings: result.warnings };
  }),
} satisfies TRPCRouterRecord;
