/** Cancelling a run: at once while queued, through its runner while running. */
import { ConflictError, NotFoundError } from '@swarm/engine';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { type ExecutionStatus, executions } from '../../schema/index.ts';
import { notifyRunEvent } from './notify.ts';
import { isFinished } from './shared.ts';

/**
 * Cancels a run. A queued run is cancelled at once (`queued → cancelled`; its job then finds
 * nothing to do). A running run gets `cancel_requested_at` and a `cancel` notice: its runner
 * aborts it and finishes it as cancelled. A finished run cannot be cancelled (CONFLICT).
 */
export async function cancelExecution(
  db: DbOrTx,
  ownerId: string,
  id: string,
): Promise<{ id: string; status: ExecutionStatus; cancelRequested: boolean }> {
  return db.transaction(async (tx) => {
    const [current] = await tx
      .select({ status: executions.status })
      .from(executions)
      .where(and(eq(executions.id, id), eq(executions.ownerId, ownerId)))
      .for('update');
    if (!current) throw new NotFoundError('run');
    if (isFinished(current.status)) {
      throw new ConflictError(
        `this run already ${current.status === 'cancelled' ? 'was cancelled' : current.status}; only queued or running runs can be cancelled`,
      );
    }
    if (current.status === 'queued') {
      const [row] = await tx
        .update(executions)
        .set({
          status: 'cancelled',
          error: { code: 'cancelled', message: 'cancelled before it started' },
          cancelRequestedAt: sql`now()`,
          finishedAt: sql`now()`,
          eventSeq: sql`${executions.eventSeq} + 1`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(executions.id, id), eq(executions.status, 'queued')))
        .returning({ eventSeq: executions.eventSeq });
      await notifyRunEvent(tx, { executionId: id, kind: 'status', seq: row!.eventSeq });
      return { id, status: 'cancelled', cancelRequested: true };
    }
    const [row] = await tx
      .update(executions)
      .set({
        cancelRequestedAt: sql`coalesce(${executions.cancelRequestedAt}, now())`,
        eventSeq: sql`${executions.eventSeq} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(executions.id, id), eq(executions.status, 'running')))
      .returning({ eventSeq: executions.eventSeq });
    await notifyRunEvent(tx, { executionId: id, kind: 'cancel', seq: row!.eventSeq });
    return { id, status: 'running', cancelRequested: true };
  });
}
