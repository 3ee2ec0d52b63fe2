/**
 * Firing schedules — what every runner's scheduler calls. Exactly once per occurrence however many
 * runners race: each schedule is claimed with `for update skip locked` in a transaction of its own,
 * its occurrences are written to `schedule_fires` with `on conflict (schedule_id, fire_at) do
 * nothing`, and `next_fire_at` moves past `now` in the same transaction. Whatever becomes of an
 * occurrence — started, queued behind a running run, skipped, missed while no runner was up, failed
 * to start — is one history row with its reason. One bad schedule never stops the others: a run
 * that cannot start is a `failed` row.
 *
 * Which occurrences are due, what the missed-runs and overlap policies make of them and the words
 * of the reasons are the engine's rules (`schedule-policy.ts`); this module applies them under the
 * row locks. Times: callers pass `now` (the scheduler passes the database's clock), so tests drive
 * a fake one. DST follows the cron module: a wall-clock time in a spring-forward gap fires once at
 * the next valid instant; a time repeated at fall-back fires once (its first instant).
 */
import {
  abandonedFiringReason,
  DomainError,
  dueOccurrences,
  firingHorizon,
  type NodeRegistry,
  nextFireAfter,
  overlapOutcome,
  planOccurrences,
  queuedStartReason,
  type ScheduleFireOutcome,
  type ScheduleMissedPolicy,
  type ScheduleOverlapPolicy,
  startFailure,
  withDroppedNote,
} from '@swarm/engine';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { isLockNotAvailable } from '../../errors.ts';
import type { JobSender } from '../../jobs.ts';
import { executions, scheduleFires, workflowSchedules } from '../../schema/index.ts';
import { createExecution } from '../executions/index.ts';
import { prepareRun } from '../start-run.ts';

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

/**
 * How long a firing waits for its claimed schedule's row lock. The holders it waits for are other
 * runners' claim statements (a few ms); a frozen firing would hold it far longer. It bounds the
 * firing's later lock waits too (`set local`): one that takes longer fails that firing, which is
 * rolled back and tried again on the next pass, like any failed firing.
 */
const FIRING_LOCK_WAIT_MS = 1_000;

/** The claim columns after a firing committed (or an occurrence was given up): no claim. */
const NO_FIRE_CLAIM = { fireClaims: 0, fireClaimFor: null, fireClaimedAt: null } as const;

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

/** The occurrences a firing of a claimed schedule processes (claimed schedules are due: `next_fire_at` is set). */
const dueOccurrencesOf = (schedule: ScheduleForFiring, options: FireOptions) =>
  dueOccurrences(
    { cron: schedule.cron, timezone: schedule.timezone, nextFireAt: schedule.nextFireAt! },
    options,
  );

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
  const { horizon, due, occurrences, dropped, droppedAtLeast } = dueOccurrencesOf(schedule, options);
  const plans = planOccurrences(schedule, occurrences, now);
  // Overlap `allow` starts every occurrence whatever is running: no need to look.
  let active = schedule.overlap === 'allow' ? 0 : await activeRunCount(tx, schedule);
  let queued = schedule.overlap === 'queue-one' ? await hasQueuedFire(tx, schedule.id) : false;
  const reports: FireReport[] = [];
  let started = 0;

  for (const [index, plan] of plans.entries()) {
    const { occurrence } = plan;
    const decided = overlapOutcome(plan, schedule.overlap, { active, queued });
    let outcome: ScheduleFireOutcome = decided.outcome;
    let reason = decided.reason;
    if (outcome === 'queued') queued = true;
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
  const { horizon, due, occurrences, dropped, droppedAtLeast } = dueOccurrencesOf(schedule, options);
  const reason = abandonedFiringReason(claims);
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
      where enabled and next_fire_at <= ${firingHorizon(options).toISOString()}::timestamptz
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
      let rowLocked = false;
      try {
        const fired = await db.transaction(async (tx) => {
          // Waits for the row, briefly: another runner's claim statement may hold it for a moment
          // (it locks a row it then rejects as claimed: Postgres re-checks a row updated meanwhile
          // after locking it, and keeps the lock to the statement's end). Skipping the row here
          // left the occurrence to this claim's lease, fired ~3 s after its instant (armed 2 s
          // early): one to four occurrences in 300 under B7. Still locked after the wait: a runner
          // that froze while firing it (below).
          await tx.execute(sql.raw(`set local lock_timeout = ${FIRING_LOCK_WAIT_MS}`));
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
            .for('update');
          rowLocked = true;
          if (!schedule) return [];
          // The claims before this one all ended without their firing committing.
          if (options.maxClaims !== undefined && claim.claims > options.maxClaims)
            return abandonFiring(tx, schedule, claim.claims - 1, options);
          return fireSchedule(tx, jobs, schedule, options);
        });
        reports.push(...fired);
      } catch (error) {
        // A runner that froze mid-firing holds the row (it took the schedule after an older claim
        // ran out): this claim keeps the others off for its lease, then whoever claims it tries
        // again — as it was before the wait above.
        if (!rowLocked && isLockNotAvailable(error)) continue;
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
            : queuedStartReason(options.now.getTime() - fire.fireAt.getTime());
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

/** When the scheduler should wake next: the earliest next occurrence of an enabled schedule, and the database's clock. */
export async function schedulerClock(db: DbOrTx): Promise<{ now: Date; nextFireAt: Date | null }> {
  const [row] = await db.execute<{ now: string | Date; next: string | Date | null }>(sql`
    select now() as now,
      (select min(next_fire_at) from ${workflowSchedules} where enabled) as next`);
  return { now: new Date(row!.now), nextFireAt: row!.next === null ? null : new Date(row!.next) };
}
