/**
 * The node types this server knows (built-in and from SWARM_NODE_PACKAGES): what the editor's
 * palette and config forms are drawn from, with each type's config as JSON Schema.
 */
import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../trpc.ts';

export const nodeTypesRouter = {
  /** `[{ type, label, category, configJsonSchema, description, version, inputs, outputs, defaultConfig, builtin }]` */
  list: authedProcedure.query(({ ctx }) => ctx.nodeRegistry.list()),
} satisfies TRPCRouterRecord;
