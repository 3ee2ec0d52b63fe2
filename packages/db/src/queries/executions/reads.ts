/** The owner-scoped reads behind `runs.list`, `runs.get` and `runs.events`, and a re-run's source. */
import {
  type AttemptRecord,
  type ExecutionTrigger,
  NotFoundError,
  type RunError,
  redactSecrets,
  type WorkflowDefinition,
} from '@swarm/engine';
import { and, asc, desc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import {
  type ExecutionKind,
  type ExecutionStatus,
  executionCosts,
  executionSteps,
  executions,
  type StepStatus,
  workflows,
} from '../../schema/index.ts';
import { encodeKeysetCursor, keysetPage, olderThanCursor } from '../keyset.ts';
import { storableError } from './shared.ts';

/** An attempt as `runs.get` shows it: the engine's ledger record, without the price row id. */
export type ExecutionAttempt = Omit<AttemptRecord, 'priceId'>;

export interface ExecutionStep {
  id: string;
  nodeId: string;
  nodeType: string;
  /** For an agent's turn or tool call (`<node>/turn-<n>[/call-<k>]`): the agent's node id. */
  parentNodeId: string | null;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: RunError | null;
  branch: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  /** Null when any of its attempts' cost is unknown (see `isUnknownCost`); never shown as $0. */
  costMicros: number | null;
  /** The priced attempts' sum: the known part of the cost. */
  knownCostMicros: number;
  /** Attempts whose cost is unknown (unpriced, or answered without usage). */
  unknownCostAttempts: number;
  /** The run attempt that wrote the step (0: reused from `reusedFromStepId` by a re-run). */
  runAttempt: number;
  reusedFromStepId: string | null;
  /** A test run used the node's pinned output instead of executing it (no attempts, no cost). */
  pinned: boolean;
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
  /** `run`, or a test: `test` (the editor's draft test run, with pins) or `node_test`. */
  kind: ExecutionKind;
  status: ExecutionStatus;
  error: RunError | null;
  /** Null when any attempt's cost is unknown (see `isUnknownCost`); never shown as $0. */
  costMicros: number | null;
  /** The priced attempts' sum: the known part of the cost. */
  knownCostMicros: number;
  /** Attempts whose cost is unknown (unpriced, or answered without usage). */
  unknownCostAttempts: number;
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
  kind: executions.kind,
  status: executions.status,
  error: executions.error,
  costMicros: executions.costMicros,
  knownCostMicros: executions.knownCostMicros,
  unknownCostAttempts: executions.unknownCostAttempts,
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
      parentNodeId: executionSteps.parentNodeId,
      status: executionSteps.status,
      input: executionSteps.input,
      output: executionSteps.output,
      error: executionSteps.error,
      branch: executionSteps.branch,
      startedAt: executionSteps.startedAt,
      finishedAt: executionSteps.finishedAt,
      durationMs: executionSteps.durationMs,
      costMicros: executionSteps.costMicros,
      knownCostMicros: executionSteps.knownCostMicros,
      unknownCostAttempts: executionSteps.unknownCostAttempts,
      runAttempt: executionSteps.runAttempt,
      reusedFromStepId: executionSteps.reusedFromStepId,
      pinned: executionSteps.pinned,
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
      abandoned: a.abandoned,
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
  if (options.cursor)
    filters.push(olderThanCursor({ at: executions.createdAt, id: executions.id }, options.cursor));
  const rows = await db
    .select(summaryColumns)
    .from(executions)
    .innerJoin(workflows, eq(workflows.id, executions.workflowId))
    .where(and(...filters))
    .orderBy(desc(executions.createdAt), desc(executions.id))
    .limit(limit + 1);
  const { page, nextCursor } = keysetPage(rows, limit, (last) =>
    encodeKeysetCursor({ at: last.createdAt, id: last.id }),
  );
  return { items: page.map((row) => ({ ...row, error: storableError(row.error) })), nextCursor };
}

/** What a re-run of an earlier run needs: its snapshot, input, and finished steps. */
export async function getExecutionForRerun(db: DbOrTx, ownerId: string, id: string) {
  const [row] = await db
    .select({
      id: executions.id,
      workflowId: executions.workflowId,
      versionId: executions.versionId,
      definition: executions.definition,
      input: executions.input,
      kind: executions.kind,
      pins: executions.pins,
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
