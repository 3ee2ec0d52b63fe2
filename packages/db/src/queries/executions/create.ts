/** Creating runs: the queued execution and its `run` job, always together. */
import { randomUUID } from 'node:crypto';
import type { ExecutionTrigger, WorkflowDefinition } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import { type DbOrTx, inTransaction } from '../../client.ts';
import { enqueueJob, enqueueJobs, type JobBatchSender, type JobSender } from '../../jobs.ts';
import { type ExecutionKind, executionSteps, executions } from '../../schema/index.ts';
import { runJobOptions } from './concurrency.ts';
import { recordsetInsert } from './recordset.ts';

export interface NewExecution {
  /** Chosen by the caller when it writes rows referencing the run in the same round trip. */
  id?: string | undefined;
  ownerId: string;
  workflowId: string;
  versionId?: string | null | undefined;
  /** The definition to run, already validated; stored as the run's snapshot. */
  definition: WorkflowDefinition;
  input: unknown;
  trigger: ExecutionTrigger;
  /** `run` unless this is a test (the editor's draft test run or a node test). */
  kind?: ExecutionKind | undefined;
  /** Test runs only: outputs used instead of executing those nodes. */
  pins?: Record<string, { output: unknown }> | null | undefined;
  rerunOf?: string | null | undefined;
  rerunFromNode?: string | null | undefined;
  /** Steps of `rerunOf` copied into the new run as already done (no provider calls, no cost). */
  reuseStepIds?: string[] | undefined;
  /** A scheduled run: the occurrence (schedule_fires row) that started it, and which try this is. */
  scheduleFireId?: string | null | undefined;
  triggerAttempt?: number | undefined;
  /** The run stays queued until then (a retry's backoff). */
  startAfter?: Date | undefined;
}

/**
 * Inserts a queued execution and enqueues its `run` job in one transaction (the caller's, when `db`
 * is one): there is never a run without its job or a job without its run.
 */
export async function createExecution(
  db: DbOrTx,
  jobs: JobSender,
  input: NewExecution,
): Promise<{ id: string }> {
  // Not `createExecutions` for one: that needs pg-boss's `insert`, and callers here (schedules,
  // the runner and its tests) hold a sender that only sends. One statement per job either way.
  const id = input.id ?? randomUUID();
  return inTransaction(db, async (tx) => {
    // Sent first (`execute` sends at once): the reused steps reference the run.
    const inserted = tx.execute(insertRuns.values([executionRow(input, id)])).execute();
    await Promise.all([
      inserted,
      copyReusedSteps(tx, id, input),
      enqueueJob(jobs, tx, 'run', { executionId: id }, runJobOptionsFor(input)),
    ]);
    return { id };
  });
}

/**
 * `createExecution` for many runs at once, in one round trip: one multi-row insert of the runs, one
 * of their jobs (pg-boss `insert`), pipelined with any steps re-runs reuse. The ids are chosen up
 * front (or by the caller) so nothing waits for a `returning`; they come back in input order. The
 * runs' insert is sent before this returns its promise: a caller in the same transaction may send
 * statements referencing them right after the call, without awaiting it.
 */
export async function createExecutions(
  db: DbOrTx,
  jobs: JobBatchSender,
  inputs: NewExecution[],
): Promise<{ id: string }[]> {
  if (inputs.length === 0) return [];
  const ids = inputs.map((input) => input.id ?? randomUUID());
  return inTransaction(db, async (tx) => {
    // Sent first and at once (`execute`), before this returns: the reused steps — and rows the caller
    // sends in the same round trip — reference the runs.
    const inserted = tx
      .execute(insertRuns.values(inputs.map((input, i) => executionRow(input, ids[i]!))))
      .execute();
    await Promise.all([
      inserted,
      ...inputs.map((input, i) => copyReusedSteps(tx, ids[i]!, input)),
      enqueueJobs(
        jobs,
        tx,
        'run',
        inputs.map((input, i) => ({ data: { executionId: ids[i]! }, options: runJobOptionsFor(input) })),
      ),
    ]);
    return ids.map((id) => ({ id }));
  });
}

/** The runs' insert as one fixed statement (drizzle's builder cost the API ~0.2 ms per run). */
const insertRuns = recordsetInsert(executions, [
  'id',
  'ownerId',
  'workflowId',
  'versionId',
  'definition',
  'input',
  'trigger',
  'kind',
  'pins',
  'rerunOf',
  'rerunFromNode',
  'scheduleFireId',
  'triggerAttempt',
]);

function executionRow(input: NewExecution, id: string) {
  return {
    id,
    ownerId: input.ownerId,
    workflowId: input.workflowId,
    versionId: input.versionId ?? null,
    definition: input.definition,
    input: input.input ?? null,
    trigger: input.trigger,
    kind: input.kind ?? 'run',
    pins: input.pins ?? null,
    rerunOf: input.rerunOf ?? null,
    rerunFromNode: input.rerunFromNode ?? null,
    scheduleFireId: input.scheduleFireId ?? null,
    triggerAttempt: input.triggerAttempt ?? 1,
  };
}

function runJobOptionsFor(input: NewExecution) {
  return {
    ...runJobOptions(input.workflowId, input.definition),
    ...(input.startAfter ? { startAfter: input.startAfter } : {}),
  };
}

/** Copies the steps a re-run reuses into it (sent after the run's row, in the same round trip). */
async function copyReusedSteps(tx: DbOrTx, id: string, input: NewExecution): Promise<void> {
  const reuse = input.reuseStepIds ?? [];
  if (reuse.length === 0) return;
  if (!input.rerunOf) throw new Error('reuseStepIds needs rerunOf');
  await tx.execute(sql`
    insert into ${executionSteps} (execution_id, node_id, node_type, status, input, output, branch,
      pinned, reused_from_step_id, run_attempt, started_at, finished_at, duration_ms, cost_micros,
      event_seq)
    select ${id}, node_id, node_type, status, input, output, branch,
      pinned, id, 0, started_at, finished_at, duration_ms, 0, 0
    from ${executionSteps}
    where execution_id = ${input.rerunOf} and id = any(${sql.param(reuse)}::uuid[])
      and status in ('succeeded', 'skipped')`);
}
