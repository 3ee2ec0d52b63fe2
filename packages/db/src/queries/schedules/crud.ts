/**
 * The owner's side of schedules: create, read (with last/next run and recent history), change,
 * pause/resume and delete. Every change NOTIFYs `SCHEDULES_CHANNEL` so runners recompute their
 * wake-up. The policy checks and next-occurrence rule are the engine's (`schedule-policy.ts`).
 */
import {
  assertRunInput,
  checkCronAndTimeZone,
  checkSchedulePolicy,
  describeCron,
  invalidInput,
  NotFoundError,
  nextFireAfter,
  type ScheduleFireOutcome,
  type ScheduleMissedPolicy,
  type ScheduleOverlapPolicy,
  type WorkflowDefinition,
} from '@swarm/engine';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import {
  type ExecutionStatus,
  executions,
  scheduleFires,
  workflowSchedules,
  workflows,
} from '../../schema/index.ts';
import { runInputOf } from '../start-run.ts';
import { resolveRunVersion } from '../versions.ts';

/** The Postgres channel runners LISTEN on to recompute their wake-up; payload: the schedule id. */
export const SCHEDULES_CHANNEL = 'swarm_schedules';

export interface ScheduleSettings {
  cron: string;
  timezone: string;
  enabled: boolean;
  input: unknown;
  versionTag: string | null;
  overlap: ScheduleOverlapPolicy;
  missed: ScheduleMissedPolicy;
  missedWindowSeconds: number;
  retryLimit: number;
  retryDelaySeconds: number;
}

export type NewSchedule = Pick<ScheduleSettings, 'cron' | 'timezone'> &
  Partial<Omit<ScheduleSettings, 'cron' | 'timezone'>>;
export type SchedulePatch = Partial<ScheduleSettings>;

/** One run an occurrence started (retries add more). */
export interface ScheduleFireRun {
  id: string;
  status: ExecutionStatus;
  triggerAttempt: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface ScheduleFire {
  id: string;
  fireAt: Date;
  outcome: ScheduleFireOutcome;
  reason: string | null;
  createdAt: Date;
  /** Oldest attempt first. */
  runs: ScheduleFireRun[];
}

export interface Schedule extends ScheduleSettings {
  id: string;
  workflowId: string;
  /** The cron in words (`At 09:00 AM, Monday through Friday`). */
  description: string;
  /** Null while paused. */
  nextFireAt: Date | null;
  lastFireAt: Date | null;
  runCount: number;
  /** The newest run any occurrence started, if any. */
  lastRun: (ScheduleFireRun & { fireAt: Date }) | null;
  /** The newest history entries (newest first). */
  recent: ScheduleFire[];
  createdAt: Date;
  updatedAt: Date;
}

const scheduleColumns = {
  id: workflowSchedules.id,
  workflowId: workflowSchedules.workflowId,
  ownerId: workflowSchedules.ownerId,
  cron: workflowSchedules.cron,
  timezone: workflowSchedules.timezone,
  enabled: workflowSchedules.enabled,
  input: workflowSchedules.input,
  versionTag: workflowSchedules.versionTag,
  overlap: workflowSchedules.overlap,
  missed: workflowSchedules.missed,
  missedWindowSeconds: workflowSchedules.missedWindowSeconds,
  retryLimit: workflowSchedules.retryLimit,
  retryDelaySeconds: workflowSchedules.retryDelaySeconds,
  nextFireAt: workflowSchedules.nextFireAt,
  lastFireAt: workflowSchedules.lastFireAt,
  runCount: workflowSchedules.runCount,
  createdAt: workflowSchedules.createdAt,
  updatedAt: workflowSchedules.updatedAt,
};
/** A schedule as the owner's reads select it (`scheduleColumns`: no firing bookkeeping). */
type ScheduleRow = Omit<
  typeof workflowSchedules.$inferSelect,
  'fireClaims' | 'fireClaimFor' | 'fireClaimedAt'
>;

const RECENT_FIRES = 5;

/**
 * The input a schedule stores: plain, safe JSON that passes the input schema of what it will run
 * (the tagged version's, or the draft's). A tag that names no version is refused here — it would
 * only fail at every occurrence.
 */
async function checkedScheduleInput(
  db: DbOrTx,
  ownerId: string,
  workflow: { id: string; definition: WorkflowDefinition },
  input: unknown,
  versionTag: string | null,
): Promise<unknown> {
  const json = runInputOf(input);
  let definition = workflow.definition;
  if (versionTag !== null) {
    try {
      const version = await resolveRunVersion(db, ownerId, workflow.id, { versionTag });
      definition = JSON.parse(version.definitionText) as WorkflowDefinition;
    } catch (error) {
      if (error instanceof NotFoundError)
        throw invalidInput([
          { path: 'versionTag', message: `no version of this workflow is tagged "${versionTag}"` },
        ]);
      throw error;
    }
  }
  assertRunInput(definition, json);
  return json;
}

async function ownedWorkflow(db: DbOrTx, ownerId: string, workflowId: string) {
  const [row] = await db
    .select({ id: workflows.id, definition: workflows.definition })
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), eq(workflows.ownerId, ownerId)));
  if (!row) throw new NotFoundError('workflow');
  return row;
}

async function databaseNow(db: DbOrTx): Promise<Date> {
  const [row] = await db.execute<{ now: Date | string }>(sql`select now() as now`);
  return new Date(row!.now);
}

async function notifySchedulers(tx: DbOrTx, scheduleId: string) {
  await tx.execute(sql`select pg_notify(${SCHEDULES_CHANNEL}, ${scheduleId})`);
}

async function lockOwnedSchedule(tx: DbOrTx, ownerId: string, id: string): Promise<ScheduleRow> {
  const [row] = await tx
    .select()
    .from(workflowSchedules)
    .where(and(eq(workflowSchedules.id, id), eq(workflowSchedules.ownerId, ownerId)))
    .for('update');
  if (!row) throw new NotFoundError('schedule');
  return row;
}

/** The owner's schedules of one workflow (oldest first), with last/next run and recent history. */
export async function listSchedules(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
): Promise<{ items: Schedule[]; nextCursor: null }> {
  await ownedWorkflow(db, ownerId, workflowId);
  const rows = await db
    .select(scheduleColumns)
    .from(workflowSchedules)
    .where(and(eq(workflowSchedules.workflowId, workflowId), eq(workflowSchedules.ownerId, ownerId)))
    .orderBy(workflowSchedules.createdAt, workflowSchedules.id);
  return { items: await withDetails(db, rows), nextCursor: null };
}

export async function getSchedule(db: DbOrTx, ownerId: string, id: string): Promise<Schedule> {
  const rows = await db
    .select(scheduleColumns)
    .from(workflowSchedules)
    .where(and(eq(workflowSchedules.id, id), eq(workflowSchedules.ownerId, ownerId)));
  if (rows.length === 0) throw new NotFoundError('schedule');
  return (await withDetails(db, rows))[0]!;
}

async function withDetails(db: DbOrTx, rows: ScheduleRow[]): Promise<Schedule[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  // Per schedule, walking its (schedule_id, fire_at) index from the newest: never the whole history.
  const recent = await db.execute<{ id: string }>(sql`
    select newest.id from unnest(${sql.param(ids)}::uuid[]) as s(id)
    cross join lateral (
      select f.id from ${scheduleFires} f where f.schedule_id = s.id
      order by f.fire_at desc limit ${RECENT_FIRES}
    ) newest`);
  const fires = await firesWithRuns(
    db,
    recent.map((row) => row.id),
  );
  const lastRuns = await db.execute<{
    schedule_id: string;
    id: string;
    status: ExecutionStatus;
    trigger_attempt: number;
    created_at: string;
    started_at: string | null;
    finished_at: string | null;
    fire_at: string;
  }>(sql`
    select s.id as schedule_id, last.* from unnest(${sql.param(ids)}::uuid[]) as s(id)
    cross join lateral (
      select e.id, e.status, e.trigger_attempt, e.created_at, e.started_at, e.finished_at, f.fire_at
      from ${scheduleFires} f join ${executions} e on e.schedule_fire_id = f.id
      where f.schedule_id = s.id
      order by f.fire_at desc, e.trigger_attempt desc limit 1
    ) last`);
  return rows.map(({ ownerId: _owner, ...row }): Schedule => {
    const last = lastRuns.find((run) => run.schedule_id === row.id);
    return {
      ...row,
      description: describeSafely(row.cron),
      lastRun: last
        ? {
            id: last.id,
            status: last.status,
            triggerAttempt: last.trigger_attempt,
            createdAt: new Date(last.created_at),
            startedAt: last.started_at ? new Date(last.started_at) : null,
            finishedAt: last.finished_at ? new Date(last.finished_at) : null,
            fireAt: new Date(last.fire_at),
          }
        : null,
      recent: fires.filter((fire) => fire.scheduleId === row.id).map(({ scheduleId: _s, ...fire }) => fire),
    };
  });
}

function describeSafely(cron: string): string {
  try {
    return describeCron(cron);
  } catch {
    return cron;
  }
}

/** Fires by id, newest first, each with its runs (oldest attempt first). */
async function firesWithRuns(db: DbOrTx, fireIds: string[]) {
  if (fireIds.length === 0) return [];
  const fires = await db
    .select({
      id: scheduleFires.id,
      scheduleId: scheduleFires.scheduleId,
      fireAt: scheduleFires.fireAt,
      outcome: scheduleFires.outcome,
      reason: scheduleFires.reason,
      createdAt: scheduleFires.createdAt,
    })
    .from(scheduleFires)
    .where(inArray(scheduleFires.id, fireIds))
    .orderBy(desc(scheduleFires.fireAt));
  const runs = await db
    .select({
      fireId: executions.scheduleFireId,
      id: executions.id,
      status: executions.status,
      triggerAttempt: executions.triggerAttempt,
      createdAt: executions.createdAt,
      startedAt: executions.startedAt,
      finishedAt: executions.finishedAt,
    })
    .from(executions)
    .where(inArray(executions.scheduleFireId, fireIds))
    .orderBy(executions.triggerAttempt);
  return fires.map((fire) => ({
    ...fire,
    runs: runs.filter((run) => run.fireId === fire.id).map(({ fireId: _f, ...run }) => run),
  }));
}

/** A schedule's history, newest occurrence first, each with its runs and their status. */
export async function scheduleHistory(
  db: DbOrTx,
  ownerId: string,
  scheduleId: string,
  options: { limit?: number | undefined } = {},
): Promise<{ items: ScheduleFire[] }> {
  const [owned] = await db
    .select({ id: workflowSchedules.id })
    .from(workflowSchedules)
    .where(and(eq(workflowSchedules.id, scheduleId), eq(workflowSchedules.ownerId, ownerId)));
  if (!owned) throw new NotFoundError('schedule');
  const ids = await db
    .select({ id: scheduleFires.id })
    .from(scheduleFires)
    .where(eq(scheduleFires.scheduleId, scheduleId))
    .orderBy(desc(scheduleFires.fireAt))
    .limit(Math.min(Math.max(options.limit ?? 50, 1), 500));
  const fires = await firesWithRuns(
    db,
    ids.map((row) => row.id),
  );
  return { items: fires.map(({ scheduleId: _s, ...fire }) => fire) };
}

/** Creates a schedule (enabled unless asked otherwise; its first occurrence is computed from now). */
export async function createSchedule(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  input: NewSchedule,
  options: { now?: Date | undefined } = {},
): Promise<Schedule> {
  checkCronAndTimeZone(input.cron, input.timezone);
  checkSchedulePolicy(input);
  const id = await db.transaction(async (tx) => {
    const workflow = await ownedWorkflow(tx, ownerId, workflowId);
    const versionTag = input.versionTag ?? null;
    const runInput = await checkedScheduleInput(tx, ownerId, workflow, input.input, versionTag);
    const enabled = input.enabled ?? true;
    const now = options.now ?? (await databaseNow(tx));
    const [row] = await tx
      .insert(workflowSchedules)
      .values({
        workflowId,
        ownerId,
        cron: input.cron.trim(),
        timezone: input.timezone,
        enabled,
        input: runInput,
        versionTag,
        overlap: input.overlap,
        missed: input.missed,
        missedWindowSeconds: input.missedWindowSeconds,
        retryLimit: input.retryLimit,
        retryDelaySeconds: input.retryDelaySeconds,
        nextFireAt: enabled ? nextFireAfter(input.cron, input.timezone, now) : null,
      })
      .returning({ id: workflowSchedules.id });
    await notifySchedulers(tx, row!.id);
    return row!.id;
  });
  return getSchedule(db, ownerId, id);
}

/**
 * Changes a schedule. A new cron, timezone or enabled flag recomputes the next occurrence from now
 * (occurrences between the old next one and now are not caught up: the owner changed the plan).
 */
export async function updateSchedule(
  db: DbOrTx,
  ownerId: string,
  id: string,
  patch: SchedulePatch,
  options: { now?: Date | undefined } = {},
): Promise<Schedule> {
  checkSchedulePolicy(patch);
  await db.transaction(async (tx) => {
    const current = await lockOwnedSchedule(tx, ownerId, id);
    const cron = patch.cron?.trim() ?? current.cron;
    const timezone = patch.timezone ?? current.timezone;
    if (patch.cron !== undefined || patch.timezone !== undefined) checkCronAndTimeZone(cron, timezone);
    const versionTag = patch.versionTag === undefined ? current.versionTag : patch.versionTag;
    const enabled = patch.enabled ?? current.enabled;
    const set: Partial<typeof workflowSchedules.$inferInsert> = {
      cron,
      timezone,
      enabled,
      versionTag,
      overlap: patch.overlap ?? current.overlap,
      missed: patch.missed ?? current.missed,
      missedWindowSeconds: patch.missedWindowSeconds ?? current.missedWindowSeconds,
      retryLimit: patch.retryLimit ?? current.retryLimit,
      retryDelaySeconds: patch.retryDelaySeconds ?? current.retryDelaySeconds,
    };
    if (patch.input !== undefined || patch.versionTag !== undefined) {
      const workflow = await ownedWorkflow(tx, ownerId, current.workflowId);
      set.input = await checkedScheduleInput(
        tx,
        ownerId,
        workflow,
        patch.input === undefined ? current.input : patch.input,
        versionTag,
      );
    }
    const replanned = cron !== current.cron || timezone !== current.timezone || enabled !== current.enabled;
    if (replanned) {
      const now = options.now ?? (await databaseNow(tx));
      set.nextFireAt = enabled ? nextFireAfter(cron, timezone, now) : null;
    }
    await tx
      .update(workflowSchedules)
      .set({ ...set, updatedAt: sql`now()` })
      .where(eq(workflowSchedules.id, id));
    await notifySchedulers(tx, id);
  });
  return getSchedule(db, ownerId, id);
}

export async function deleteSchedule(db: DbOrTx, ownerId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await tx
      .delete(workflowSchedules)
      .where(and(eq(workflowSchedules.id, id), eq(workflowSchedules.ownerId, ownerId)))
      .returning({ id: workflowSchedules.id });
    if (rows.length === 0) throw new NotFoundError('schedule');
    await notifySchedulers(tx, id);
  });
}

/** Stops firing: no next occurrence until resumed. Runs already started are not touched. */
export async function pauseSchedule(db: DbOrTx, ownerId: string, id: string): Promise<Schedule> {
  return updateSchedule(db, ownerId, id, { enabled: false });
}

/**
 * Fires again from now on: the next occurrence is computed from the current time, so occurrences
 * while paused are neither caught up nor recorded as missed (pausing is not downtime).
 */
export async function resumeSchedule(
  db: DbOrTx,
  ownerId: string,
  id: string,
  options: { now?: Date | undefined } = {},
): Promise<Schedule> {
  await db.transaction(async (tx) => {
    const current = await lockOwnedSchedule(tx, ownerId, id);
    const now = options.now ?? (await databaseNow(tx));
    await tx
      .update(workflowSchedules)
      .set({
        enabled: true,
        nextFireAt: nextFireAfter(current.cron, current.timezone, now),
        updatedAt: sql`now()`,
      })
      .where(eq(workflowSchedules.id, id));
    await notifySchedulers(tx, id);
  });
  return getSchedule(db, ownerId, id);
}
