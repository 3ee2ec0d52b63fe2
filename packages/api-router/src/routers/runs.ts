/**
 * Runs: start one (validated, then a queued execution and its job in one transaction — the API
 * never runs a workflow itself), list, read with steps and costs, cancel, re-run from a node, and
 * watch live (`events`, a subscription over SSE).
 *
 * `events` first sends the run as it is (`snapshot`), then each step change (`step`) and status
 * change (`status`) as runners commit them, in any process: runners NOTIFY (only for runs with a
 * registered watcher: each subscription registers one while it is open), this process LISTENs
 * once (`ctx.runEvents`) and each subscription re-reads what changed after the last event it sent.
 * Event ids are the run's event numbers (`tracked()`), so a reconnecting client that sends its
 * last id gets what changed since (each step as it is now) and nothing twice. Changes that land
 * close together may arrive merged. The stream ends after the run finishes.
 */
import {
  cancelExecution,
  createExecution,
  EXECUTION_STATUSES,
  type ExecutionDetail,
  type ExecutionState,
  type ExecutionStep,
  FINISHED_STATUSES,
  getExecution,
  getExecutionChanges,
  getExecutionForRerun,
  getNodeTestData,
  getWorkflow,
  listExecutions,
  openRunWatch,
  type RunWatch,
  runInputOf,
  runnableDefinition,
  startNodeTest,
  transactionAnnouncingRuns,
} from '@swarm/db';
import { assertRunInput, DomainError, EXECUTION_TRIGGERS, selectReusableSteps } from '@swarm/engine';
import { TRPCError, type TRPCRouterRecord, tracked } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure, type Context } from '../trpc.ts';

const id = z.uuid('not a valid id');
const nodeId = z.string().trim().min(1, 'required').max(64);

/** What `runs.events` sends. Every event carries enough to update a view without another call. */
export type RunEvent =
  | { kind: 'snapshot'; run: ExecutionDetail }
  /**
   * The run's cost after this step: `costMicros` is null when any attempt's cost is unknown;
   * `knownCostMicros` and `unknownCostAttempts` say what is known and how much is not.
   */
  | {
      kind: 'step';
      step: ExecutionStep;
      costMicros: number | null;
      knownCostMicros: number;
      unknownCostAttempts: number;
    }
  | { kind: 'status'; run: ExecutionState };

/** A run started with a session (the web app) is `manual`; with an API token, `api`. */
const triggerOf = (ctx: Pick<Context, 'sessionTokenHash'>) => (ctx.sessionTokenHash ? 'manual' : 'api');

export const runsRouter = {
  start: authedProcedure
    .input(
      z.object({
        workflowId: id,
        input: z.unknown().optional(),
        versionId: id.optional(),
        versionTag: z.string().trim().min(1).max(100).optional(),
        /** The editor's test run: the draft, with pinned nodes using their pinned output. */
        test: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      ctx.runStarter.start({
        ownerId: ctx.user.id,
        workflowId: input.workflowId,
        input: input.input,
        versionId: input.versionId,
        versionTag: input.versionTag,
        test: input.test,
        trigger: triggerOf(ctx),
        registry: ctx.nodeRegistry,
      }),
    ),

  /**
   * Tests one node of the draft: a run (kind `node_test`) where only that node executes, its
   * upstream nodes pinned to `upstream` — both `input` and `upstream` default to the last run's.
   */
  testNode: authedProcedure
    .input(
      z.object({
        workflowId: id,
        nodeId,
        input: z.unknown().optional(),
        upstream: z.record(nodeId, z.unknown()).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      startNodeTest(ctx.db, ctx.runs, {
        ownerId: ctx.user.id,
        workflowId: input.workflowId,
        nodeId: input.nodeId,
        input: input.input,
        upstream: input.upstream,
        trigger: triggerOf(ctx),
        registry: ctx.nodeRegistry,
      }),
    ),

  /** What a node test starts from: the last full run's input and upstream outputs. */
  nodeTestData: authedProcedure
    .input(z.object({ workflowId: id, nodeId }))
    .query(({ ctx, input }) => getNodeTestData(ctx.db, ctx.user.id, input)),

  list: authedProcedure
    .input(
      z
        .object({
          workflowId: id.optional(),
          status: z.enum(EXECUTION_STATUSES).optional(),
          trigger: z.enum(EXECUTION_TRIGGERS).optional(),
          cursor: z.string().max(200).nullish(),
          limit: z.number().int().min(1).max(200).optional(),
        })
        .default({}),
    )
    .query(({ ctx, input }) => listExecutions(ctx.db, ctx.user.id, input)),

  get: authedProcedure
    .input(z.object({ id }))
    .query(({ ctx, input }) => getExecution(ctx.db, ctx.user.id, input.id)),

  cancel: authedProcedure
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => cancelExecution(ctx.db, ctx.user.id, input.id)),

  /**
   * A new run of an earlier one. From `fromNodeId`: that node and everything downstream of it run
   * again; every other step that finished is reused (copied, no provider calls, no cost). On the
   * run's own definition (`original`, the default) or the workflow's current `draft`, with the
   * earlier input unless `input` is given.
   */
  rerun: authedProcedure
    .input(
      z.object({
        id,
        fromNodeId: z.string().trim().min(1).max(64).optional(),
        version: z.enum(['original', 'draft']).default('original'),
        input: z.unknown().optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      // Reads and the new run in one transaction: one commit, and the run is made from what was read.
      transactionAnnouncingRuns(ctx.db, ctx.runs.wakeup, async (tx, runsReady) => {
        const source = await getExecutionForRerun(tx, ctx.user.id, input.id);
        const draft = input.version === 'draft';
        const definition = runnableDefinition(
          draft ? (await getWorkflow(tx, ctx.user.id, source.workflowId)).definition : source.definition,
          ctx.nodeRegistry,
        );
        const runInput = input.input === undefined ? source.input : runInputOf(input.input);
        assertRunInput(definition, runInput);
        const reuseStepIds = selectReusableSteps({
          source,
          target: definition,
          fromNodeId: input.fromNodeId,
          inputChanged: JSON.stringify(runInput) !== JSON.stringify(source.input),
        });
        const { id: executionId } = await createExecution(tx, ctx.runs.jobs, {
          ownerId: ctx.user.id,
          workflowId: source.workflowId,
          versionId: draft ? null : source.versionId,
          definition,
          input: runInput,
          trigger: triggerOf(ctx),
          rerunOf: source.id,
          rerunFromNode: input.fromNodeId ?? null,
          // A test stays a test (with the pins it ran with); a real run's re-run never sees a pin.
          kind: source.kind,
          pins: source.kind === 'run' ? null : source.pins,
          reuseStepIds,
        });
        await runsReady();
        return { executionId };
      }),
    ),

  events: authedProcedure
    .input(z.object({ id, lastEventId: z.string().max(20).nullish() }))
    .subscription(async ({ ctx, input, signal }) => {
      // Listen, then register as a watcher (runs nobody watches send no events), then read: in that
      // order no change can fall between the reads and the notices (see openRunWatch).
      const doorbell = createDoorbell();
      let watch: RunWatch | null = null;
      const unsubscribe = ctx.runEvents.subscribe(input.id, (event) => {
        // After the listener reconnected the watcher row may be gone too (a database restart empties
        // the table): register again, then re-read what was missed.
        if (event.kind === 'resync' && watch) void watch.renew().finally(() => doorbell.ring());
        else doorbell.ring(event.kind === 'closed');
      });
      const stop = async () => {
        signal?.removeEventListener('abort', onAbort);
        unsubscribe();
        await watch?.close();
      };
      // A stream abandoned before it was first read never runs its `finally`: end the watch here too.
      const onAbort = () => void stop();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // Ownership is checked here, before the stream starts, so a stranger gets NOT_FOUND.
        watch = await openRunWatch(ctx.db, {
          executionId: input.id,
          ownerId: ctx.user.id,
          onLapsed: () => doorbell.ring(),
          onError: (err) => ctx.log.warn({ err, executionId: input.id }, 'run watcher upkeep failed'),
        });
        if (signal?.aborted) await stop();
        const after = resumeFrom(input.lastEventId);
        const first =
          after === null
            ? ({ snapshot: await getExecution(ctx.db, ctx.user.id, input.id) } as const)
            : ({ changes: await getExecutionChanges(ctx.db, ctx.user.id, input.id, after) } as const);
        return runEventStream(ctx, input.id, first, doorbell, signal, stop);
      } catch (error) {
        await stop();
        throw error;
      }
    }),
} satisfies TRPCRouterRecord;

/** A resumed stream continues after the client's last event id (one this API sent: a number). */
function resumeFrom(lastEventId: string | null | undefined): number | null {
  if (lastEventId == null) return null;
  const seq = Number(lastEventId);
  return Number.isSafeInteger(seq) && seq >= 0 ? seq : null;
}

/** How often a watcher re-reads even without a notice: a safety net, not the delivery path. */
const REREAD_MS = 15_000;

async function* runEventStream(
  ctx: Pick<Context, 'db' | 'user'>,
  executionId: string,
  first: { snapshot: ExecutionDetail } | { changes: Awaited<ReturnType<typeof getExecutionChanges>> },
  doorbell: Doorbell,
  signal: AbortSignal | undefined,
  stop: () => Promise<void>,
) {
  const ownerId = ctx.user!.id;
  const finished = (state: ExecutionState) => FINISHED_STATUSES.includes(state.status);
  const statusKey = (state: ExecutionState) =>
    `${state.status}|${state.cancelRequestedAt?.getTime() ?? ''}|${state.finishedAt?.getTime() ?? ''}`;
  try {
    let state: ExecutionState;
    if ('snapshot' in first) {
      const { definition: _definition, steps: _steps, ...current } = first.snapshot;
      state = current;
      yield tracked(String(state.eventSeq), { kind: 'snapshot', run: first.snapshot } as RunEvent);
    } else {
      // Only what the client missed, then the status (always: it may have missed that one).
      state = first.changes.state;
      for (const step of first.changes.steps)
        yield tracked(String(step.eventSeq), {
          kind: 'step',
          step,
          costMicros: state.costMicros,
          knownCostMicros: state.knownCostMicros,
          unknownCostAttempts: state.unknownCostAttempts,
        } as RunEvent);
      yield tracked(String(state.eventSeq), { kind: 'status', run: state } as RunEvent);
    }
    let last = state.eventSeq;
    let lastStatus = statusKey(state);
    if (finished(state)) return;

    while (!signal?.aborted && !doorbell.closed) {
      await doorbell.wait(REREAD_MS, signal);
      if (signal?.aborted || doorbell.closed) return;
      let changes: Awaited<ReturnType<typeof getExecutionChanges>>;
      try {
        changes = await getExecutionChanges(ctx.db, ownerId, executionId, last);
      } catch (error) {
        // Deleted with its workflow while watched: say so the way every other procedure would.
        if (error instanceof DomainError && error.code === 'NOT_FOUND')
          throw new TRPCError({ code: 'NOT_FOUND', message: error.message, cause: error });
        throw error;
      }
      const { state: now, steps } = changes;
      if (now.eventSeq <= last) continue;
      // Steps are read as they are now, so changes that came close together arrive merged (a step
      // seen once, already finished). A run that starts (or is asked to cancel) says so before the
      // step changes that follow; a run that ends says so after them. The leading status event
      // reuses the previous id, so a client resuming from it still gets every step after it.
      const statusChanged = statusKey(now) !== lastStatus;
      const leading = statusChanged && !finished(now);
      if (leading) yield tracked(String(last), { kind: 'status', run: now } as RunEvent);
      lastStatus = statusKey(now);
      let maxStepSeq = last;
      for (const step of steps) {
        maxStepSeq = Math.max(maxStepSeq, step.eventSeq);
        yield tracked(String(step.eventSeq), {
          kind: 'step',
          step,
          costMicros: now.costMicros,
          knownCostMicros: now.knownCostMicros,
          unknownCostAttempts: now.unknownCostAttempts,
        } as RunEvent);
      }
      if (!leading && (statusChanged || now.eventSeq > maxStepSeq))
        yield tracked(String(now.eventSeq), { kind: 'status', run: now } as RunEvent);
      last = Math.max(now.eventSeq, maxStepSeq);
      if (finished(now)) return;
    }
  } finally {
    await stop();
  }
}

interface Doorbell {
  readonly closed: boolean;
  ring(close?: boolean): void;
  /** Resolves after the next ring (or at once if one came since the last wait), a timeout, or abort. */
  wait(timeoutMs: number, signal: AbortSignal | undefined): Promise<void>;
}

/** Coalesces notices: however many arrive while a watcher reads, it reads once more, not once each. */
function createDoorbell(): Doorbell {
  let rung = false;
  let closed = false;
  let wake: (() => void) | null = null;
  return {
    get closed() {
      return closed;
    },
    ring(close = false) {
      if (close) closed = true;
      rung = true;
      wake?.();
    },
    async wait(timeoutMs, signal) {
      if (!rung && !closed && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeoutMs);
          function done() {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            wake = null;
            resolve();
          }
          wake = done;
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      rung = false;
    },
  };
}
