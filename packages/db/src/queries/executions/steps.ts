/**
 * The runner's fenced step writes: steps starting and finishing, their provider attempts (the cost
 * ledger) and the run's running cost — refused once another runner claimed the run again.
 */
import {
  type AttemptRecord,
  addCostSummaries,
  type CostSummary,
  type RunError,
  redactSecrets,
  summarizeAttemptCosts,
} from '@swarm/engine';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { executionCosts, executionSteps, executions, type StepStatus } from '../../schema/index.ts';
import { notifyRunEvent } from './notify.ts';
import { recordsetInsert } from './recordset.ts';
import { type FencedWrite, fenceHolds, type RunFence, storableError } from './shared.ts';

/** No attempts: known to have cost nothing. */
const NO_COST: CostSummary = { costMicros: 0, knownCostMicros: 0, unknownCostAttempts: 0 };

/**
 * The run's cost columns after adding `add`: the known part and the count of unknown attempts
 * grow, and `cost_micros` is the known part only while no attempt is unknown (else null).
 */
export function addRunCost(add: CostSummary) {
  return {
    knownCostMicros: sql`${executions.knownCostMicros} + ${add.knownCostMicros}`,
    unknownCostAttempts: sql`${executions.unknownCostAttempts} + ${add.unknownCostAttempts}`,
    costMicros: sql`case when ${executions.unknownCostAttempts} + ${add.unknownCostAttempts} > 0 then null
      else ${executions.knownCostMicros} + ${add.knownCostMicros} end`,
  };
}

/**
 * Bumps the run's event sequence (by `events`, one per change written) and running cost, if (and
 * only if) the fence still holds.
 */
async function advanceFencedRun(tx: DbOrTx, fence: RunFence, addCost: CostSummary = NO_COST, events = 1) {
  const [run] = await tx
    .update(executions)
    .set({
      ...addRunCost(addCost),
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
  /** A test run used the node's pinned output instead of executing it. */
  pinned?: boolean | undefined;
  /** The agent's role, copied onto its attempt rows for analytics by role. */
  agentRole?: string | null | undefined;
  /**
   * For a child step (an agent's turn or tool call): the agent's node id. Its ledger rows carry
   * that node id (cost by node stays by workflow node), and the agent's own row, when it finishes,
   * adds up its children's cost (`rollUpChildren`).
   */
  parentNodeId?: string | null | undefined;
  /** The step has child steps: its cost is its own attempts' plus theirs. */
  rollUpChildren?: boolean | undefined;
}

/** One change to a step: it started (`running`) or reached its final status. */
export type StepChange = ({ kind: 'started' } & StartedStep) | ({ kind: 'finished' } & FinishedStep);

/** The run's cost added by `changes` (their attempts; unknown if any attempt's cost is). */
export const stepChangesCost = (changes: readonly StepChange[]): CostSummary =>
  changes.reduce(
    (sum, change) =>
      change.kind === 'finished' ? addCostSummaries(sum, summarizeAttemptCosts(change.attempts)) : sum,
    NO_COST,
  );

/** The known part of the cost `changes` add (what was priced). */
export const stepChangesCostMicros = (changes: readonly StepChange[]) =>
  stepChangesCost(changes).knownCostMicros;

/** The step columns a change sets (insert, or update of the row an earlier attempt left). */
const STEP_CHANGE_COLUMNS = [
  'nodeType',
  'parentNodeId',
  'status',
  'input',
  'output',
  'error',
  'branch',
  'pinned',
  'runAttempt',
  'startedAt',
  'finishedAt',
  'durationMs',
  'costMicros',
  'knownCostMicros',
  'unknownCostAttempts',
  'eventSeq',
] as const;

/** On conflict, every column a change sets takes the new row's value. */
const takeNewStepValues = sql.raw(
  STEP_CHANGE_COLUMNS.map(
    (key) => `"${executionSteps[key].name}" = excluded."${executionSteps[key].name}"`,
  ).join(', '),
);

const insertSteps = recordsetInsert(executionSteps, ['executionId', 'nodeId', ...STEP_CHANGE_COLUMNS]);

const insertLedger = recordsetInsert(executionCosts, [
  'executionId',
  'stepId',
  'nodeId',
  'workflowId',
  'ownerId',
  'agentRole',
  'requestedProvider',
  'requestedModel',
  'servedProvider',
  'servedModel',
  'reason',
  'errorClass',
  'errorMessage',
  'startedAt',
  'latencyMs',
  'timeToFirstTokenMs',
  'inputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'outputTokens',
  'reasoningTokens',
  'priceId',
  'costMicros',
  'costStatus',
  'abandoned',
]);

/** One run's step changes to write: the first gets event number `firstSeq`, each next one the number after. */
export interface RunStepChanges {
  fence: RunFence;
  run: { workflowId: string; ownerId: string };
  changes: readonly StepChange[];
  firstSeq: number;
}

/**
 * Writes `changes` inside `tx` — all step rows in one statement, all their provider attempts (the
 * ledger) in a second — the first change getting event number `firstSeq` and each next one the
 * number after. The caller holds the fence (and bumped the run's `event_seq` to the last number).
 * A step that started and finished within `changes` is written once, as finished.
 */
export function writeStepChanges(
  tx: DbOrTx,
  fence: RunFence,
  run: { workflowId: string; ownerId: string },
  changes: readonly StepChange[],
  firstSeq: number,
) {
  return writeStepChangesOfRuns(tx, [{ fence, run, changes, firstSeq }]);
}

/**
 * `writeStepChanges` for several runs at once (a runner ending a group of runs): still one statement
 * for every step row and one for every ledger row, whatever the number of runs.
 */
export async function writeStepChangesOfRuns(tx: DbOrTx, writes: readonly RunStepChanges[]) {
  // One row per run and node, the latest change winning (a statement may not upsert a row twice).
  const rows = new Map<string, typeof executionSteps.$inferInsert>();
  const finished = new Map<string, { change: FinishedStep; write: RunStepChanges }>();
  for (const write of writes) {
    const { fence } = write;
    for (const [index, change] of write.changes.entries()) {
      const key = stepKey(fence.executionId, change.nodeId);
      const eventSeq = write.firstSeq + index;
      if (change.kind === 'started') {
        rows.set(key, {
          executionId: fence.executionId,
          nodeId: change.nodeId,
          nodeType: change.nodeType,
          status: 'running' as const,
          input: change.input ?? null,
          output: null,
          error: null,
          branch: null,
          pinned: false,
          runAttempt: fence.runAttempt,
          startedAt: change.startedAt,
          finishedAt: null,
          durationMs: null,
          ...NO_COST,
          eventSeq,
        });
        continue;
      }
      finished.set(key, { change, write });
      rows.set(key, {
        executionId: fence.executionId,
        nodeId: change.nodeId,
        nodeType: change.nodeType,
        parentNodeId: change.parentNodeId ?? null,
        status: change.status,
        input: change.input ?? null,
        output: change.output ?? null,
        error: storableError(change.error),
        branch: change.branch,
        pinned: change.pinned === true,
        runAttempt: fence.runAttempt,
        startedAt: change.startedAt,
        finishedAt: change.finishedAt,
        durationMs:
          change.startedAt === null
            ? null
            : Math.max(0, Math.round(change.finishedAt.getTime() - change.startedAt.getTime())),
        ...summarizeAttemptCosts(change.attempts),
        eventSeq,
      });
    }
  }
  if (rows.size === 0) return;
  const written = await tx.execute<{
    id: string;
    executionId: string;
    nodeId: string;
  }>(sql`${insertSteps.values([...rows.values()])}
    on conflict ("execution_id", "node_id") do update set ${takeNewStepValues}
    returning "id", "execution_id" as "executionId", "node_id" as "nodeId"`);

  const ledger = written.flatMap(({ id, executionId, nodeId }) => {
    const found = finished.get(stepKey(executionId, nodeId));
    if (!found) return [];
    const { change, write } = found;
    return change.attempts.map((a) => ({
      executionId,
      stepId: id,
      nodeId: change.parentNodeId ?? nodeId,
      workflowId: write.run.workflowId,
      ownerId: write.run.ownerId,
      agentRole: change.agentRole ?? null,
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
      abandoned: a.abandoned === true,
    }));
  });
  if (ledger.length > 0) await tx.execute(insertLedger.values(ledger));

  // A parent's row shows what its whole loop cost: its children's costs (already in the run's).
  const parentsByRun = new Map<string, string[]>();
  for (const { change, write } of finished.values()) {
    if (!change.rollUpChildren) continue;
    const parents = parentsByRun.get(write.fence.executionId) ?? [];
    parents.push(change.nodeId);
    parentsByRun.set(write.fence.executionId, parents);
  }
  for (const [executionId, parents] of parentsByRun) await rollUpChildCosts(tx, executionId, parents);
}

const stepKey = (executionId: string, nodeId: string) => `${executionId} ${nodeId}`;

/** Adds each parent step's children's cost to its own row (unknown if any child's is). */
async function rollUpChildCosts(tx: DbOrTx, executionId: string, parentNodeIds: string[]) {
  const parents = sql.join(
    parentNodeIds.map((id) => sql`${id}`),
    sql`, `,
  );
  await tx.execute(sql`
    update execution_steps as parent
       set known_cost_micros = parent.known_cost_micros + children.known,
           unknown_cost_attempts = parent.unknown_cost_attempts + children.unknown,
           cost_micros = case when parent.unknown_cost_attempts + children.unknown > 0 then null
                              else parent.known_cost_micros + children.known end
      from (select parent_node_id, sum(known_cost_micros)::bigint as known,
                   sum(unknown_cost_attempts)::int as unknown
              from execution_steps
             where execution_id = ${executionId} and parent_node_id in (${parents})
             group by parent_node_id) as children
     where parent.execution_id = ${executionId} and parent.node_id = children.parent_node_id`);
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
    const run = await advanceFencedRun(tx, fence, stepChangesCost(changes), Math.max(1, changes.length));
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
