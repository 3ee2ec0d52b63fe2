/**
 * Cron schedules of workflows: the owner's CRUD (with pause/resume, last/next run and history),
 * and the firing logic every runner's scheduler calls.
 *
 * Firing is exactly-once per occurrence however many runners race: each schedule is claimed with
 * `for update skip locked` in a transaction of its own, its occurrences are written to
 * `schedule_fires` with `on conflict (schedule_id, fire_at) do nothing`, and `next_fire_at` moves
 * past `now` in the same transaction. Whatever becomes of an occurrence — started, queued behind a
 * running run, skipped, missed while no runner was up, failed to start — is one history row with
 * its reason. One bad schedule never stops the others: a run that cannot start is a `failed` row.
 *
 * Times: callers pass `now` (the scheduler passes the database's clock), so tests drive a fake one.
 * DST follows the cron module: a wall-clock time in a spring-forward gap fires once at the next
 * valid instant; a time repeated at fall-back fires once (its first instant).
 */
import {
  assertRunInput,
  assertTimeZone,
  type CronOccurrence,
  DomainError,
  describeCron,
  invalidInput,
  type NodeRegistry,
  NotFoundError,
  nextOccurrences,
  occurrencesBetween,
  parseCron,
  timeZoneOffsetMinutes,
  type WorkflowDefinition,
} from '@swarm/engine';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import type { JobSender } from '../jobs.ts';
import {
  type ExecutionStatus,
  executions,
  SCHEDULE_MISSED_POLICIES,
  SCHEDULE_OVERLAP_POLICIES,
  type ScheduleFireOutcome,
  type ScheduleMissedPolicy,
  type ScheduleOverlapPolicy,
  scheduleFires,
  workflowSchedules,
  workflows,
} from '../schema/index.ts';
import { assertWithinBudget } from './budgets.ts';
import { createExecution, RUN_ABANDONED_CODE } from './executions/index.ts';
import { prepareRun, runInputOf } from './start-run.ts';
import { resolveRunVersion } from './versions.ts';

export {
  SCHEDULE_FIRE_OUTCOMES,
  SCHEDULE_MISSED_POLICIES,
  SCHEDULE_OVERLAP_POLICIES,
  type ScheduleFireOutcome,
  type ScheduleMissedPolicy,
  type ScheduleOverlapPolicy,
} from '../schema/index.ts';

/** The Postgres channel runners LISTEN on to recompute their wake-up; payload: the schedule id. */
export const SCHEDULES_CHANNEL = 'swarm_schedules';
/** An occurrence found more than this after its time is late: the missed-runs policy decides. */
export const SCHEDULE_GRACE_MS = 60_000;
/** History rows one catch-up writes at most (the newest); older occurrences are counted, not written. */
export const MAX_FIRES_PER_CATCH_UP = 500;
/** Retries back off exponentially up to this. */
export const MAX_RETRY_DELAY_SECONDS = 3600;
/** Bounds of the policy numbers (the table's check constraints). */
export const SCHEDULE_LIMITS = {
  missedWindowSeconds: { min: 60, max: 2_678_400 },
  retryLimit: { min: 0, max: 10 },
  retryDelaySeconds: { min: 1, max: 86_400 },
} as const;

// ---------------------------------------------------------------------------------------------
// Shapes
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Validation and the next occurrence
// ---------------------------------------------------------------------------------------------

/** Throws `BAD_REQUEST` naming `cron` / `timezone` when either is not usable. */
export function checkCronAndTimeZone(cron: string, timezone: string): void {
  assertTimeZone(timezone, 'timezone');
  parseCron(cron, 'cron');
}

/** The first occurrence strictly after `after`, or null when the cron never fires again. */
export function nextFireAfter(cron: string, timezone: string, after: Date): Date | null {
  return nextOccurrences(cron, timezone, after, 1)[0]?.at ?? null;
}

function checkPolicyNumbers(settings: SchedulePatch) {
  const issues = [];
  for (const key of Object.keys(SCHEDULE_LIMITS) as Array<keyof typeof SCHEDULE_LIMITS>) {
    const value = settings[key];
    const { min, max } = SCHEDULE_LIMITS[key];
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max))
      issues.push({ path: key, message: `a whole number from ${min} to ${max}` });
  }
  if (settings.overlap !== undefined && !SCHEDULE_OVERLAP_POLICIES.includes(settings.overlap))
    issues.push({ path: 'overlap', message: `one of ${SCHEDULE_OVERLAP_POLICIES.join(', ')}` });
  if (settings.missed !== undefined && !SCHEDULE_MISSED_POLICIES.includes(settings.missed))
    issues.push({ path: 'missed', message: `one of ${SCHEDULE_MISSED_POLICIES.join(', ')}` });
  if (issues.length > 0) throw invalidInput(issues);
}

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
      definition = (await resolveRunVersion(db, ownerId, workflow.id, { versionTag })).definition;
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

// ---------------------------------------------------------------------------------------------
// The owner's CRUD
// ---------------------------------------------------------------------------------------------

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
  checkPolicyNumbers(input);
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
  checkPolicyNumbers(patch);
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

// ---------------------------------------------------------------------------------------------
// Firing
// ---------------------------------------------------------------------------------------------

/** What became of one occurrence (the scheduler logs one line per entry). */
export interface FireReport {
  scheduleId: string;
  workflowId: string;
  fireAt: Date;
  outcome: ScheduleFireOutcome;
  reason: string | null;
  executionId: string | null;
  /** How long after its time the occurrence was processed. */
  latenessMs: number;
}

export interface FireOptions {
  /** The current time (the scheduler passes the database's clock). */
  now: Date;
  registry: NodeRegistry;
  /**
   * Arm occurrences due within this many ms from `now` already: their runs are written now with a
   * job that becomes available at the occurrence (`startAfter`), so a minute shared by many
   * schedules costs no lateness — the writes happen before it. Overlap is then judged this much
   * early. Default 0 (only what is due).
   */
  lookAheadMs?: number | undefined;
  /** Schedules processed in this call at most (the scheduler calls again while it gets a full batch). */
  limit?: number | undefined;
  /** Told about a schedule whose processing failed (rolled back; retried on a later tick). */
  onError?: ((error: unknown, scheduleId: string) => void) | undefined;
  /**
   * Schedules fired at once, each in its own transaction (so `db` must be a pool, not a
   * transaction, when this is above 1). Default 1.
   */
  concurrency?: number | undefined;
  /**
   * Claims an occurrence may have whose firing never committed (the runner died or froze while
   * firing it) before the next claim records it as failed and moves the schedule on instead of
   * trying again. Unset: no bound.
   */
  maxClaims?: number | undefined;
}

/**
 * How long a claim keeps other runners off a schedule before its firing has locked the row. A live
 * firing takes the row lock within a round trip of its claim (and holds it to its commit), so racing
 * runners never count a claim that is merely in progress; a claim older than this whose firing never
 * committed was the last act of a runner that died or froze. It is also how late, at most, an
 * occurrence fires after its runner died mid-firing.
 */
export const FIRE_CLAIM_LEASE_MS = 5_000;

/** The claim columns after a firing committed (or an occurrence was given up): no claim. */
const NO_FIRE_CLAIM = { fireClaims: 0, fireClaimFor: null, fireClaimedAt: null } as const;

/** `3 min`, `2 h 5 min`, `45 s`: how late an occurrence ran, for history reasons. */
export function formatLateness(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/** The message an occurrence that could not start records (a domain error's is for the owner). */
function startFailure(error: unknown): string {
  return error instanceof DomainError
    ? `could not start: ${error.message}`
    : 'could not start: an internal error (details in the runner log)';
}

/** An instant as a wall-clock occurrence in `timezone` (for a `next_fire_at` that is not the cron's own). */
function occurrenceAt(at: Date, timezone: string): CronOccurrence {
  const utcOffsetMinutes = timeZoneOffsetMinutes(timezone, at);
  const local = new Date(at.getTime() + utcOffsetMinutes * 60_000).toISOString();
  return { at, local: `${local.slice(0, 10)} ${local.slice(11, 16)}`, utcOffsetMinutes };
}

/**
 * The occurrences from `due` (the stored next one, always fired: an operator or test may set it by
 * hand) up to `to`, the newest `MAX_FIRES_PER_CATCH_UP` of them, and how many older were left out.
 */
function occurrencesToProcess(cron: string, timezone: string, due: Date, to: Date) {
  const schedule = parseCron(cron);
  const own = nextOccurrences(schedule, timezone, new Date(due.getTime() - 1), 1)[0];
  const kept: CronOccurrence[] = [own?.at.getTime() === due.getTime() ? own : occurrenceAt(due, timezone)];
  let dropped = 0;
  let droppedAtLeast = false;
  let cursor = due;
  let scanned = 0;
  for (;;) {
    const { occurrences, more } = occurrencesBetween(schedule, timezone, cursor, to, 1000);
    kept.push(...occurrences);
    if (kept.length > MAX_FIRES_PER_CATCH_UP)
      dropped += kept.splice(0, kept.length - MAX_FIRES_PER_CATCH_UP).length;
    scanned += occurrences.length;
    const last = occurrences.at(-1);
    if (!more || !last) break;
    cursor = last.at;
    // Months of a per-minute cron: stop counting one by one and jump to the last month (every
    // occurrence before it is beyond any missed-runs window and far beyond the rows kept).
    if (scanned >= 200_000) {
      const monthAgo = new Date(to.getTime() - SCHEDULE_LIMITS.missedWindowSeconds.max * 1000);
      if (monthAgo > cursor) {
        cursor = monthAgo;
        droppedAtLeast = true;
      }
    }
  }
  return { occurrences: kept, dropped, droppedAtLeast };
}

interface ScheduleForFiring {
  id: string;
  workflowId: string;
  ownerId: string;
  cron: string;
  timezone: string;
  input: unknown;
  versionTag: string | null;
  overlap: ScheduleOverlapPolicy;
  missed: ScheduleMissedPolicy;
  missedWindowSeconds: number;
  nextFireAt: Date | null;
}

/** Runs of the schedule that are queued or running (retries waiting for their backoff included). */
async function activeRunCount(tx: DbOrTx, schedule: { id: string; workflowId: string }): Promise<number> {
  // From the workflow's active runs (a small partial index), not from the schedule's whole history.
  const [row] = await tx.execute<{ n: number }>(sql`
    select count(*)::int as n from ${executions} e join ${scheduleFires} f on f.id = e.schedule_fire_id
    where e.workflow_id = ${schedule.workflowId} and e.status in ('queued', 'running')
      and f.schedule_id = ${schedule.id}`);
  return row?.n ?? 0;
}

async function hasQueuedFire(tx: DbOrTx, scheduleId: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: scheduleFires.id })
    .from(scheduleFires)
    .where(and(eq(scheduleFires.scheduleId, scheduleId), eq(scheduleFires.outcome, 'queued')))
    .limit(1);
  return row !== undefined;
}

/**
 * Starts the run of an occurrence inside a savepoint, so a refusal (tag gone, definition invalid,
 * input fails the schema, workflow deleted) rolls back only the attempt. Returns the execution id,
 * or the reason it could not start.
 */
async function startScheduledRun(
  tx: DbOrTx,
  jobs: JobSender,
  schedule: ScheduleForFiring,
  fireId: string,
  registry: NodeRegistry,
  startAfter?: Date | undefined,
): Promise<{ executionId: string } | { error: unknown }> {
  try {
    return await tx.transaction(async (sp) => {
      const prepared = await prepareRun(sp, {
        ownerId: schedule.ownerId,
        workflowId: schedule.workflowId,
        input: schedule.input,
        versionTag: schedule.versionTag,
        trigger: 'schedule',
        registry,
      });
      const { id } = await createExecution(sp, jobs, {
        ...prepared,
        scheduleFireId: fireId,
        triggerAttempt: 1,
        startAfter,
      });
      return { executionId: id };
    });
  } catch (error) {
    return { error };
  }
}

type Plan = { occurrence: CronOccurrence; decision: 'fire' | 'missed'; reason: string | null };

/** Applies the missed-runs policy: which occurrences fire and which are recorded as missed, and why. */
function planOccurrences(schedule: ScheduleForFiring, occurrences: CronOccurrence[], now: Date): Plan[] {
  const lateness = (o: CronOccurrence) => now.getTime() - o.at.getTime();
  const isLate = (o: CronOccurrence) => lateness(o) > SCHEDULE_GRACE_MS;
  const inWindow = (o: CronOccurrence) => lateness(o) <= schedule.missedWindowSeconds * 1000;
  const when = (o: CronOccurrence) => `${o.local} ${schedule.timezone}`;
  const policy = `(missed runs: ${schedule.missed})`;
  const onTime = occurrences.filter((o) => !isLate(o));
  const lateInWindow = occurrences.filter((o) => isLate(o) && inWindow(o));
  const latestLate = onTime.length === 0 ? lateInWindow.at(-1) : undefined;
  return occurrences.map((occurrence): Plan => {
    if (!isLate(occurrence)) return { occurrence, decision: 'fire', reason: null };
    const downtime = `no runner was running at ${when(occurrence)}`;
    if (schedule.missed === 'none')
      return { occurrence, decision: 'missed', reason: `${downtime} ${policy}` };
    if (!inWindow(occurrence))
      return {
        occurrence,
        decision: 'missed',
        reason: `${downtime}, older than the missed-runs window of ${formatLateness(schedule.missedWindowSeconds * 1000)} ${policy}`,
      };
    const late = `started ${formatLateness(lateness(occurrence))} late: ${downtime} ${policy}`;
    if (schedule.missed === 'all') return { occurrence, decision: 'fire', reason: late };
    if (occurrence === latestLate) return { occurrence, decision: 'fire', reason: late };
    const newer = latestLate ?? onTime[0];
    return {
      occurrence,
      decision: 'missed',
      reason: `${downtime}; only the latest occurrence${newer ? ` (${newer.local})` : ''} runs ${policy}`,
    };
  });
}

/** The latest occurrence a pass processes: `now`, plus the look-ahead when arming. */
const horizonOf = (options: Pick<FireOptions, 'now' | 'lookAheadMs'>) =>
  new Date(options.now.getTime() + Math.max(0, options.lookAheadMs ?? 0));

/** The occurrences a firing of `schedule` processes now: from its due one up to the horizon. */
function dueOccurrences(schedule: ScheduleForFiring, options: FireOptions) {
  const horizon = horizonOf(options);
  const due = schedule.nextFireAt!;
  return { horizon, due, ...occurrencesToProcess(schedule.cron, schedule.timezone, due, horizon) };
}

/**
 * Processes one due schedule, already locked by the caller's transaction: history rows, runs, and
 * the next occurrence.
 */
async function fireSchedule(
  tx: DbOrTx,
  jobs: JobSender,
  schedule: ScheduleForFiring,
  options: FireOptions,
): Promise<FireReport[]> {
  const { now } = options;
  const { horizon, due, occurrences, dropped, droppedAtLeast } = dueOccurrences(schedule, options);
  const plans = planOccurrences(schedule, occurrences, now);
  // Overlap `allow` starts every occurrence whatever is running: no need to look.
  let active = schedule.overlap === 'allow' ? 0 : await activeRunCount(tx, schedule);
  let queued = schedule.overlap === 'queue-one' ? await hasQueuedFire(tx, schedule.id) : false;
  const reports: FireReport[] = [];
  let started = 0;

  for (const [index, plan] of plans.entries()) {
    const { occurrence } = plan;
    let outcome: ScheduleFireOutcome;
    let reason = plan.reason;
    if (plan.decision === 'missed') outcome = 'missed';
    else if (active > 0 && schedule.overlap === 'skip') {
      outcome = 'skipped';
      reason = 'previous run still running (overlap: skip)';
    } else if (active > 0 && schedule.overlap === 'queue-one') {
      outcome = queued ? 'skipped' : 'queued';
      reason = queued
        ? 'previous run still running and one occurrence already waiting (overlap: queue-one)'
        : 'waiting for the previous run to finish (overlap: queue-one)';
      queued = true;
    } else outcome = 'started';
    if (index === 0 && dropped > 0) reason = withDroppedNote(reason ?? outcome, due, dropped, droppedAtLeast);

    const [fire] = await tx
      .insert(scheduleFires)
      .values({ scheduleId: schedule.id, fireAt: occurrence.at, outcome, reason })
      .onConflictDoNothing({ target: [scheduleFires.scheduleId, scheduleFires.fireAt] })
      .returning({ id: scheduleFires.id });
    // Already recorded (by an earlier pass): this occurrence has had its turn.
    if (!fire) continue;

    let executionId: string | null = null;
    if (outcome === 'started') {
      // An armed occurrence (look-ahead): its job becomes available at the occurrence, not before.
      const startAfter = occurrence.at > now ? occurrence.at : undefined;
      const result = await startScheduledRun(tx, jobs, schedule, fire.id, options.registry, startAfter);
      if ('executionId' in result) {
        executionId = result.executionId;
        active += 1;
        started += 1;
      } else {
        outcome = 'failed';
        reason = startFailure(result.error);
        if (!(result.error instanceof DomainError)) options.onError?.(result.error, schedule.id);
        await tx
          .update(scheduleFires)
          .set({ outcome, reason, updatedAt: sql`now()` })
          .where(eq(scheduleFires.id, fire.id));
      }
    }
    reports.push({
      scheduleId: schedule.id,
      workflowId: schedule.workflowId,
      fireAt: occurrence.at,
      outcome,
      reason,
      executionId,
      latenessMs: now.getTime() - occurrence.at.getTime(),
    });
  }

  await advanceSchedule(tx, schedule, horizon, occurrences.at(-1)?.at, started);
  return reports;
}

/** The reason of the first occurrence of a catch-up, saying how many before it were not recorded. */
function withDroppedNote(reason: string, due: Date, dropped: number, atLeast: boolean): string {
  const count = atLeast ? `more than ${dropped}` : String(dropped);
  return `${reason}; ${count} earlier occurrences since ${due.toISOString()} were not recorded (at most ${MAX_FIRES_PER_CATCH_UP} per catch-up)`;
}

/** Moves a schedule past the occurrences a firing processed (and clears its firing claim). */
async function advanceSchedule(
  tx: DbOrTx,
  schedule: ScheduleForFiring,
  horizon: Date,
  newest: Date | undefined,
  started: number,
) {
  await tx
    .update(workflowSchedules)
    .set({
      nextFireAt: nextFireAfter(schedule.cron, schedule.timezone, horizon),
      ...(newest ? { lastFireAt: newest } : {}),
      ...(started > 0 ? { runCount: sql`${workflowSchedules.runCount} + ${started}` } : {}),
      ...NO_FIRE_CLAIM,
      updatedAt: sql`now()`,
    })
    .where(eq(workflowSchedules.id, schedule.id));
}

/**
 * Gives up on the occurrences a firing would process (the due one, and any later ones up to the
 * horizon) after `claims` claims of them never committed: each is recorded as failed with the
 * reason, and the schedule moves on past them. Runs in the caller's transaction, which holds the
 * schedule's row lock.
 */
async function abandonFiring(
  tx: DbOrTx,
  schedule: ScheduleForFiring,
  claims: number,
  options: FireOptions,
): Promise<FireReport[]> {
  const { now } = options;
  const { horizon, due, occurrences, dropped, droppedAtLeast } = dueOccurrences(schedule, options);
  const times = claims === 1 ? 'once' : `${claims} times`;
  const reason = `not started: firing it stopped its runner (or lost its claim) ${times} before it could be recorded; given up so it is not tried forever`;
  const firstReason = dropped > 0 ? withDroppedNote(reason, due, dropped, droppedAtLeast) : reason;
  const reports: FireReport[] = [];
  for (const [index, occurrence] of occurrences.entries()) {
    const withDropped = index === 0 ? firstReason : reason;
    const [fire] = await tx
      .insert(scheduleFires)
      .values({ scheduleId: schedule.id, fireAt: occurrence.at, outcome: 'failed', reason: withDropped })
      .onConflictDoNothing({ target: [scheduleFires.scheduleId, scheduleFires.fireAt] })
      .returning({ id: scheduleFires.id });
    if (!fire) continue;
    reports.push({
      scheduleId: schedule.id,
      workflowId: schedule.workflowId,
      fireAt: occurrence.at,
      outcome: 'failed',
      reason: withDropped,
      executionId: null,
      latenessMs: now.getTime() - occurrence.at.getTime(),
    });
  }
  await advanceSchedule(tx, schedule, horizon, occurrences.at(-1)?.at, 0);
  return reports;
}

/**
 * Claims the first due schedule not yet tried by this call and not claimed by anyone within the
 * lease, in one statement that commits on its own: the claim count of its due occurrence goes up
 * (it starts again at 1 for a new occurrence) before any firing work, so a firing that kills its
 * runner still leaves its count behind. Null when nothing (more) is due.
 */
async function claimDueSchedule(
  db: DbOrTx,
  options: FireOptions,
  attempted: readonly string[],
): Promise<{ id: string; nextFireAt: Date; claims: number } | null> {
  const leaseCutoff = new Date(options.now.getTime() - FIRE_CLAIM_LEASE_MS).toISOString();
  const rows = await db.execute<{ id: string; next_fire_at: string | Date; fire_claims: number }>(sql`
    update ${workflowSchedules} s set
      fire_claims = case when s.fire_claim_for = s.next_fire_at then s.fire_claims + 1 else 1 end,
      fire_claim_for = s.next_fire_at,
      fire_claimed_at = ${options.now.toISOString()}::timestamptz
    from (
      select id from ${workflowSchedules}
      where enabled and next_fire_at <= ${horizonOf(options).toISOString()}::timestamptz
        and (fire_claimed_at is null or fire_claimed_at <= ${leaseCutoff}::timestamptz)
        ${attempted.length > 0 ? sql`and id <> all(${sql.param([...attempted])}::uuid[])` : sql``}
      order by next_fire_at limit 1
      for update skip locked
    ) due
    where s.id = due.id
    returning s.id, s.next_fire_at, s.fire_claims`);
  const row = rows[0];
  return row ? { id: row.id, nextFireAt: new Date(row.next_fire_at), claims: row.fire_claims } : null;
}

/**
 * Takes back a claim whose firing failed with an error (this runner is alive and knows it rolled
 * back): it does not count, and the next pass may try again at once. Best effort — if this fails
 * too, the claim counts and its lease runs out.
 */
async function releaseFireClaim(db: DbOrTx, claim: { id: string; nextFireAt: Date }) {
  await db
    .update(workflowSchedules)
    .set({
      fireClaims: sql`greatest(0, ${workflowSchedules.fireClaims} - 1)`,
      fireClaimedAt: null,
    })
    .where(and(eq(workflowSchedules.id, claim.id), eq(workflowSchedules.fireClaimFor, claim.nextFireAt)))
    .catch(() => {});
}

/**
 * Fires every schedule whose next occurrence is due at `now`, one transaction per schedule. Safe
 * to call from any number of runners at once: a schedule another runner is processing is skipped
 * (its claim's lease, then SKIP LOCKED) and an occurrence is recorded — and starts its run — once.
 *
 * Each firing is preceded by a claim that commits on its own and counts the claims of the due
 * occurrence (`claimDueSchedule`). A firing that commits clears the count; a firing whose runner
 * died or froze leaves it — its transaction rolls back, the count stays — and after `maxClaims`
 * such claims the next one records the occurrence as failed and moves on (`abandonFiring`) instead
 * of killing runner after runner. A firing that fails with an error takes its claim back (not
 * counted; retried next pass, as before).
 */
export async function fireDueSchedules(
  db: DbOrTx,
  jobs: JobSender,
  options: FireOptions,
): Promise<FireReport[]> {
  const limit = options.limit ?? 100;
  const attempted: string[] = [];
  const reports: FireReport[] = [];
  // Several transactions at once: when many schedules share a minute, firing them one after the
  // other would make the last one late by the sum of the others (B7). Workers of one process never
  // claim the same schedule: it is row-locked by the claimer (SKIP LOCKED) and then listed as tried.
  async function worker() {
    while (attempted.length < limit) {
      const claim = await claimDueSchedule(db, options, attempted);
      if (!claim) return;
      attempted.push(claim.id);
      try {
        const fired = await db.transaction(async (tx) => {
          const [schedule] = await tx
            .select({
              id: workflowSchedules.id,
              workflowId: workflowSchedules.workflowId,
              ownerId: workflowSchedules.ownerId,
              cron: workflowSchedules.cron,
              timezone: workflowSchedules.timezone,
              input: workflowSchedules.input,
              versionTag: workflowSchedules.versionTag,
              overlap: workflowSchedules.overlap,
              missed: workflowSchedules.missed,
              missedWindowSeconds: workflowSchedules.missedWindowSeconds,
              nextFireAt: workflowSchedules.nextFireAt,
            })
            .from(workflowSchedules)
            .where(
              and(
                eq(workflowSchedules.id, claim.id),
                eq(workflowSchedules.enabled, true),
                // Still the occurrence claimed: not fired meanwhile by a runner that took over.
                eq(workflowSchedules.nextFireAt, claim.nextFireAt),
              ),
            )
            .for('update', { skipLocked: true });
          if (!schedule) return [];
          // The claims before this one all ended without their firing committing.
          if (options.maxClaims !== undefined && claim.claims > options.maxClaims)
            return abandonFiring(tx, schedule, claim.claims - 1, options);
          return fireSchedule(tx, jobs, schedule, options);
        });
        reports.push(...fired);
      } catch (error) {
        // Rolled back: the schedule stays due and is tried again on the next tick; the others go on.
        await releaseFireClaim(db, claim);
        options.onError?.(error, claim.id);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, worker));
  return reports;
}

/**
 * Starts the oldest `queued` occurrence (overlap `queue-one`) of each enabled schedule that has no
 * active run any more. Called on every scheduler tick and after a scheduled run finishes
 * (`scheduleId` then narrows it to that schedule).
 */
export async function startQueuedFires(
  db: DbOrTx,
  jobs: JobSender,
  options: Pick<FireOptions, 'now' | 'registry' | 'onError'> & { scheduleId?: string | undefined },
): Promise<FireReport[]> {
  const candidates = await db
    .selectDistinct({ scheduleId: scheduleFires.scheduleId })
    .from(scheduleFires)
    .where(
      and(
        eq(scheduleFires.outcome, 'queued'),
        options.scheduleId ? eq(scheduleFires.scheduleId, options.scheduleId) : undefined,
      ),
    )
    .limit(100);
  const reports: FireReport[] = [];
  for (const { scheduleId } of candidates) {
    try {
      const report = await db.transaction(async (tx) => {
        const [schedule] = await tx
          .select()
          .from(workflowSchedules)
          .where(and(eq(workflowSchedules.id, scheduleId), eq(workflowSchedules.enabled, true)))
          .for('update', { skipLocked: true });
        if (!schedule || (await activeRunCount(tx, schedule)) > 0) return null;
        const [fire] = await tx
          .select({ id: scheduleFires.id, fireAt: scheduleFires.fireAt })
          .from(scheduleFires)
          .where(and(eq(scheduleFires.scheduleId, scheduleId), eq(scheduleFires.outcome, 'queued')))
          .orderBy(scheduleFires.fireAt)
          .limit(1);
        if (!fire) return null;
        const result = await startScheduledRun(tx, jobs, schedule, fire.id, options.registry);
        const executionId = 'executionId' in result ? result.executionId : null;
        const outcome: ScheduleFireOutcome = executionId ? 'started' : 'failed';
        const reason =
          'error' in result
            ? startFailure(result.error)
            : `started after the previous run finished, ${formatLateness(options.now.getTime() - fire.fireAt.getTime())} after its time (overlap: queue-one)`;
        if ('error' in result && !(result.error instanceof DomainError))
          options.onError?.(result.error, scheduleId);
        await tx
          .update(scheduleFires)
          .set({ outcome, reason, updatedAt: sql`now()` })
          .where(eq(scheduleFires.id, fire.id));
        if (executionId)
          await tx
            .update(workflowSchedules)
            .set({ runCount: sql`${workflowSchedules.runCount} + 1` })
            .where(eq(workflowSchedules.id, scheduleId));
        return {
          scheduleId,
          workflowId: schedule.workflowId,
          fireAt: fire.fireAt,
          outcome,
          reason,
          executionId,
          latenessMs: options.now.getTime() - fire.fireAt.getTime(),
        } satisfies FireReport;
      });
      if (report) reports.push(report);
    } catch (error) {
      options.onError?.(error, scheduleId);
    }
  }
  return reports;
}

// ---------------------------------------------------------------------------------------------
// Retries of failed scheduled runs
// ---------------------------------------------------------------------------------------------

/** `retryDelaySeconds × 2^(attempt-1)`, at most an hour: the wait before retry number `attempt`. */
export function retryDelayMs(retryDelaySeconds: number, failedAttempt: number): number {
  const seconds = retryDelaySeconds * 2 ** Math.max(0, failedAttempt - 1);
  return Math.min(seconds, MAX_RETRY_DELAY_SECONDS) * 1000;
}

export interface RetryReport {
  scheduleId: string;
  fireId: string;
  failedExecutionId: string;
  executionId: string;
  triggerAttempt: number;
  startAfter: Date;
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause)
    if ((e as { code?: unknown }).code === '23505') return true;
  return false;
}

/**
 * Retries a scheduled run that ended `failed` (never a cancelled one, nor one abandoned after too
 * many claims — `RUN_ABANDONED_CODE`) while its schedule allows
 * more tries: a new run of the same occurrence, the same definition and input, `trigger_attempt`
 * one higher, held back by the backoff. Idempotent — the unique (occurrence, attempt) key makes a
 * replayed finish find the retry already there (null). Null too when nothing is to be retried.
 */
export async function retryFailedScheduledRun(
  db: DbOrTx,
  jobs: JobSender,
  options: { executionId: string; now: Date },
): Promise<RetryReport | null> {
  const [row] = await db
    .select({
      status: executions.status,
      error: executions.error,
      ownerId: executions.ownerId,
      workflowId: executions.workflowId,
      versionId: executions.versionId,
      definition: executions.definition,
      input: executions.input,
      fireId: executions.scheduleFireId,
      triggerAttempt: executions.triggerAttempt,
      scheduleId: workflowSchedules.id,
      retryLimit: workflowSchedules.retryLimit,
      retryDelaySeconds: workflowSchedules.retryDelaySeconds,
    })
    .from(executions)
    .innerJoin(scheduleFires, eq(scheduleFires.id, executions.scheduleFireId))
    .innerJoin(workflowSchedules, eq(workflowSchedules.id, scheduleFires.scheduleId))
    .where(eq(executions.id, options.executionId));
  if (row?.status !== 'failed' || row.fireId === null) return null;
  // Abandoned after killing or freezing runner after runner: a retry would only hand it round again.
  if (row.error?.code === RUN_ABANDONED_CODE) return null;
  if (row.triggerAttempt > row.retryLimit) return null;
  const triggerAttempt = row.triggerAttempt + 1;
  try {
    // A retry is a new run: a used-up blocking budget refuses it like any trigger.
    await assertWithinBudget(db, row.ownerId, row.workflowId);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    await db
      .update(scheduleFires)
      .set({ reason: `retry ${triggerAttempt - 1} not started: ${error.message}`, updatedAt: sql`now()` })
      .where(eq(scheduleFires.id, row.fireId));
    return null;
  }
  const startAfter = new Date(
    options.now.getTime() + retryDelayMs(row.retryDelaySeconds, row.triggerAttempt),
  );
  try {
    // A savepoint (or transaction) of its own: a conflict must not abort the caller's transaction.
    const { id } = await db.transaction((tx) =>
      createExecution(tx, jobs, {
        ownerId: row.ownerId,
        workflowId: row.workflowId,
        versionId: row.versionId,
        definition: row.definition,
        input: row.input,
        trigger: 'schedule',
        scheduleFireId: row.fireId,
        triggerAttempt,
        startAfter,
      }),
    );
    return {
      scheduleId: row.scheduleId,
      fireId: row.fireId,
      failedExecutionId: options.executionId,
      executionId: id,
      triggerAttempt,
      startAfter,
    };
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}

/**
 * Retries failed scheduled runs whose retry was never created (the runner that finished them died
 * before it could). The scheduler sweeps with this on every tick; it looks back a day.
 */
export async function retryMissedScheduledRuns(
  db: DbOrTx,
  jobs: JobSender,
  options: { now: Date; limit?: number | undefined },
): Promise<RetryReport[]> {
  // From the schedules that retry, through their last day of occurrences (index on schedule_id,
  // fire_at) to those occurrences' runs: never a scan of all executions.
  const rows = await db.execute<{ id: string }>(sql`
    select e.id from ${workflowSchedules} s
    join ${scheduleFires} f on f.schedule_id = s.id
      and f.fire_at > ${options.now.toISOString()}::timestamptz - interval '1 day'
    join ${executions} e on e.schedule_fire_id = f.id
    where s.retry_limit > 0 and e.status = 'failed' and e.trigger_attempt <= s.retry_limit
      and e.error->>'code' is distinct from ${RUN_ABANDONED_CODE}
      and not exists (
        select 1 from ${executions} r
        where r.schedule_fire_id = e.schedule_fire_id and r.trigger_attempt = e.trigger_attempt + 1)
    order by e.finished_at limit ${options.limit ?? 50}`);
  const reports: RetryReport[] = [];
  for (const { id } of rows) {
    const report = await retryFailedScheduledRun(db, jobs, { executionId: id, now: options.now });
    if (report) reports.push(report);
  }
  return reports;
}

/** The schedule a run belongs to (null for runs no schedule started). */
export async function scheduleOfExecution(db: DbOrTx, executionId: string): Promise<string | null> {
  const [row] = await db
    .select({ scheduleId: scheduleFires.scheduleId })
    .from(executions)
    .innerJoin(scheduleFires, eq(scheduleFires.id, executions.scheduleFireId))
    .where(eq(executions.id, executionId));
  return row?.scheduleId ?? null;
}

/** When the scheduler should wake next: the earliest next occurrence of an enabled schedule, and the database's clock. */
export async function schedulerClock(db: DbOrTx): Promise<{ now: Date; nextFireAt: Date | null }> {
  const [row] = await db.execute<{ now: string | Date; next: string | Date | null }>(sql`
    select now() as now,
      (select min(next_fire_at) from ${workflowSchedules} where enabled) as next`);
  return { now: new Date(row!.now), nextFireAt: row!.next === null ? null : new Date(row!.next) };
}

/** How much history each schedule keeps (the runner's hourly maintenance prunes the rest). */
export const SCHEDULE_HISTORY_RETENTION = { maxAgeMs: 90 * 86_400_000, maxPerSchedule: 1000 };

/**
 * Prunes schedule history: occurrences older than `maxAgeMs` or beyond the newest `maxPerSchedule`
 * of their schedule — a per-minute schedule would otherwise add half a million rows a year. Never a
 * `queued` occurrence or one whose run is still queued or running (its retries hang off it). Runs
 * stay (their link to the occurrence becomes null). Returns how many rows went.
 */
export async function pruneScheduleFires(
  db: DbOrTx,
  options: { now?: Date | undefined; maxAgeMs?: number; maxPerSchedule?: number } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  const maxAgeMs = options.maxAgeMs ?? SCHEDULE_HISTORY_RETENTION.maxAgeMs;
  const maxPerSchedule = options.maxPerSchedule ?? SCHEDULE_HISTORY_RETENTION.maxPerSchedule;
  const cutoff = new Date(now.getTime() - maxAgeMs).toISOString();
  const deleted = await db.execute<{ id: string }>(sql`
    delete from ${scheduleFires} where id in (
      select id from (
        select f.id, f.fire_at, f.outcome,
          row_number() over (partition by f.schedule_id order by f.fire_at desc) as n
        from ${scheduleFires} f
      ) ranked
      where (ranked.fire_at < ${cutoff}::timestamptz or ranked.n > ${maxPerSchedule})
        and ranked.outcome <> 'queued'
        and not exists (
          select 1 from ${executions} e
          where e.schedule_fire_id = ranked.id and e.status in ('queued', 'running'))
      limit 50000)
    returning id`);
  return deleted.length;
}
