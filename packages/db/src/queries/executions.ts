/**
 * Runs of workflows: creating an execution together with its `run` job, the runner's claim and
 * its fenced writes (steps with their attempt ledger, the outcome), cancellation, re-runs, and the
 * owner-scoped reads behind `runs.list`, `runs.get` and `runs.events`.
 *
 * Every status change is a compare-and-set from the expected status. Everything a runner writes
 * carries the `run_attempt` it claimed with and is refused once another runner has claimed the run
 * again, so a stale runner (pg-boss delivers at least once) changes nothing. Each write that a live
 * viewer should see bumps `event_seq` and — when somebody watches the run (`run-watchers.ts`) —
 * sends a small NOTIFY on `RUN_EVENTS_CHANNEL` in the same transaction, so listeners hear about
 * exactly the committed changes and re-read them.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttemptRecord,
  ConflictError,
  DomainError,
  NotFoundError,
  type PriorStep,
  type RunError,
  redactSecrets,
  redactSecretsDeep,
  type WorkflowDefinition,
} from '@swarm/engine';
import { and, asc, count, desc, eq, gt, inArray, ne, type SQL, sql } from 'drizzle-orm';
import { type DbOrTx, inTransaction, type Tx } from '../client.ts';
import { enqueueJob, enqueueJobs, type JobBatchSender, type JobSender } from '../jobs.ts';
import {
  type ExecutionStatus,
  type ExecutionTrigger,
  executionCosts,
  executionSteps,
  executions,
  type StepStatus,
  workflows,
} from '../schema/index.ts';
import { notifyRunEventIfWatched } from './run-watchers.ts';

export {
  EXECUTION_STATUSES,
  EXECUTION_TRIGGERS,
  type ExecutionStatus,
  type ExecutionTrigger,
  STEP_STATUSES,
  type StepStatus,
} from '../schema/index.ts';

/** The Postgres channel of run events; payloads are `RunEventNotice` JSON. */
export const RUN_EVENTS_CHANNEL = 'swarm_run_events';

/** What a NOTIFY says: which run changed and how. Readers re-read the state; this is only a wake-up. */
export interface RunEventNotice {
  executionId: string;
  /** `status`: the run's status or outcome changed; `step`: a step changed; `cancel`: cancel requested. */
  kind: 'status' | 'step' | 'cancel';
  /** The run's `event_seq` after the change. */
  seq: number;
}

export function parseRunEventNotice(payload: string): RunEventNotice | null {
  try {
    const value = JSON.parse(payload) as Partial<RunEventNotice>;
    if (typeof value.executionId !== 'string' || typeof value.seq !== 'number') return null;
    if (value.kind !== 'status' && value.kind !== 'step' && value.kind !== 'cancel') return null;
    return { executionId: value.executionId, kind: value.kind, seq: value.seq };
  } catch {
    return null;
  }
}

/**
 * Sends a run event. Every call site runs it AFTER the statement of its transaction that updated the
 * run's `executions` row (holding the row lock until commit): that order is what lets live viewers
 * register without missing a change (see run-watchers.ts), so keep it. Status and step events go
 * only to runs somebody watches; `cancel` always goes out, since the runner executing the run
 * listens for it without registering.
 */
async function notifyRunEvent(tx: DbOrTx, notice: RunEventNotice) {
  const payload = JSON.stringify(notice);
  if (notice.kind === 'cancel') await tx.execute(sql`select pg_notify(${RUN_EVENTS_CHANNEL}, ${payload})`);
  else await notifyRunEventIfWatched(tx, RUN_EVENTS_CHANNEL, notice.executionId, payload);
}

export const FINISHED_STATUSES: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled'];
const isFinished = (status: ExecutionStatus) => FINISHED_STATUSES.includes(status);

// ---------------------------------------------------------------------------------------------
// Per-workflow concurrency
// ---------------------------------------------------------------------------------------------

/** The highest per-workflow limit; pg-boss gets one group tier per value up to it. */
export const MAX_CONCURRENT_RUNS = 100;

/**
 * A workflow's limit on runs executing at once, from `settings.maxConcurrentRuns` of the
 * definition the run snapshotted (an integer 1…MAX_CONCURRENT_RUNS); null means no limit.
 */
export function runConcurrencyLimit(definition: WorkflowDefinition): number | null {
  const value = definition.settings?.maxConcurrentRuns;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_CONCURRENT_RUNS
    ? value
    : null;
}

/**
 * pg-boss group concurrency for `run` workers: a limited workflow's jobs carry the group
 * `{ id: workflowId, tier: "<limit>" }`, and a worker fetches none of a group already at its tier's
 * limit — so queued runs wait in the queue without being polled. The fetch counts active jobs from a
 * snapshot, so two runners fetching at the same instant can both win; the claim's gate (below) is
 * the strict check and defers the loser.
 */
export const RUN_GROUP_CONCURRENCY = {
  default: MAX_CONCURRENT_RUNS,
  tiers: Object.fromEntries(Array.from({ length: MAX_CONCURRENT_RUNS }, (_, i) => [String(i + 1), i + 1])),
};

/** The pg-boss send options of a run job: its concurrency group, when the workflow has a limit. */
export function runJobOptions(workflowId: string, definition: WorkflowDefinition) {
  const limit = runConcurrencyLimit(definition);
  return limit === null ? {} : { group: { id: workflowId, tier: String(limit) } };
}

// ---------------------------------------------------------------------------------------------
// Creating runs
// ---------------------------------------------------------------------------------------------

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
    const inserted = tx.insert(executions).values(executionRow(input, id)).execute();
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
      .insert(executions)
      .values(inputs.map((input, i) => executionRow(input, ids[i]!)))
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

function executionRow(input: NewExecution, id: string) {
  return {
    id,
    ownerId: input.ownerId,
    workflowId: input.workflowId,
    versionId: input.versionId ?? null,
    definition: input.definition,
    input: input.input ?? null,
    trigger: input.trigger,
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
      reused_from_step_id, run_attempt, started_at, finished_at, duration_ms, cost_micros, event_seq)
    select ${id}, node_id, node_type, status, input, output, branch,
      id, 0, started_at, finished_at, duration_ms, 0, 0
    from ${executionSteps}
    where execution_id = ${input.rerunOf} and id = any(${sql.param(reuse)}::uuid[])
      and status in ('succeeded', 'skipped')`);
}

// ---------------------------------------------------------------------------------------------
// The runner's side: claim, fenced writes, finish
// ---------------------------------------------------------------------------------------------

/** Identifies the claim a runner's writes belong to. */
export interface RunFence {
  executionId: string;
  runAttempt: number;
}

export interface ClaimedRun extends RunFence {
  workflowId: string;
  ownerId: string;
  definition: WorkflowDefinition;
  input: unknown;
  /** Set when someone asked to cancel before this claim: the runner finishes it as cancelled. */
  cancelRequested: boolean;
  /** Steps already succeeded or skipped (an earlier attempt, or reused by a re-run): not run again. */
  priorSteps: PriorStep[];
  /** Started by a schedule occurrence (the scheduler follows up when it ends). */
  scheduled: boolean;
}

export type ClaimResult =
  | { outcome: 'claimed'; run: ClaimedRun }
  /**
   * The run had been claimed `maxClaims` times without finishing (its runners died or lost the
   * claim each time): failed instead (`RUN_ABANDONED_CODE`), in the claim's transaction.
   */
  | { outcome: 'abandoned'; claims: number; lastStep: string | null; scheduled: boolean }
  /** Nothing to do: the run finished (a duplicate or late delivery) or was deleted with its workflow. */
  | { outcome: 'finished' | 'missing' }
  /** The workflow is at its concurrency limit; try again later. */
  | { outcome: 'wait'; running: number; limit: number };

/**
 * Claims a run for execution: `queued → running`, or `running → running` when an earlier claim
 * lapsed (pg-boss redelivers a job only after its holder stopped heartbeating). Either way
 * `run_attempt` goes up by one and the new value is the fence for every later write. For a
 * workflow with a concurrency limit, the claim first takes the workflow's advisory lock and
 * counts the runs executing, so the limit holds across any number of runners.
 *
 * `notify: false` leaves out the NOTIFY: for a runner whose next write follows within moments
 * (listeners re-read the whole state on any notice, so that write's NOTIFY announces the claim too).
 */
export async function claimExecution(
  db: DbOrTx,
  executionId: string,
  options: {
    notify?: boolean;
    /**
     * Claims a run may have had without finishing before the next one fails it instead (a poison
     * run that kills or freezes every runner that takes it). Unset: no bound.
     */
    maxClaims?: number | undefined;
  } = {},
): Promise<ClaimResult> {
  // Joins the caller's transaction when given one: a runner claims the runs it fetched in the
  // fetch's own transaction (one commit for both).
  return inTransaction(db, async (tx) => {
    const [current] = await tx
      .select({
        status: executions.status,
        runAttempt: executions.runAttempt,
        workflowId: executions.workflowId,
        definition: executions.definition,
        cancelRequestedAt: executions.cancelRequestedAt,
      })
      .from(executions)
      .where(eq(executions.id, executionId))
      .for('update');
    if (!current) return { outcome: 'missing' };
    if (isFinished(current.status)) return { outcome: 'finished' };
    // Every committed claim bumped `run_attempt` and none of them finished the run: its runners died,
    // froze past the heartbeat, were drained past their grace, or failed writing its end. Checked
    // under the row lock taken above, so racing runners agree on who abandons it (once).
    if (options.maxClaims !== undefined && current.runAttempt >= options.maxClaims)
      return abandonExecution(tx, { executionId, runAttempt: current.runAttempt });

    const limit = runConcurrencyLimit(current.definition);
    if (limit !== null && current.cancelRequestedAt === null) {
      await tx.execute(
        sql`select pg_advisory_xact_lock(hashtextextended(${`swarm:run-gate:${current.workflowId}`}, 0))`,
      );
      const [row] = await tx
        .select({ n: count() })
        .from(executions)
        .where(
          and(
            eq(executions.workflowId, current.workflowId),
            eq(executions.status, 'running'),
            ne(executions.id, executionId),
          ),
        );
      const running = row?.n ?? 0;
      if (running >= limit) return { outcome: 'wait', running, limit };
    }

    const [claimed] = await tx
      .update(executions)
      .set({
        status: 'running',
        runAttempt: sql`${executions.runAttempt} + 1`,
        startedAt: sql`coalesce(${executions.startedAt}, now())`,
        eventSeq: sql`${executions.eventSeq} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(executions.id, executionId),
          eq(executions.runAttempt, current.runAttempt),
          inArray(executions.status, ['queued', 'running']),
        ),
      )
      .returning({
        runAttempt: executions.runAttempt,
        eventSeq: executions.eventSeq,
        ownerId: executions.ownerId,
        input: executions.input,
        scheduleFireId: executions.scheduleFireId,
      });
    if (!claimed) return { outcome: 'finished' };

    const prior = await tx
      .select({
        nodeId: executionSteps.nodeId,
        status: executionSteps.status,
        output: executionSteps.output,
        branch: executionSteps.branch,
      })
      .from(executionSteps)
      .where(
        and(
          eq(executionSteps.executionId, executionId),
          inArray(executionSteps.status, ['succeeded', 'skipped']),
        ),
      );
    if (options.notify !== false)
      await notifyRunEvent(tx, { executionId, kind: 'status', seq: claimed.eventSeq });
    return {
      outcome: 'claimed',
      run: {
        executionId,
        runAttempt: claimed.runAttempt,
        workflowId: current.workflowId,
        ownerId: claimed.ownerId,
        definition: current.definition,
        input: claimed.input,
        cancelRequested: current.cancelRequestedAt !== null,
        scheduled: claimed.scheduleFireId !== null,
        priorSteps: prior.map((step) => ({
          nodeId: step.nodeId,
          status: step.status as PriorStep['status'],
          output: step.output ?? null,
          branch: step.branch,
        })),
      },
    };
  });
}

/** The outcome of a fenced write: refused when the run was claimed again or is no longer running. */
export type FencedWrite = { ok: true; cancelRequested: boolean } | { ok: false };

/** The run is still running under the claim `fence` was taken with (the compare-and-set of every fenced write). */
const fenceHolds = (fence: RunFence) =>
  and(
    eq(executions.id, fence.executionId),
    eq(executions.runAttempt, fence.runAttempt),
    eq(executions.status, 'running'),
  );

/**
 * Bumps the run's event sequence (by `events`, one per change written) and running cost, if (and
 * only if) the fence still holds.
 */
async function advanceFencedRun(tx: DbOrTx, fence: RunFence, addCostMicros = 0, events = 1) {
  const [run] = await tx
    .update(executions)
    .set({
      costMicros: sql`${executions.costMicros} + ${addCostMicros}`,
      eventSeq: sql`${executions.eventSeq} + ${events}`,
      updatedAt: sql`now()`,
    })
    .where(fenceHolds(fence))
    .returning({
      eventSeq: executions.eventSeq,
      workflowId: executions.workflowId,
      ownerId: executions.ownerId,
      cancelRequestedAt: executions.cancelRequestedAt,
    });
  return run ?? null;
}

export interface StartedStep {
  nodeId: string;
  nodeType: string;
  input: unknown;
  startedAt: Date;
}

export interface FinishedStep {
  nodeId: string;
  nodeType: string;
  status: Exclude<StepStatus, 'running'>;
  input: unknown;
  output: unknown;
  error: RunError | null;
  branch: string | null;
  startedAt: Date | null;
  finishedAt: Date;
  attempts: AttemptRecord[];
  /** The agent's role, copied onto its attempt rows for analytics by role. */
  agentRole?: string | null | undefined;
}

/** One change to a step: it started (`running`) or reached its final status. */
export type StepChange = ({ kind: 'started' } & StartedStep) | ({ kind: 'finished' } & FinishedStep);

const stepCostMicros = (step: FinishedStep) =>
  step.attempts.reduce(
    (sum, a) => sum + (a.costStatus === 'priced' && a.costMicros !== null ? a.costMicros : 0),
    0,
  );

/** The run's cost added by `changes` (their priced attempts). */
export const stepChangesCostMicros = (changes: readonly StepChange[]) =>
  changes.reduce((sum, change) => sum + (change.kind === 'finished' ? stepCostMicros(change) : 0), 0);

/**
 * A run or step error as it is stored: credential-shaped values replaced (the last line of defence —
 * whoever raised it should already have redacted the secrets it knew by value). Errors are read by
 * the run's viewers, exports and logs; a provider that echoes a key must not put it there.
 */
const storableError = (error: RunError | null): RunError | null => (error ? redactSecretsDeep(error) : null);

/** The step columns a change sets (insert, or update of the row an earlier attempt left). */
const STEP_CHANGE_COLUMNS = [
  'nodeType',
  'status',
  'input',
  'output',
  'error',
  'branch',
  'runAttempt',
  'startedAt',
  'finishedAt',
  'durationMs',
  'costMicros',
  'eventSeq',
] as const;

/** On conflict, every column a change sets takes the new row's value. */
const takeNewStepValues = Object.fromEntries(
  STEP_CHANGE_COLUMNS.map((key) => [key, sql.raw(`excluded.${executionSteps[key].name}`)]),
);

/**
 * Writes `changes` inside `tx` — all step rows in one statement, all their provider attempts (the
 * ledger) in a second — the first change getting event number `firstSeq` and each next one the
 * number after. The caller holds the fence (and bumped the run's `event_seq` to the last number).
 * A step that started and finished within `changes` is written once, as finished.
 */
async function writeStepChanges(
  tx: DbOrTx,
  fence: RunFence,
  run: { workflowId: string; ownerId: string },
  changes: readonly StepChange[],
  firstSeq: number,
) {
  // One row per node, the latest change winning (a statement may not upsert a row twice).
  const rows = new Map<string, typeof executionSteps.$inferInsert>();
  const finished = new Map<string, FinishedStep>();
  for (const [index, change] of changes.entries()) {
    const eventSeq = firstSeq + index;
    if (change.kind === 'started') {
      rows.set(change.nodeId, {
        executionId: fence.executionId,
        nodeId: change.nodeId,
        nodeType: change.nodeType,
        status: 'running' as const,
        input: change.input ?? null,
        output: null,
        error: null,
        branch: null,
        runAttempt: fence.runAttempt,
        startedAt: change.startedAt,
        finishedAt: null,
        durationMs: null,
        costMicros: 0,
        eventSeq,
      });
      continue;
    }
    finished.set(change.nodeId, change);
    rows.set(change.nodeId, {
      executionId: fence.executionId,
      nodeId: change.nodeId,
      nodeType: change.nodeType,
      status: change.status,
      input: change.input ?? null,
      output: change.output ?? null,
      error: storableError(change.error),
      branch: change.branch,
      runAttempt: fence.runAttempt,
      startedAt: change.startedAt,
      finishedAt: change.finishedAt,
      durationMs:
        change.startedAt === null
          ? null
          : Math.max(0, Math.round(change.finishedAt.getTime() - change.startedAt.getTime())),
      costMicros: stepCostMicros(change),
      eventSeq,
    });
  }
  if (rows.size === 0) return;
  const written = await tx
    .insert(executionSteps)
    .values([...rows.values()])
    .onConflictDoUpdate({
      target: [executionSteps.executionId, executionSteps.nodeId],
      set: takeNewStepValues,
    })
    .returning({ id: executionSteps.id, nodeId: executionSteps.nodeId });

  const ledger = written.flatMap(({ id, nodeId }) => {
    const change = finished.get(nodeId);
    return (change?.attempts ?? []).map((a) => ({
      executionId: fence.executionId,
      stepId: id,
      nodeId,
      workflowId: run.workflowId,
      ownerId: run.ownerId,
      agentRole: change?.agentRole ?? null,
      requestedProvider: a.requestedProvider,
      requestedModel: a.requestedModel,
      servedProvider: a.servedProvider,
      servedModel: a.servedModel,
      reason: a.reason,
      errorClass: a.errorClass,
      errorMessage: a.errorMessage === null ? null : redactSecrets(a.errorMessage).slice(0, 2000),
      startedAt: a.startedAt,
      latencyMs: Math.max(0, Math.round(a.latencyMs)),
      timeToFirstTokenMs: a.timeToFirstTokenMs === null ? null : Math.round(a.timeToFirstTokenMs),
      inputTokens: a.usage?.inputTokens ?? 0,
      cacheReadTokens: a.usage?.cacheReadTokens ?? 0,
      cacheWriteTokens: a.usage?.cacheWriteTokens ?? 0,
      outputTokens: a.usage?.outputTokens ?? 0,
      reasoningTokens: a.usage?.reasoningTokens ?? 0,
      priceId: a.priceId,
      costMicros: a.costStatus === 'priced' ? a.costMicros : null,
      costStatus: a.costStatus,
    }));
  });
  if (ledger.length > 0) await tx.insert(executionCosts).values(ledger);
}

/**
 * Persists step changes — starts, finished steps with their provider attempts (the ledger rows,
 * denormalised with workflow, owner and agent role) and the run's running cost — in one
 * transaction with one NOTIFY, and only if the fence holds. Each change gets its own event number,
 * in order, so a batch reads exactly like the same changes written one by one.
 */
export async function recordSteps(
  db: DbOrTx,
  fence: RunFence,
  changes: readonly StepChange[],
): Promise<FencedWrite> {
  return db.transaction(async (tx) => {
    const run = await advanceFencedRun(
      tx,
      fence,
      stepChangesCostMicros(changes),
      Math.max(1, changes.length),
    );
    if (!run) return { ok: false };
    await writeStepChanges(tx, fence, run, changes, run.eventSeq - changes.length + 1);
    await notifyRunEvent(tx, { executionId: fence.executionId, kind: 'step', seq: run.eventSeq });
    return { ok: true, cancelRequested: run.cancelRequestedAt !== null };
  });
}

/** Marks a step `running` (fenced), so live viewers see it start. */
export function recordStepStarted(db: DbOrTx, fence: RunFence, step: StartedStep): Promise<FencedWrite> {
  return recordSteps(db, fence, [{ kind: 'started', ...step }]);
}

/**
 * Persists a finished step, its provider attempts and the run's running cost, all in one
 * transaction and only if the fence holds.
 */
export function recordStepFinished(db: DbOrTx, fence: RunFence, step: FinishedStep): Promise<FencedWrite> {
  return recordSteps(db, fence, [{ kind: 'finished', ...step }]);
}

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
        costMicros: sql`${executions.costMicros} + ${stepChangesCostMicros(pendingSteps)}`,
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

/** The error code of a run failed because too many claims of it ended without finishing it. */
export const RUN_ABANDONED_CODE = 'run_abandoned';

/**
 * Fails a run whose `runAttempt` claims all ended without finishing it, inside the caller's claim
 * transaction (which holds its row lock): `running → failed` (compare-and-set on the attempt), the
 * steps still marked running failed with it, one status event. The error names the claims and the
 * step the last one was in: the newest step marked running, else the newest one started.
 */
async function abandonExecution(
  tx: Tx,
  fence: RunFence,
): Promise<Extract<ClaimResult, { outcome: 'abandoned' }> | { outcome: 'finished' }> {
  const [last] = await tx
    .select({ nodeId: executionSteps.nodeId })
    .from(executionSteps)
    .where(
      and(
        eq(executionSteps.executionId, fence.executionId),
        // Steps a re-run reused (attempt 0) were never in any of these claims.
        gt(executionSteps.runAttempt, 0),
        sql`(${executionSteps.status} = 'running' or ${executionSteps.startedAt} is not null)`,
      ),
    )
    .orderBy(sql`(${executionSteps.status} = 'running') desc`, desc(executionSteps.eventSeq))
    .limit(1);
  const lastStep = last?.nodeId ?? null;
  const times = fence.runAttempt === 1 ? 'once' : `${fence.runAttempt} times`;
  const error: RunError = {
    code: RUN_ABANDONED_CODE,
    message: `run abandoned: its runner stopped or lost the claim ${times} (${
      lastStep === null ? 'before any step was recorded' : `last in step "${lastStep}"`
    }). Re-run it once the cause is fixed.`,
    ...(lastStep === null ? {} : { nodeId: lastStep }),
  };
  const open = await tx
    .select({ id: executionSteps.id })
    .from(executionSteps)
    .where(and(eq(executionSteps.executionId, fence.executionId), eq(executionSteps.status, 'running')))
    .orderBy(asc(executionSteps.nodeId));
  // One event number per step closed, then the run's own.
  const [run] = await tx
    .update(executions)
    .set({
      status: 'failed',
      error,
      finishedAt: sql`now()`,
      durationMs: sql`case when ${executions.startedAt} is null then null else greatest(0, round(extract(epoch from (now() - ${executions.startedAt})) * 1000))::int end`,
      eventSeq: sql`${executions.eventSeq} + ${open.length + 1}`,
      updatedAt: sql`now()`,
    })
    .where(fenceHolds(fence))
    .returning({ eventSeq: executions.eventSeq, scheduleFireId: executions.scheduleFireId });
  if (!run) return { outcome: 'finished' };
  const seq = run.eventSeq;
  for (const [index, step] of open.entries()) {
    await tx
      .update(executionSteps)
      .set({
        status: 'failed',
        error: { code: RUN_ABANDONED_CODE, message: 'the run was abandoned while this step was running' },
        finishedAt: sql`now()`,
        durationMs: sql`greatest(0, round(extract(epoch from (now() - ${executionSteps.startedAt})) * 1000))::int`,
        eventSeq: seq - open.length + index,
      })
      .where(eq(executionSteps.id, step.id));
  }
  await notifyRunEvent(tx, { executionId: fence.executionId, kind: 'status', seq });
  return {
    outcome: 'abandoned',
    claims: fence.runAttempt,
    lastStep,
    scheduled: run.scheduleFireId !== null,
  };
}

/** Whether someone asked to cancel this run (the runner checks after missing notifications). */
export async function isCancelRequested(db: DbOrTx, executionId: string): Promise<boolean> {
  const [row] = await db
    .select({ at: executions.cancelRequestedAt })
    .from(executions)
    .where(eq(executions.id, executionId));
  return row?.at != null;
}

// ---------------------------------------------------------------------------------------------
// Cancelling
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/** An attempt as `runs.get` shows it: the engine's ledger record, without the price row id. */
export type ExecutionAttempt = Omit<AttemptRecord, 'priceId'>;

export interface ExecutionStep {
  id: string;
  nodeId: string;
  nodeType: string;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: RunError | null;
  branch: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  costMicros: number;
  /** The run attempt that wrote the step (0: reused from `reusedFromStepId` by a re-run). */
  runAttempt: number;
  reusedFromStepId: string | null;
  /** The run's event number when this step last changed (the `runs.events` id of its event). */
  eventSeq: number;
  attempts: ExecutionAttempt[];
}

/** A run without its steps (lists, live status events). */
export interface ExecutionSummary {
  id: string;
  workflowId: string;
  workflowName: string;
  versionId: string | null;
  trigger: ExecutionTrigger;
  status: ExecutionStatus;
  error: RunError | null;
  costMicros: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  rerunOf: string | null;
  rerunFromNode: string | null;
  cancelRequestedAt: Date | null;
}

export interface ExecutionState extends ExecutionSummary {
  input: unknown;
  output: unknown;
  runAttempt: number;
  eventSeq: number;
}

export interface ExecutionDetail extends ExecutionState {
  /** The definition this run executes (its snapshot), so a view can draw the graph it ran. */
  definition: WorkflowDefinition;
  steps: ExecutionStep[];
}

const summaryColumns = {
  id: executions.id,
  workflowId: executions.workflowId,
  workflowName: workflows.name,
  versionId: executions.versionId,
  trigger: executions.trigger,
  status: executions.status,
  error: executions.error,
  costMicros: executions.costMicros,
  createdAt: executions.createdAt,
  startedAt: executions.startedAt,
  finishedAt: executions.finishedAt,
  durationMs: executions.durationMs,
  rerunOf: executions.rerunOf,
  rerunFromNode: executions.rerunFromNode,
  cancelRequestedAt: executions.cancelRequestedAt,
};

const stateColumns = {
  ...summaryColumns,
  input: executions.input,
  output: executions.output,
  runAttempt: executions.runAttempt,
  eventSeq: executions.eventSeq,
};

/** One run's status and outcome (no steps), scoped to its owner. */
export async function getExecutionState(db: DbOrTx, ownerId: string, id: string): Promise<ExecutionState> {
  const [row] = await db
    .select(stateColumns)
    .from(executions)
    .innerJoin(workflows, eq(workflows.id, executions.workflowId))
    .where(and(eq(executions.id, id), eq(executions.ownerId, ownerId)));
  if (!row) throw new NotFoundError('run');
  // Errors are redacted again on the way out: rows written before redaction existed, or by hand.
  return { ...row, error: storableError(row.error) };
}

/** Steps of a run with their attempts, optionally only those changed after event `afterSeq`. */
export async function listExecutionSteps(
  db: DbOrTx,
  executionId: string,
  afterSeq?: number,
): Promise<ExecutionStep[]> {
  const filters: SQL[] = [eq(executionSteps.executionId, executionId)];
  if (afterSeq !== undefined) filters.push(gt(executionSteps.eventSeq, afterSeq));
  const steps = await db
    .select({
      id: executionSteps.id,
      nodeId: executionSteps.nodeId,
      nodeType: executionSteps.nodeType,
      status: executionSteps.status,
      input: executionSteps.input,
      output: executionSteps.output,
      error: executionSteps.error,
      branch: executionSteps.branch,
      startedAt: executionSteps.startedAt,
      finishedAt: executionSteps.finishedAt,
      durationMs: executionSteps.durationMs,
      costMicros: executionSteps.costMicros,
      runAttempt: executionSteps.runAttempt,
      reusedFromStepId: executionSteps.reusedFromStepId,
      eventSeq: executionSteps.eventSeq,
    })
    .from(executionSteps)
    .where(and(...filters))
    .orderBy(asc(executionSteps.eventSeq), asc(executionSteps.nodeId));
  if (steps.length === 0) return [];

  const attempts = await db
    .select()
    .from(executionCosts)
    .where(
      and(
        eq(executionCosts.executionId, executionId),
        inArray(
          executionCosts.stepId,
          steps.map((s) => s.id),
        ),
      ),
    )
    .orderBy(asc(executionCosts.startedAt), asc(executionCosts.createdAt));
  const byStep = new Map<string, ExecutionAttempt[]>();
  for (const a of attempts) {
    const list = byStep.get(a.stepId!) ?? [];
    list.push({
      requestedProvider: a.requestedProvider,
      requestedModel: a.requestedModel,
      servedProvider: a.servedProvider,
      servedModel: a.servedModel,
      reason: a.reason,
      errorClass: a.errorClass,
      errorMessage: a.errorMessage === null ? null : redactSecrets(a.errorMessage),
      startedAt: a.startedAt,
      latencyMs: a.latencyMs,
      timeToFirstTokenMs: a.timeToFirstTokenMs,
      usage:
        a.costStatus === 'no_usage'
          ? null
          : {
              inputTokens: a.inputTokens,
              cacheReadTokens: a.cacheReadTokens,
              cacheWriteTokens: a.cacheWriteTokens,
              outputTokens: a.outputTokens,
              reasoningTokens: a.reasoningTokens,
            },
      costMicros: a.costMicros,
      costStatus: a.costStatus,
    });
    byStep.set(a.stepId!, list);
  }
  return steps.map((step) => ({
    ...step,
    error: storableError(step.error),
    attempts: byStep.get(step.id) ?? [],
  }));
}

/** One run with its steps and their attempts (the `runs.get` shape), scoped to its owner. */
export async function getExecution(db: DbOrTx, ownerId: string, id: string): Promise<ExecutionDetail> {
  // One snapshot, so the steps never run ahead of the run's status and event number.
  return db.transaction(
    async (tx) => {
      const state = await getExecutionState(tx, ownerId, id);
      const [row] = await tx
        .select({ definition: executions.definition })
        .from(executions)
        .where(eq(executions.id, id));
      const steps = await listExecutionSteps(tx, id);
      return { ...state, definition: row!.definition, steps: sortStepsForDisplay(steps) };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * What changed in a run after event `afterSeq`: its current state and the steps changed since
 * (in event order), read from one snapshot so the two agree. Owner-scoped.
 */
export async function getExecutionChanges(
  db: DbOrTx,
  ownerId: string,
  id: string,
  afterSeq: number,
): Promise<{ state: ExecutionState; steps: ExecutionStep[] }> {
  return db.transaction(
    async (tx) => {
      const state = await getExecutionState(tx, ownerId, id);
      const steps = await listExecutionSteps(tx, id, afterSeq);
      return { state, steps };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/**
 * Steps in the order they ran: by start time, not-started ones last; steps started within the same
 * millisecond (quick steps no longer wait for a write between them) by event order, then node id.
 */
function sortStepsForDisplay(steps: ExecutionStep[]): ExecutionStep[] {
  const key = (s: ExecutionStep) => (s.startedAt ?? s.finishedAt)?.getTime() ?? Number.POSITIVE_INFINITY;
  return [...steps].sort(
    (a, b) => key(a) - key(b) || a.eventSeq - b.eventSeq || a.nodeId.localeCompare(b.nodeId),
  );
}

export interface ListExecutionsOptions {
  workflowId?: string | undefined;
  status?: ExecutionStatus | undefined;
  trigger?: ExecutionTrigger | undefined;
  cursor?: string | null | undefined;
  limit?: number | undefined;
}

/** The owner's runs, newest first; keyset pagination on (created_at, id) so pages never overlap. */
export async function listExecutions(
  db: DbOrTx,
  ownerId: string,
  options: ListExecutionsOptions = {},
): Promise<{ items: ExecutionSummary[]; nextCursor: string | null }> {
  const limit = options.limit ?? 50;
  const filters: SQL[] = [eq(executions.ownerId, ownerId)];
  if (options.workflowId) filters.push(eq(executions.workflowId, options.workflowId));
  if (options.status) filters.push(eq(executions.status, options.status));
  if (options.trigger) filters.push(eq(executions.trigger, options.trigger));
  if (options.cursor) {
    const { createdAt, id } = decodeCursor(options.cursor);
    filters.push(
      sql`(${executions.createdAt}, ${executions.id}) < (${createdAt.toISOString()}::timestamptz, ${id}::uuid)`,
    );
  }
  const rows = await db
    .select(summaryColumns)
    .from(executions)
    .innerJoin(workflows, eq(workflows.id, executions.workflowId))
    .where(and(...filters))
    .orderBy(desc(executions.createdAt), desc(executions.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map((row) => ({ ...row, error: storableError(row.error) })),
    nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
  };
}

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [iso, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(iso);
    if (Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw new DomainError('BAD_REQUEST', 'cursor is not one this API returned', [
      { path: 'cursor', message: 'invalid cursor' },
    ]);
  }
}

// ---------------------------------------------------------------------------------------------
// Re-runs
// ---------------------------------------------------------------------------------------------

/** What a re-run of an earlier run needs: its snapshot, input, and finished steps. */
export async function getExecutionForRerun(db: DbOrTx, ownerId: string, id: string) {
  const [row] = await db
    .select({
      id: executions.id,
      workflowId: executions.workflowId,
      versionId: executions.versionId,
      definition: executions.definition,
      input: executions.input,
    })
    .from(executions)
    .where(and(eq(executions.id, id), eq(executions.ownerId, ownerId)));
  if (!row) throw new NotFoundError('run');
  const steps = await db
    .select({
      id: executionSteps.id,
      nodeId: executionSteps.nodeId,
      nodeType: executionSteps.nodeType,
      status: executionSteps.status,
    })
    .from(executionSteps)
    .where(eq(executionSteps.executionId, id));
  return { ...row, steps };
}

/**
 * Which steps of an earlier run a re-run from `fromNodeId` takes over instead of executing: every
 * succeeded or skipped step except `fromNodeId` and the nodes downstream of it, as long as the node
 * is still the same in the definition the re-run uses (same type and config — a node edited in the
 * draft runs again). With edited input, `input` nodes run again too. Without `fromNodeId`, nothing
 * is reused. An unknown `fromNodeId` is a BAD_REQUEST naming it.
 */
export function selectReusableSteps(options: {
  source: {
    definition: WorkflowDefinition;
    steps: Array<{ id: string; nodeId: string; status: StepStatus }>;
  };
  target: WorkflowDefinition;
  fromNodeId?: string | undefined;
  inputChanged: boolean;
}): string[] {
  const { source, target, fromNodeId } = options;
  if (fromNodeId === undefined) return [];
  if (!target.nodes.some((n) => n.id === fromNodeId)) {
    throw new DomainError(
      'BAD_REQUEST',
      `fromNodeId: unknown node "${fromNodeId}" — it is not in the workflow this re-run uses`,
      [{ path: 'fromNodeId', message: `unknown node "${fromNodeId}"` }],
    );
  }
  const rerun = downstreamOf(target, fromNodeId);
  const before = new Map(source.definition.nodes.map((n) => [n.id, n]));
  const after = new Map(target.nodes.map((n) => [n.id, n]));
  return source.steps
    .filter((step) => {
      if (step.status !== 'succeeded' && step.status !== 'skipped') return false;
      if (rerun.has(step.nodeId)) return false;
      const was = before.get(step.nodeId);
      const now = after.get(step.nodeId);
      if (!was || !now || was.type !== now.type) return false;
      if (stableJson(was.config) !== stableJson(now.config)) return false;
      return !(options.inputChanged && now.type === 'input');
    })
    .map((step) => step.id);
}

/** `nodeId` and every node reachable from it along edges. */
function downstreamOf(definition: WorkflowDefinition, nodeId: string): Set<string> {
  const outgoing = new Map<string, string[]>();
  for (const edge of definition.edges) {
    const list = outgoing.get(edge.source) ?? [];
    list.push(edge.target);
    outgoing.set(edge.source, list);
  }
  const seen = new Set([nodeId]);
  const stack = [nodeId];
  while (stack.length > 0) {
    for (const next of outgoing.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** JSON with object keys sorted, so equal configs compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
