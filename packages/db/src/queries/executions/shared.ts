/**
 * What the run's concerns share: which statuses are final, the fence every runner write is
 * conditioned on, and how errors are stored.
 */
import { type RunError, redactSecretsDeep } from '@swarm/engine';
import { and, eq } from 'drizzle-orm';
import { type ExecutionStatus, executions } from '../../schema/index.ts';

export const FINISHED_STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isFinished = (status: ExecutionStatus) => FINISHED_STATUSES.includes(status);

/** Identifies the claim a runner's writes belong to. */
export interface RunFence {
  executionId: string;
  runAttempt: number;
}

/** The outcome of a fenced write: refused when the run was claimed again or is no longer running. */
export type FencedWrite = { ok: true; cancelRequested: boolean } | { ok: false };

/** The run is still running under the claim `fence` was taken with (the compare-and-set of every fenced write). */
export const fenceHolds = (fence: RunFence) =>
  and(
    eq(executions.id, fence.executionId),
    eq(executions.runAttempt, fence.runAttempt),
    eq(executions.status, 'running'),
  );

/**
 * A run or step error as it is stored: credential-shaped values replaced (the last line of defence —
 * whoever raised it should already have redacted the secrets it knew by value). Errors are read by
 * the run's viewers, exports and logs; a provider that echoes a key must not put it there.
 */
export const storableError = (error: RunError | null): RunError | null =>
  error ? redactSecretsDeep(error) : null;
