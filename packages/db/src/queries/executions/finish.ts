/** Ending a run: its outcome (fenced, with the steps still pending), or giving up on it. */
import type { RunError } from '@swarm/engine';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { JobAttempt } from 'pg-boss';
import type { Db, DbOrTx, Tx } from '../../client.ts';
import { createGroupCommitter } from '../../group-commit.ts';
import { executionSteps, executions } from '../../schema/index.ts';
import { notifyRunEvent, notifyRunEvents } from './notify.ts';
import { equalsAnyId } from './recordset.ts';
import { type RunFence, storableError } from './shared.ts';
import { type StepChange, stepChangesCost, writeStepChangesOfRuns } from './steps.ts';

export interface RunOutcomeInput {
  status: 'succeeded' | 'failed' | 'cancelled';
  output: unknown;
  error: RunError | null;
}

/** One run to end: its claim, its outcome and the step changes the runner still holds. */
export interface RunFinish {
  fence: RunFence;
  outcome: RunOutcomeInput;
  /** Written as `recordSteps` would, before the run's end. */
  pendingSteps?: readonly StepChange[] | undefined;
  /** More work for the same transaction when the fence holds (a failed run's notification event). */
  alsoInTransaction?: ((tx: Tx) => Promise<unknown>) | undefined;
}

/**
 * Ends a run: `running → succeeded | failed | cancelled` with its output or error and duration,
 * only if the fence holds. Step changes the runner still holds (`pendingSteps`, written as
 * `recordSteps` would) go first; then steps still marked `running` (a branch that never reported
 * back) are closed as cancelled, each with its own event number. One transaction, one NOTIFY.
 * Returns false when fenced out.
 */
export async function finishExecution(
  db: DbOrTx,
  fence: RunFence,
  outcome: RunOutcomeInput,
  pendingSteps: readonly StepChange[] = [],
  options: {
    /** More work for the same transaction when the fence holds (a runner completes the run's job). */
    alsoInTransaction?: ((tx: Tx) => Promise<void>) | undefined;
  } = {},
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [ended] = await finishExecutionsInTransaction(tx, [
      { fence, outcome, pendingSteps, alsoInTransaction: options.alsoInTransaction },
    ]);
    return ended === true;
  });
}

/**
 * `finishExecution` for several runs in the caller's transaction, with set-based statements: one to
 * lock and check every fence, one for all step rows, one for all ledger rows, one to read steps left
 * running, one to end every run and one for their NOTIFYs — the same rows and events as ending
 * each run on its own, at a fraction of the round trips (a runner ends the runs it has ready in a
 * group: `createRunFinisher` in the runner). Answers, in order, whether each run's fence held;
 * runs fenced out are left untouched.
 */
export async function finishExecutionsInTransaction(
  tx: Tx,
  finishes: readonly RunFinish[],
): Promise<boolean[]> {
  if (finishes.length === 0) return [];
  const ids = finishes.map((f) => f.fence.executionId);
  // Ordered by id, so two groups sharing a run lock in the same order (no deadlock).
  const rows = await tx.execute<{
    id: string;
    status: string;
    runAttempt: number;
    eventSeq: number;
    workflowId: string;
    ownerId: string;
  }>(sql`select ${executions.id}, ${executions.status}, ${executions.runAttempt} as "runAttempt",
      ${executions.eventSeq} as "eventSeq", ${executions.workflowId} as "workflowId",
      ${executions.ownerId} as "ownerId"
    from ${executions} where ${equalsAnyId(executions.id, ids)}
    order by ${executions.id} for update`);
  const current = new Map(rows.map((row) => [row.id, row]));
  const held = finishes.flatMap((finish) => {
    const run = current.get(finish.fence.executionId);
    if (run?.status !== 'running' || run.runAttempt !== finish.fence.runAttempt) return [];
    return [{ finish, run, pending: finish.pendingSteps ?? [] }];
  });
  if (held.length === 0) return finishes.map(() => false);

  await writeStepChangesOfRuns(
    tx,
    held.map(({ finish, run, pending }) => ({
      fence: finish.fence,
      run,
      changes: pending,
      firstSeq: run.eventSeq + 1,
    })),
  );
  const heldIds = held.map(({ finish }) => finish.fence.executionId);
  const open = await tx.execute<{ id: string; executionId: string }>(sql`
    select ${executionSteps.id}, ${executionSteps.executionId} as "executionId" from ${executionSteps}
    where ${equalsAnyId(executionSteps.executionId, heldIds)}
      and ${executionSteps.status} = 'running'
    order by ${executionSteps.executionId}, ${executionSteps.nodeId}`);
  const ends = [];
  for (const { finish, run, pending } of held) {
    let seq = run.eventSeq + pending.length;
    for (const step of open.filter((s) => s.executionId === finish.fence.executionId)) {
      seq += 1;
      await cancelOpenStep(tx, step.id, seq);
    }
    seq += 1;
    const cost = stepChangesCost(pending);
    ends.push({
      id: finish.fence.executionId,
      status: finish.outcome.status,
      output: finish.outcome.output ?? null,
      error: storableError(finish.outcome.error),
      known: cost.knownCostMicros,
      unknown: cost.unknownCostAttempts,
      seq,
    });
  }
  await tx.execute(sql`
    update ${executions} as e set
      status = r.status,
      output = r.output,
      error = r.error,
      known_cost_micros = e.known_cost_micros + r.known,
      unknown_cost_attempts = e.unknown_cost_attempts + r.unknown,
      cost_micros = case when e.unknown_cost_attempts + r.unknown > 0 then null
                         else e.known_cost_micros + r.known end,
      finished_at = now(),
      duration_ms = greatest(0, round(extract(epoch from (now() - coalesce(e.started_at, now()))) * 1000))::int,
      event_seq = r.seq,
      updated_at = now()
    from jsonb_to_recordset(${JSON.stringify(ends)}::jsonb)
      as r(id uuid, status text, output jsonb, error jsonb, known bigint, unknown int, seq int)
    where e.id = r.id and ${equalsAnyId(sql`e.id`, heldIds)}`);
  await notifyRunEvents(
    tx,
    ends.map((end) => ({ executionId: end.id, kind: 'status', seq: end.seq })),
  );
  for (const { finish } of held) await finish.alsoInTransaction?.(tx);
  const ended = new Set(held.map(({ finish }) => finish.fence.executionId));
  return finishes.map((finish) => ended.has(finish.fence.executionId));
}

/** Closes a step the run left `running` (a branch that never reported back) as cancelled. */
async function cancelOpenStep(tx: Tx, stepId: string, eventSeq: number) {
  await tx
    .update(executionSteps)
    .set({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'the run ended before this step finished' },
      finishedAt: sql`now()`,
      durationMs: sql`greatest(0, round(extract(epoch from (now() - ${executionSteps.startedAt})) * 1000))::int`,
      eventSeq,
    })
    .where(eq(executionSteps.id, stepId));
}

/**
 * Gives up on a run no runner could finish (its job's retries ran out): `queued | running →
 * failed`. Returns false when the run had already finished.
 */
export async function failAbandonedExecution(db: DbOrTx, executionId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(executions)
      .set({
        status: 'failed',
        error: {
          code: 'runner_lost',
          message:
            'No runner could finish this run after repeated attempts (runners stopped or lost their database connection). Re-run it.',
        },
        finishedAt: sql`now()`,
        durationMs: sql`case when ${executions.startedAt} is null then null else greatest(0, round(extract(epoch from (now() - ${executions.startedAt})) * 1000))::int end`,
        eventSeq: sql`${executions.eventSeq} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(executions.id, executionId), inArray(executions.status, ['queued', 'running'])))
      .returning({ eventSeq: executions.eventSeq });
    if (!row) return false;
    await notifyRunEvent(tx, { executionId, kind: 'status', seq: row.eventSeq });
    return true;
  });
}

/** A run to end, with the attempt of its queue job to complete in the same transaction. */
export interface RunFinishWithJob extends RunFinish {
  job?: JobAttempt | undefined;
}

export interface RunFinisher {
  /** Ends the run with whatever other runs are ready; answers whether its fence held. */
  finish(finish: RunFinishWithJob): Promise<boolean>;
}

/**
 * Ends runs in groups (group commit, as the API's webhook deliveries start them): runs that end
 * while a group is being committed go together in the next one — one transaction, set-based
 * statements (`finishExecutionsInTransaction`) and one job completion for all. No timer: a run
 * ending alone goes at once. A group that fails as a whole is retried run by run, so one run's
 * error stays its own.
 */
export function createRunFinisher(
  db: Db,
  options: {
    /** Completes the jobs of the runs that ended, inside the group's transaction (pg-boss `complete` on it). */
    completeJobs?: ((tx: Tx, jobs: JobAttempt[]) => Promise<unknown>) | undefined;
    /** The most runs in one group (bounds the transaction and how long it holds their locks). */
    maxGroup?: number | undefined;
  } = {},
): RunFinisher {
  const committer = createGroupCommitter<RunFinishWithJob, boolean>({
    maxBatch: options.maxGroup ?? 100,
    commit: (finishes) =>
      db.transaction(async (tx) => {
        const ended = await finishExecutionsInTransaction(tx, finishes);
        const jobs = finishes.flatMap((finish, i) => (ended[i] && finish.job ? [finish.job] : []));
        if (jobs.length > 0) {
          if (!options.completeJobs) throw new Error('a run finisher without completeJobs was given a job');
          await options.completeJobs(tx, jobs);
        }
        return ended.map((value) => ({ status: 'fulfilled' as const, value }));
      }),
  });
  return { finish: (finish) => committer.submit(finish) };
}
