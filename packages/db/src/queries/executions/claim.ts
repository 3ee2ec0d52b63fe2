/**
 * The runner's claim of a run — `run_attempt` goes up and becomes the fence of every later write —
 * with the per-workflow concurrency gate, and the end of a run claimed too often without finishing.
 */
import type {
  ExecutionTrigger,
  PriorChildStep,
  PriorStep,
  RunError,
  RunPins,
  WorkflowDefinition,
} from '@swarm/engine';
import { and, asc, count, desc, eq, gt, inArray, lt, ne, type SQL, sql } from 'drizzle-orm';
import { type DbOrTx, inTransaction, type Tx } from '../../client.ts';
import { executionSteps, executions, scheduleFires } from '../../schema/index.ts';
import { runConcurrencyLimit } from './concurrency.ts';
import { notifyRunEvent } from './notify.ts';
import { equalsAnyId } from './recordset.ts';
import { fenceHolds, isFinished, type RunFence } from './shared.ts';

export interface ClaimedRun extends RunFence {
  workflowId: string;
  ownerId: string;
  definition: WorkflowDefinition;
  input: unknown;
  /** Set when someone asked to cancel before this claim: the runner finishes it as cancelled. */
  cancelRequested: boolean;
  /** Steps already succeeded or skipped (an earlier attempt, or reused by a re-run): not run again. */
  priorSteps: PriorStep[];
  /** Test runs only: outputs used instead of executing those nodes (null for every real run). */
  pins: RunPins | null;
  /**
   * Child steps (agent turns and tool calls) finished in an earlier attempt, failed ones too: a
   * resumed agent replays them instead of calling the model or the tool again.
   */
  priorChildSteps: PriorChildStep[];
  /** Started by a schedule occurrence (the scheduler follows up when it ends). */
  scheduled: boolean;
  trigger: ExecutionTrigger;
  /** The committed version the run pinned; null for the draft. */
  versionId: string | null;
  /** For a scheduled run: when its occurrence was due (metrics measure how late it started). */
  scheduledFor: Date | null;
  /** The trace an earlier claim started (OpenTelemetry), to continue; null when none was stored. */
  traceParent: string | null;
}

/** A prior step as the claim's statement returns it (JSON: absent values are null). */
interface PriorRow {
  nodeId: string;
  status: string;
  output: unknown;
  branch: string | null;
  parentNodeId: string | null;
  input: unknown;
  error: PriorChildStep['error'] | null;
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

/** What a claim writes: `run_attempt` up by one (the new fence), running, one status event. */
const claimSet = {
  status: 'running' as const,
  runAttempt: sql`${executions.runAttempt} + 1`,
  startedAt: sql`coalesce(${executions.startedAt}, now())`,
  eventSeq: sql`${executions.eventSeq} + 1`,
  updatedAt: sql`now()`,
};

/** What a claim reads back from its UPDATE. */
const claimReturning = {
  runAttempt: executions.runAttempt,
  eventSeq: executions.eventSeq,
  ownerId: executions.ownerId,
  input: executions.input,
  pins: executions.pins,
  scheduleFireId: executions.scheduleFireId,
  trigger: executions.trigger,
  versionId: executions.versionId,
  traceParent: executions.traceParent,
  // Same statement, no extra round trip: the occurrence's due time for a scheduled run.
  scheduledFor: sql<string | null>`(select ${scheduleFires.fireAt} from ${scheduleFires}
        where ${scheduleFires.id} = ${executions.scheduleFireId})`,
  // Same statement too: the steps a resume skips or replays (top-level steps that succeeded
  // or were skipped, child steps that ended). A round trip costs more CPU than the query.
  // The run's id is spelled out: drizzle writes a bare "id" in RETURNING, which the subquery
  // would read as the step's own.
  prior: sql<PriorRow[] | null>`(select json_agg(json_build_object(
          'nodeId', s.node_id, 'status', s.status, 'output', s.output, 'branch', s.branch,
          'parentNodeId', s.parent_node_id, 'input', s.input, 'error', s.error))
        from ${executionSteps} s
        where s.execution_id = "executions"."id"
          and ((s.parent_node_id is null and s.status in ('succeeded', 'skipped'))
            or (s.parent_node_id is not null and s.status in ('succeeded', 'failed'))))`,
};

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
    // The common case in one statement: a run whose definition sets no concurrency limit and that
    // has claims left is claimed without reading it first (the UPDATE takes the row lock and bumps
    // the attempt atomically, as the compare-and-set below does). Anything else — a limit to gate,
    // a claim to abandon, a run already over — takes the full path under the row lock.
    const [fast] = await claimCommonCase(tx, eq(executions.id, executionId), options.maxClaims);
    if (fast) return claimed(tx, executionId, fast, fast, options.notify);

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

    const [row] = await updateClaim(
      tx,
      and(
        eq(executions.id, executionId),
        eq(executions.runAttempt, current.runAttempt),
        inArray(executions.status, ['queued', 'running']),
      ),
    );
    if (!row) return { outcome: 'finished' };
    return claimed(tx, executionId, current, row, options.notify);
  });
}

/**
 * `claimExecution` for the runs of a fetched batch of jobs, in the caller's transaction: the common
 * case (no concurrency limit, claims left) for all of them in one UPDATE, the rest — and a run
 * named twice — one by one through `claimExecution`. Answers in the order given.
 */
export async function claimExecutions(
  tx: Tx,
  executionIds: readonly string[],
  options: { notify?: boolean; maxClaims?: number | undefined } = {},
): Promise<ClaimResult[]> {
  const unique = [...new Set(executionIds)];
  const fast =
    unique.length === 0
      ? []
      : await claimCommonCase(tx, equalsAnyId(executions.id, unique), options.maxClaims);
  const claimedFast = new Map(fast.map((row) => [row.claimedId, row]));
  const results: ClaimResult[] = [];
  for (const executionId of executionIds) {
    const row = claimedFast.get(executionId);
    // Taken once: a second job of the same run claims it again the slow way (and fences the first).
    claimedFast.delete(executionId);
    results.push(
      row
        ? await claimed(tx, executionId, row, row, options.notify)
        : await claimExecution(tx, executionId, options),
    );
  }
  return results;
}

/**
 * The common claim in one statement for the runs `runs` selects: those whose definition sets no
 * concurrency limit and that have claims left are claimed without being read first (the UPDATE
 * takes the row lock and bumps the attempt atomically, as the full path's compare-and-set does).
 */
function claimCommonCase(tx: Tx, runs: SQL, maxClaims: number | undefined) {
  return tx
    .update(executions)
    .set(claimSet)
    .where(
      and(
        runs,
        inArray(executions.status, ['queued', 'running']),
        sql`${executions.definition} -> 'settings' -> 'maxConcurrentRuns' is null`,
        maxClaims === undefined ? undefined : lt(executions.runAttempt, maxClaims),
      ),
    )
    .returning({
      ...claimReturning,
      claimedId: sql<string>`"executions"."id"`,
      workflowId: executions.workflowId,
      definition: executions.definition,
      cancelRequestedAt: executions.cancelRequestedAt,
    });
}

/** A claim's UPDATE, read back. */
function updateClaim(tx: Tx, where: SQL | undefined) {
  return tx.update(executions).set(claimSet).where(where).returning(claimReturning);
}
type ClaimedRow = Awaited<ReturnType<typeof updateClaim>>[number];

/** The claimed run as the runner needs it (and its NOTIFY unless `notify` is false). */
async function claimed(
  tx: Tx,
  executionId: string,
  current: { workflowId: string; definition: WorkflowDefinition; cancelRequestedAt: Date | null },
  claimed: ClaimedRow,
  notify: boolean | undefined,
): Promise<ClaimResult> {
  const prior = claimed.prior ?? [];
  if (notify !== false) await notifyRunEvent(tx, { executionId, kind: 'status', seq: claimed.eventSeq });
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
      pins: claimed.pins ?? null,
      trigger: claimed.trigger,
      versionId: claimed.versionId,
      traceParent: claimed.traceParent,
      scheduledFor: claimed.scheduledFor === null ? null : new Date(claimed.scheduledFor),
      priorSteps: prior
        .filter((step) => step.parentNodeId === null)
        .map((step) => ({
          nodeId: step.nodeId,
          status: step.status as PriorStep['status'],
          output: step.output ?? null,
          branch: step.branch,
        })),
      priorChildSteps: prior.flatMap((step) =>
        step.parentNodeId === null
          ? []
          : [
              {
                nodeId: step.nodeId,
                parentNodeId: step.parentNodeId,
                status: step.status as PriorChildStep['status'],
                input: step.input ?? null,
                output: step.output ?? null,
                error: step.error ?? null,
              },
            ],
      ),
    },
  };
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

/**
 * Stores the trace a claim started (`traceparent`), unless an earlier claim stored one: only when
 * OpenTelemetry export is on, once per run. Fenced like every runner write; false when it did not hold.
 */
export async function saveTraceParent(db: DbOrTx, fence: RunFence, traceParent: string): Promise<boolean> {
  const rows = await db
    .update(executions)
    .set({ traceParent: sql`coalesce(${executions.traceParent}, ${traceParent})` })
    .where(fenceHolds(fence))
    .returning({ id: executions.id });
  return rows.length > 0;
}
