/**
 * Versions: commit the draft, browse history (with per-version run stats), restore, compare two
 * versions (or a version and the draft, or either and a definition not stored yet), and tag
 * versions (`production`, `v1.0`). Tags are moved only on request: tagging a version with a tag
 * that is on another one is CONFLICT unless `move: true` is passed.
 */
import {
  commitVersion,
  getCompareSides,
  getVersion,
  getWorkflow,
  getWorkflowVersion,
  listVersions,
  restoreVersion,
  tagVersion,
  untagVersion,
  VERSION_TAG_PATTERN,
} from '@swarm/db';
import { compareDefinitions, parseWorkflowDefinition, type WorkflowDefinitionInput } from '@swarm/engine';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

const id = z.uuid('not a valid id');
const tag = z
  .string()
  .trim()
  .regex(VERSION_TAG_PATTERN, 'letters, digits, ".", "_" and "-" (up to 64), like production or v1.0');
/** A version id, or the workflow's current draft. */
const side = z.union([z.literal('draft'), id]);

export const versionsRouter = {
  list: authedProcedure
    .input(
      z.object({
        workflowId: id,
        cursor: z.string().max(20).nullish(),
        limit: z.number().int().min(1).max(200).optional(),
      }),
    )
    .query(({ ctx, input: { workflowId, ...page } }) => listVersions(ctx.db, ctx.user.id, workflowId, page)),

  get: authedProcedure
    .input(z.object({ versionId: id }))
    .query(({ ctx, input }) => getVersion(ctx.db, ctx.user.id, input.versionId)),

  create: authedProcedure
    .input(z.object({ workflowId: id, commitMessage: z.string().trim().min(1, 'required').max(2000) }))
    .mutation(({ ctx, input }) => commitVersion(ctx.db, ctx.user.id, input.workflowId, input.commitMessage)),

  restore: authedProcedure
    .input(z.object({ workflowId: id, versionId: id }))
    .mutation(({ ctx, input }) => restoreVersion(ctx.db, ctx.user.id, input.workflowId, input.versionId)),

  compare: authedProcedure
    .input(z.object({ workflowId: id, from: side, to: side }))
    .query(async ({ ctx, input }) => {
      const [from, to] = await getCompareSides(ctx.db, ctx.user.id, input.workflowId, [input.from, input.to]);
      return compareDefinitions(from.definition, to.definition);
    }),

  /**
   * What the compare page shows, in one call: the summary of the changes and both sides, each with
   * its definition and the version it is (null for the draft). The page would otherwise ask for
   * the comparison and then each side's version, reading both definitions from the database twice
   * (with tags and run stats it does not show); the delta is left out, the page diffs the one node
   * a person clicks itself.
   */
  compareSides: authedProcedure
    .input(z.object({ workflowId: id, from: side, to: side }))
    .query(async ({ ctx, input }) => {
      const [from, to] = await getCompareSides(ctx.db, ctx.user.id, input.workflowId, [input.from, input.to]);
      return { summary: compareDefinitions(from.definition, to.definition).summary, from, to };
    }),

  /**
   * A stored side (a version or the draft) against a definition that is not stored yet — the
   * `swarm diff` of a workflow file before it is pushed. The definition is checked like a draft's.
   * A mutation although it changes nothing (like `workflows.validate`): a definition is too large
   * for a query's URL.
   */
  compareDefinition: authedProcedure
    .input(
      z.object({ workflowId: id, from: side, definition: z.custom<WorkflowDefinitionInput>(() => true) }),
    )
    .mutation(async ({ ctx, input }) => {
      const workflow = await getWorkflow(ctx.db, ctx.user.id, input.workflowId);
      const from =
        input.from === 'draft'
          ? workflow.definition
          : (await getWorkflowVersion(ctx.db, ctx.user.id, workflow.id, input.from)).definition;
      return compareDefinitions(from, parseWorkflowDefinition(input.definition));
    }),

  tag: authedProcedure
    .input(z.object({ versionId: id, tag, move: z.boolean().optional() }))
    .mutation(({ ctx, input }) =>
      tagVersion(ctx.db, ctx.user.id, input.versionId, input.tag, { move: input.move }),
    ),

  untag: authedProcedure
    .input(z.object({ versionId: id, tag }))
    .mutation(({ ctx, input }) => untagVersion(ctx.db, ctx.user.id, input.versionId, input.tag)),
} satisfies TRPCRouterRecord;
