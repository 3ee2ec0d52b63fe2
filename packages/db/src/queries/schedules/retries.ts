/** Retries of failed scheduled runs: a new run of the same occurrence after the engine's backoff. */
import { DomainError, hasRetryLeft, retryDelayMs } from '@swarm/engine';
import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { isUniqueViolation } from '../../errors.ts';
import type { JobSender } from '../../jobs.ts';
import { executions, scheduleFires, workflowSchedules } from '../../schema/index.ts';
import { assertWithinBudget } from '../budgets.ts';
import { createExecution, RUN_ABANDONED_CODE } from '../executions/index.ts';

export interface RetryReport {
  scheduleId: string;
  fireId: string;
  failedExecutionId: string;
  executionId: string;
  triggerAttempt: number;
  startAfter: Date;
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
  if (!hasRetryLeft(row.triggerAttempt, row.retryLimit)) return null;
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
