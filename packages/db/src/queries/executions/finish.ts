/** Ending a run: its outcome (fenced, with the steps still pending), or giving up on it. */
import type { RunError } from '@swarm/engine';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../client.ts';
import { executionSteps, executions } from '../../schema/index.ts';
import { notifyRunEvent } from './notify.ts';
import { type RunFence, storableError } from './shared.ts';
import { addRunCost, type StepChange, stepChangesCost, writeStepChanges } from './steps.ts';

export interface RunOutcomeInput {
  status: 'succeeded' | 'failed' | 'cancelled';
  output: unknown;
  error: RunError | null;
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
    const [current] = await tx
      .select({
        status: executions.status,
        runAttempt: executions.runAttempt,
        eventSeq: executions.eventSeq,
        workflowId: executions.workflowId,
        ownerId: executions.ownerId,
      })
      .from(executions)
      .where(eq(executions.id, fence.executionId))
      .for('update');
    if (current?.status !== 'running' || current.runAttempt !== fence.runAttempt) return false;

    if (pendingSteps.length > 0)
      await writeStepChanges(tx, fence, current, pendingSteps, current.eventSeq + 1);
    const open = await tx
      .select({ id: executionSteps.id })
      .from(executionSteps)
      .where(and(eq(executionSteps.executionId, fence.executionId), eq(executionSteps.status, 'running')))
      .orderBy(asc(executionSteps.nodeId));
    let seq = current.eventSeq + pendingSteps.length;
    for (const step of open) {
      seq += 1;
      await tx
        .update(executionSteps)
        .set({
          status: 'cancelled',
          error: { code: 'cancelled', message: 'the run ended before this step finished' },
          finishedAt: sql`now()`,
          durationMs: sql`greatest(0, round(extract(epoch from (now() - ${executionSteps.startedAt})) * 1000))::int`,
          eventSeq: seq,
        })
        .where(eq(executionSteps.id, step.id));
    }
    seq += 1;
    await tx
      .update(executions)
      .set({
        status: outcome.status,
        output: outcome.output ?? null,
        error: storableError(outcome.error),
        ...addRunCost(stepChangesCost(pendingSteps)),
        finishedAt: sql`now()`,
        durationMs: sql`greatest(0, round(extract(epoch from (now() - coalesce(${executions.startedAt}, now()))) * 1000))::int`,
        eventSeq: seq,
        updatedAt: sql`now()`,
      })
      .where(eq(executions.id, fence.executionId));
    await notifyRunEvent(tx, { executionId: fence.executionId, kind: 'status', seq });
    await options.alsoInTransaction?.(tx);
    return true;
  });
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
