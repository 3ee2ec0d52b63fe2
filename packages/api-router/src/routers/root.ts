/** The whole tRPC API: one router per domain, composed here. */
import { pingDatabase, queueSchemaVersion } from '@swarm/db';
import { publicProcedure, router } from '../trpc.ts';
import { analyticsRouter } from './analytics.ts';
import { authRouter } from './auth.ts';
import { budgetsRouter } from './budgets.ts';
import { nodeTypesRouter } from './node-types.ts';
import { notificationsRouter } from './notifications.ts';
import { pinsRouter } from './pins.ts';
import { providersRouter } from './providers.ts';
import { runsRouter } from './runs.ts';
import { schedulesRouter } from './schedules.ts';
import { tagsRouter } from './tags.ts';
import { transferRouter } from './transfer.ts';
import { versionsRouter } from './versions.ts';
import { webhooksRouter } from './webhooks.ts';
import { workflowsRouter } from './workflows.ts';

export const appRouter = router({
  health: publicProcedure.query(async ({ ctx }) => {
    const db = await pingDatabase(ctx.database);
    const queue = db && (await queueSchemaVersion(ctx.database)) !== null;
    return { ok: db && queue, db, queue };
  }),
  auth: authRouter,
  workflows: workflowsRouter,
  tags: tagsRouter,
  providers: providersRouter,
  nodeTypes: nodeTypesRouter,
  runs: runsRouter,
  pins: pinsRouter,
  schedules: schedulesRouter,
  transfer: transferRouter,
  versions: versionsRouter,
  analytics: analyticsRouter,
  budgets: budgetsRouter,
  webhooks: webhooksRouter,
  notifications: notificationsRouter,
});

export type AppRouter = typeof appRouter;
