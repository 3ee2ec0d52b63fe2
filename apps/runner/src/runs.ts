/**
 * The run service: what a runner does with one `run` job. Claim the execution (compare-and-set,
 * bumping `run_attempt`), hand the engine its definition, input and the steps already done, persist
 * every step as it starts and finishes (fenced by the claimed attempt), stop on cancellation, then
 * record the outcome. pg-boss delivers at least once; this stays correct anyway:
 *
 * - A duplicate or late delivery of a finished run claims nothing and does nothing.
 * - A runner that died mid-run stops heartbeating; pg-boss hands the job to another runner, whose
 *   claim bumps the attempt and resumes after the persisted steps (completed steps never run twice).
 * - A runner whose claim lapsed but who is still running finds its next write refused (the fence)
 *   and stops without writing anything more.
 * - A workflow at its concurrency limit gets its job deferred (re-sent a little later).
 * - A run claimed `maxClaims` times without finishing (a poison run that kills or freezes whoever
 *   takes it) is failed by the next claim instead of being run again.
 *
 * Step writes are batched to keep Postgres commits (and NOTIFYs) per run low. A runner's dispatcher
 * claims the runs it fetched in the fetch's own transaction (`claim` on that transaction) and
 * completes the pg-boss job inside the transaction that records the run's end (`executeClaimed`'s
 * `settle`),
 * so a quick run costs: fetch + claim, the finish — and a step write only when needed:
 * - a step's `running` marker and the result of a step without side effects (input, output,
 *   condition, merge, transform, skips) wait up to `stepFlushMs`, then go out together in one
 *   transaction;
 * - the result of a step that may have cost money or touched the world (agent, http, plugin types,
 *   any step with provider attempts) waits at most `paidFlushMs` (default 10 ms), and no further
 *   such step starts before it is durable — so a resumed run never repeats a paid call that finished
 *   more than `paidFlushMs` before a crash, and never one that finished before a later paid call
 *   began;
 * - whatever still waits when the run ends goes into the finish transaction (for input → agent →
 *   output that is everything: claim, then finish).
 * Live viewers see each change (merged when close together), long steps as `running` after
 * `stepFlushMs`. A crash loses at most the waiting changes; the next attempt re-runs those steps.
 */
import {
  type ClaimedRun,
  type ClaimResult,
  claimExecution,
  claimExecutions,
  createRunFinisher,
  type Db,
  type DbOrTx,
  enqueueJob,
  type FencedWrite,
  isCancelRequested,
  onTransaction,
  type RunEventFeed,
  type RunFence,
  recordRunFailedEvent,
  recordSteps,
  type StepChange,
  saveTraceParent,
  type Tx,
} from '@swarm/db';
import type {
  ExpressionEvaluator,
  HttpSettings,
  LlmClient,
  NodeRegistry,
  RunLimits,
  WorkflowDefinition,
} from '@swarm/engine';
import { type ExpressionPool, runWorkflow } from '@swarm/engine/server';
import type { RunObserver } from '@swarm/telemetry';
import type { JobAttempt, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';

/** The LLM client per workflow owner (their stored provider keys come first): `createLlmClient`. */
export interface OwnerLlm {
  forOwner(ownerId: string, workflowId?: string): LlmClient;
}

export interface RunServiceOptions {
  db: Db;
  /** Cancel notices arrive here (LISTEN), so a cancel stops a run mid-step at once. */
  events: RunEventFeed;
  /**
   * The queue: re-sends the job of a run that must wait for its workflow's concurrency slot, and
   * completes run jobs inside the transaction that ends their runs.
   */
  jobs: Pick<PgBoss, 'send' | 'complete'>;
  llm: OwnerLlm;
  registry: NodeRegistry;
  logger: Logger;
  limits?: RunLimits | undefined;
  http?: HttpSettings | undefined;
  /** Where `transform`/`condition` expressions are evaluated (the runner's expression pool). */
  expressions?: ExpressionPool | undefined;
  /** How long a run waiting for a concurrency slot waits before its job is tried again. */
  deferSeconds?: number | undefined;
  /**
   * How long a step change without side effects may wait to be written with later ones, in ms.
   * Default 150; 0 writes every change at once.
   */
  stepFlushMs?: number | undefined;
  /** How long the result of a step that may have cost money may wait, in ms. Default 10. */
  paidFlushMs?: number | undefined;
  /**
   * Claims a run may have had without finishing: the next claim fails it as abandoned instead of
   * running it again (a run that kills or freezes its runner is not handed round the fleet). Unset:
   * no bound (pg-boss's retry limit and the dead letter still end it).
   */
  maxClaims?: number | undefined;
  /** Metrics and traces of each run (`@swarm/telemetry`); absent, nothing is measured. */
  observer?: RunObserver | undefined;
  /** Told after this runner recorded a scheduled run's end (the scheduler retries failed ones). */
  onFinished?:
    | ((executionId: string, status: 'succeeded' | 'failed' | 'cancelled') => Promise<void>)
    | undefined;
}

/** The part of a pg-boss job the service needs. */
export interface RunJob {
  id: string;
  data: { executionId: string };
  /** Aborted by pg-boss when this worker no longer holds the job (claim lost, or shutdown grace over). */
  signal: AbortSignal;
  groupId?: string | null | undefined;
  groupTier?: string | null | undefined;
}

/** What claiming a job's run came to: a run to execute, or nothing (more) to do. */
export type ClaimStep =
  | { outcome: 'claimed'; run: ClaimedRun }
  | { outcome: 'finished' | 'missing' | 'deferred' | 'abandoned' };

export type RunJobResult =
  | { outcome: 'succeeded' | 'failed' | 'cancelled' }
  | { outcome: 'finished' | 'missing' | 'deferred' | 'abandoned' | 'superseded' };

/** Our claim was taken over (or the run ended elsewhere): nothing this runner writes counts any more. */
class ClaimLostError extends Error {
  constructor() {
    super('the run was claimed again by another runner; this runner stops without writing');
    this.name = 'ClaimLostError';
  }
}

/** The job was taken away from this runner (shutdown grace over, heartbeat lost): retried elsewhere. */
export class RunInterruptedError extends Error {
  constructor(reason: unknown) {
    super(`the run was interrupted and will resume on another attempt: ${String(reason)}`);
    this.name = 'RunInterruptedError';
  }
}

/** Built-in node types that neither spend money nor touch anything outside the run. */
const SIDE_EFFECT_FREE_NODE_TYPES: ReadonlySet<string> = new Set([
  'input',
  'output',
  'condition',
  'merge',
  'transform',
]);

/** Whether a node type may spend money or touch anything outside the run. */
const hasEffects = (nodeType: string) => !SIDE_EFFECT_FREE_NODE_TYPES.has(nodeType);

/** Whether a finished step may have cost money or touched the world (its result is precious). */
function isPaidResult(change: StepChange): boolean {
  if (change.kind === 'started' || change.pinned) return false;
  return change.attempts.length > 0 || (change.status !== 'skipped' && hasEffects(change.nodeType));
}

/**
 * One run's step writes: changes wait up to `flushMs` (`paidMs` for a paid result) and then go out
 * together; before a step with effects starts, everything waiting is written first when a paid
 * result is among it. Writes happen one at a time, in order. `onWrite` sees each write's answer and
 * throws to stop the run; a failed write in the background goes to `onBackgroundError`.
 */
function createStepWriter(options: {
  db: Db;
  fence: RunFence;
  flushMs: number;
  paidMs: number;
  onWrite: (write: FencedWrite) => void;
  onBackgroundError: (err: unknown) => void;
}) {
  let pending: StepChange[] = [];
  let paidPending = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let deadline = Number.POSITIVE_INFINITY;
  let writing: Promise<void> = Promise.resolve();

  const clearTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    deadline = Number.POSITIVE_INFINITY;
  };
  const flush = (): Promise<void> => {
    clearTimer();
    writing = writing.then(async () => {
      if (pending.length === 0) return;
      const changes = pending;
      pending = [];
      paidPending = false;
      options.onWrite(await recordSteps(options.db, options.fence, changes));
    });
    return writing;
  };
  const flushWithin = (ms: number) => {
    const at = performance.now() + ms;
    if (at >= deadline) return;
    if (timer) clearTimeout(timer);
    deadline = at;
    timer = setTimeout(() => flush().catch(options.onBackgroundError), ms);
  };

  return {
    async add(change: StepChange) {
      pending.push(change);
      if (options.flushMs <= 0) return flush();
      // A step that may cost money starts only once every paid result before it is durable.
      if (change.kind === 'started' && paidPending && hasEffects(change.nodeType)) return flush();
      if (isPaidResult(change)) {
        paidPending = true;
        flushWithin(options.paidMs);
      } else flushWithin(options.flushMs);
    },
    /** Waits for writes in flight and hands over what still waits (for the finish transaction). */
    async drain(): Promise<StepChange[]> {
      clearTimer();
      await writing;
      const rest = pending;
      pending = [];
      paidPending = false;
      return rest;
    },
    /** Writes what waits now, if the fence still holds (a run interrupted by shutdown). */
    flush,
    stop: clearTimer,
  };
}

function agentRoles(definition: WorkflowDefinition): Map<string, string> {
  const roles = new Map<string, string>();
  for (const node of definition.nodes) {
    const role = node.config.role;
    if (node.type === 'agent' && typeof role === 'string') roles.set(node.id, role);
  }
  return roles;
}

export function createRunService(options: RunServiceOptions) {
  const { db, logger } = options;
  const finisher = createRunFinisher(db, {
    // No output: pg-boss's completion through our connection takes none (it would arrive unserialised).
    completeJobs: (tx, jobs) => options.jobs.complete('run', jobs, null, onTransaction(tx)),
  });
  const deferSeconds = options.deferSeconds ?? 2;
  const stepFlushMs = options.stepFlushMs ?? 150;
  const paidFlushMs = options.paidFlushMs ?? 10;
  // With batched writes the first step write or the finish announces the claim to live viewers.
  const claimOptions = { notify: stepFlushMs <= 0, maxClaims: options.maxClaims };

  /**
   * Claims the runs of fetched jobs in the dispatcher's fetch transaction (`claimExecutions`: the
   * common case in one statement for all), each then as `claim` goes on. Answers in job order.
   */
  async function claimAll(tx: Tx, jobs: readonly RunJob[]): Promise<ClaimStep[]> {
    const claims = await claimExecutions(
      tx,
      jobs.map((job) => job.data.executionId),
      claimOptions,
    );
    const steps: ClaimStep[] = [];
    for (const [i, job] of jobs.entries()) steps.push(await afterClaim(tx, job, claims[i]!));
    return steps;
  }

  /**
   * Claims the job's run on `db` — a transaction of its own, or the caller's. A run that is over
   * needs nothing more; one whose workflow is at its concurrency limit gets its job sent again a
   * little later, on the same transaction.
   */
  async function claim(db: DbOrTx, job: RunJob): Promise<ClaimStep> {
    return afterClaim(db, job, await claimExecution(db, job.data.executionId, claimOptions));
  }

  async function afterClaim(db: DbOrTx, job: RunJob, claim: ClaimResult): Promise<ClaimStep> {
    const { executionId } = job.data;
    if (claim.outcome === 'abandoned') {
      // Failed in this transaction; its job is completed in it too. Not retried by its schedule.
      logger.warn(
        { executionId, claims: claim.claims, lastStep: claim.lastStep, scheduled: claim.scheduled },
        'run abandoned: claimed too many times without finishing',
      );
      await recordRunFailedEvent(db, options.jobs, executionId);
      return { outcome: 'abandoned' };
    }
    if (claim.outcome === 'finished' || claim.outcome === 'missing') {
      logger.info({ executionId, outcome: claim.outcome }, 'run job has nothing to do');
      return { outcome: claim.outcome };
    }
    if (claim.outcome === 'wait') {
      // Rare: pg-boss's group concurrency keeps most such jobs in the queue; this is the race it misses.
      await enqueueJob(
        options.jobs,
        db,
        'run',
        { executionId },
        {
          startAfter: deferSeconds,
          ...(job.groupId ? { group: { id: job.groupId, tier: job.groupTier ?? undefined } } : {}),
        },
      );
      logger.info(
        { executionId, running: claim.running, limit: claim.limit },
        'run deferred: workflow at its limit',
      );
      return { outcome: 'deferred' };
    }
    return claim;
  }

  /**
   * Executes a claimed run to its end. `completeJob` (the dispatcher's way) is the attempt of the
   * run's job to complete inside the transaction that records the end. Runs ending together are
   * ended in one transaction (`createRunFinisher`).
   */
  async function executeClaimed(
    job: RunJob,
    run: ClaimedRun,
    completeJob?: JobAttempt,
  ): Promise<RunJobResult> {
    const { executionId } = run;
    const log = logger.child({ executionId, runAttempt: run.runAttempt, workflowId: run.workflowId });
    const fence = { executionId, runAttempt: run.runAttempt };
    const cancel = new AbortController();
    const lost = new AbortController();
    if (run.cancelRequested) cancel.abort();

    const unsubscribe = options.events.subscribe(executionId, (event) => {
      if (event.kind === 'cancel') cancel.abort();
      // The listener reconnected and may have missed a cancel: ask the database.
      if (event.kind === 'resync')
        void isCancelRequested(db, executionId).then(
          (requested) => requested && cancel.abort(),
          (err: unknown) => log.warn({ err }, 'could not check for a cancel request'),
        );
    });
    const onJobAbort = () => lost.abort(job.signal.reason);
    if (job.signal.aborted) onJobAbort();
    else job.signal.addEventListener('abort', onJobAbort, { once: true });

    /** Set once a write was refused: whatever else stopped the run, another runner owns it now. */
    let fencedOut = false;
    const fenced = (write: FencedWrite) => {
      if (!write.ok) {
        fencedOut = true;
        lost.abort(new ClaimLostError());
        throw new ClaimLostError();
      }
      if (write.cancelRequested) cancel.abort();
    };
    const roles = agentRoles(run.definition);
    /** Agents with child steps (this attempt's or an earlier one's): their rows add up their cost. */
    const parentsWithChildren = new Set(run.priorChildSteps.map((c) => c.parentNodeId));
    const steps = createStepWriter({
      db,
      fence,
      flushMs: stepFlushMs,
      paidMs: paidFlushMs,
      onWrite: fenced,
      onBackgroundError: (err) => {
        // The run stops at once; a lost claim ends it quietly, anything else gets it retried.
        if (!(err instanceof ClaimLostError)) log.warn({ err }, 'could not write steps');
        lost.abort(err);
      },
    });
    log.info({ priorSteps: run.priorSteps.length }, 'run started');
    const observed = options.observer?.claimed(run);
    let observedEnd = false;
    try {
      // Once per run, only with tracing on: a runner resuming it after a crash continues the trace.
      if (observed?.traceParentToSave)
        await saveTraceParent(db, fence, observed.traceParentToSave).catch((err: unknown) =>
          log.warn({ err }, 'could not store the trace context'),
        );
      const outcome = await runWorkflow({
        definition: run.definition,
        input: run.input,
        registry: options.registry,
        executionId,
        services: {
          llm: options.llm.forOwner(run.ownerId, run.workflowId),
          logger: log,
          http: options.http,
          expressions: options.expressions && evaluatingFor(options.expressions, run.ownerId),
        },
        priorSteps: run.priorSteps,
        pins: run.pins ?? undefined,
        priorChildSteps: run.priorChildSteps,
        signal: AbortSignal.any([cancel.signal, lost.signal]),
        limits: options.limits,
        hooks: {
          stepStarted: (step) => steps.add({ kind: 'started', ...step }),
          stepFinished: (step) => {
            observed?.step(step);
            return steps.add({
              kind: 'finished',
              ...step,
              agentRole: roles.get(step.nodeId),
              rollUpChildren: parentsWithChildren.has(step.nodeId) || undefined,
            });
          },
          // A turn or tool call is durable before the agent moves on: resume never repeats it.
          childStepFinished: async (step) => {
            parentsWithChildren.add(step.parentNodeId);
            await steps.add({
              kind: 'finished',
              ...step,
              branch: null,
              agentRole: roles.get(step.parentNodeId),
            });
            await steps.flush();
          },
        },
      });
      if (lost.signal.aborted) {
        if (lost.signal.reason instanceof ClaimLostError) throw lost.signal.reason;
        // Not a cancel: pg-boss took the job back. Keep the steps done (if the claim still holds);
        // failing the job lets the next attempt resume the run.
        await steps.flush().catch(() => {});
        if (fencedOut) throw new ClaimLostError();
        throw new RunInterruptedError(lost.signal.reason);
      }
      const pendingSteps = await steps.drain();
      const ended = await finisher.finish({
        fence,
        outcome,
        pendingSteps,
        job: completeJob,
        // A failure's notification event (and its fan-out job) commits with the failure, or not at all.
        alsoInTransaction:
          outcome.status === 'failed'
            ? (tx: Tx) => recordRunFailedEvent(tx, options.jobs, executionId)
            : undefined,
      });
      if (!ended) throw new ClaimLostError();
      observed?.finished(outcome.status, outcome.error);
      observedEnd = true;
      log.info({ status: outcome.status, error: outcome.error ?? undefined }, 'run finished');
      if (run.scheduled) await options.onFinished?.(executionId, outcome.status);
      return { outcome: outcome.status };
    } catch (err) {
      if (err instanceof ClaimLostError) {
        log.warn('run claimed again elsewhere; this runner stopped without writing');
        return { outcome: 'superseded' };
      }
      throw err;
    } finally {
      if (!observedEnd) observed?.interrupted(fencedOut ? 'claim lost' : 'interrupted');
      steps.stop();
      unsubscribe();
      job.signal.removeEventListener('abort', onJobAbort);
    }
  }

  /** Claims and runs a job on its own (tests, and the pg-boss `work` path): two transactions. */
  async function execute(job: RunJob): Promise<RunJobResult> {
    const claimed = await claim(db, job);
    return claimed.outcome === 'claimed' ? executeClaimed(job, claimed.run) : { outcome: claimed.outcome };
  }

  return { claim, claimAll, executeClaimed, execute };
}

export type RunService = ReturnType<typeof createRunService>;

/** The pool, with each evaluation counted against the run owner's share of its workers. */
function evaluatingFor(pool: ExpressionPool, ownerId: string): ExpressionEvaluator {
  return {
    evaluate: (source, data, options) => pool.evaluate(source, data, { ...options, tenant: ownerId }),
  };
}
