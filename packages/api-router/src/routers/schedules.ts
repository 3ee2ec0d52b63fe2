/**
 * Cron schedules of a workflow: list (with last/next run, run count and recent history), create,
 * update, delete, pause/resume, a preview of the next occurrences (with DST shifts) and the full
 * history. Runners fire them (apps/runner/src/scheduler.ts); this router only stores the plan.
 */
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  scheduleHistory,
  updateSchedule,
} from '@swarm/db';
import {
  assertTimeZone,
  CRON_MAX_LENGTH,
  describeCron,
  nextOccurrences,
  parseCron,
  SCHEDULE_LIMITS,
  SCHEDULE_MISSED_POLICIES,
  SCHEDULE_OVERLAP_POLICIES,
} from '@swarm/engine';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.ts';

const id = z.uuid('not a valid id');
const cron = z.string().trim().min(1, 'required').max(CRON_MAX_LENGTH);
const timezone = z.string().trim().min(1, 'required').max(64);
const whole = (key: keyof typeof SCHEDULE_LIMITS) =>
  z.number().int().min(SCHEDULE_LIMITS[key].min).max(SCHEDULE_LIMITS[key].max);

/** Everything a schedule sets besides its workflow; all optional on update. */
const settings = {
  enabled: z.boolean().optional(),
  input: z.unknown().optional(),
  overlap: z.enum(SCHEDULE_OVERLAP_POLICIES).optional(),
  missed: z.enum(SCHEDULE_MISSED_POLICIES).optional(),
  /** A tag (`production`) to run that version instead of the draft; null on update clears it. */
  versionTag: z.string().trim().min(1).max(100).nullish(),
  missedWindowSeconds: whole('missedWindowSeconds').optional(),
  retryLimit: whole('retryLimit').optional(),
  retryDelaySeconds: whole('retryDelaySeconds').optional(),
};

export const MAX_PREVIEW_COUNT = 50;

export const schedulesRouter = {
  list: authedProcedure
    .input(z.object({ workflowId: id }))
    .query(({ ctx, input }) => listSchedules(ctx.db, ctx.user.id, input.workflowId)),

  get: authedProcedure
    .input(z.object({ id }))
    .query(({ ctx, input }) => getSchedule(ctx.db, ctx.user.id, input.id)),

  create: authedProcedure
    .input(z.object({ workflowId: id, cron, timezone, ...settings }))
    .mutation(({ ctx, input: { workflowId, ...schedule } }) =>
      createSchedule(ctx.db, ctx.user.id, workflowId, schedule),
    ),

  update: authedProcedure
    .input(z.object({ id, cron: cron.optional(), timezone: timezone.optional(), ...settings }))
    .mutation(({ ctx, input: { id, ...patch } }) => updateSchedule(ctx.db, ctx.user.id, id, patch)),

  delete: authedProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    await deleteSchedule(ctx.db, ctx.user.id, input.id);
    return { ok: true };
  }),

  pause: authedProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => pauseSchedule(ctx.db, ctx.user.id, input.id)),

  resume: authedProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => resumeSchedule(ctx.db, ctx.user.id, input.id)),

  /**
   * The cron in words and its next occurrences from now. `next` are the instants; `occurrences`
   * add the wall-clock time, the UTC offset and whether a DST gap moved it.
   */
  preview: authedProcedure
    .input(
      z.object({
        cron,
        timezone,
        count: z.number().int().min(1).max(MAX_PREVIEW_COUNT).default(5),
        /** Occurrences after this instant (default: now), e.g. to look at a DST change ahead. */
        from: z.date().optional(),
      }),
    )
    .query(({ input }) => {
      assertTimeZone(input.timezone, 'timezone');
      const schedule = parseCron(input.cron, 'cron');
      const occurrences = nextOccurrences(schedule, input.timezone, input.from ?? new Date(), input.count);
      return {
        description: describeCron(input.cron),
        next: occurrences.map((o) => o.at),
        occurrences: occurrences.map((o) => ({
          at: o.at,
          local: o.local,
          utcOffsetMinutes: o.utcOffsetMinutes,
          dstGap: o.shiftedBy === 'dst-gap',
        })),
      };
    }),

  history: authedProcedure
    .input(z.object({ id, limit: z.number().int().min(1).max(500).optional() }))
    .query(({ ctx, input }) => scheduleHistory(ctx.db, ctx.user.id, input.id, { limit: input.limit })),
} satisfies TRPCRouterRecord;
