/**
 * Starting a run from any trigger — the web or API (`runs.start`), a schedule, a webhook — goes
 * through one path, so every trigger checks the same things before a run exists: the pinned version
 * (by id or tag; or the draft, auto-committed when the workflow asks for it), the definition is
 * runnable with this process's node types, and the input is plain, safe JSON that passes the
 * workflow's input schema. `prepareRun` does the checks (reads only); `createExecution` writes the
 * run and its job. Callers that write more rows in the same transaction (a webhook's log entry, a
 * schedule's history) call the two themselves; `runs.start` calls `startRuns` through a
 * `RunStarter`, which starts concurrent calls in one transaction.
 *
 * The checks' reads and the writes share one transaction: a started run costs (at most) one
 * commit, and the budget and version it was checked against are the ones it was created under.
 */
import {
  assertRunInput,
  type ExecutionTrigger,
  findUnsafeJson,
  invalidInput,
  type NodeRegistry,
  NotFoundError,
  type WorkflowDefinition,
} from '@swarm/engine';
import { sql } from 'drizzle-orm';
import { commitWithLastWrites, type Db, type DbOrTx } from '../client.ts';
import { createGroupCommitter } from '../group-commit.ts';
import type { JobBatchSender } from '../jobs.ts';
import { type RunWakeup, transactionAnnouncingRuns } from '../run-wakeup.ts';
import { workflows } from '../schema/index.ts';
import { assertWithinBudget } from './budgets.ts';
import { runnableDefinitionOfText } from './checked-definitions.ts';
import { createExecutions, type ExecutionKind } from './executions/index.ts';
import { pinsForRun } from './pins.ts';
import { commitDraftForRun, resolveRunVersion } from './versions.ts';

/** What a version committed by `settings.autoCommitOnRun` says. */
export const AUTO_COMMIT_MESSAGE = 'Auto-commit before run';

export interface RunRequest {
  ownerId: string;
  workflowId: string;
  /** The run input as received (any JSON; superjson may have revived Dates); absent = `{}`. */
  input: unknown;
  trigger: ExecutionTrigger;
  /** Pin a committed version by id … */
  versionId?: string | null | undefined;
  /** … or by tag (`production`); neither: the draft. */
  versionTag?: string | null | undefined;
  /** The node types runs may use (validation of the definition). */
  registry: NodeRegistry;
  /**
   * The editor's test run: the draft as it is (never auto-committed, no version), with the
   * workflow's pinned outputs used instead of executing those nodes.
   */
  test?: boolean | undefined;
}

/** A checked run, ready for `createExecution`. */
export interface PreparedRun {
  ownerId: string;
  workflowId: string;
  versionId: string | null;
  definition: WorkflowDefinition;
  input: unknown;
  trigger: ExecutionTrigger;
  kind?: ExecutionKind;
  pins?: Record<string, { output: unknown }> | null;
}

/**
 * The run input as stored: plain JSON (superjson may have revived Dates and the like), bounded in
 * depth and free of prototype keys.
 */
export function runInputOf(value: unknown): unknown {
  const json: unknown = value === undefined ? {} : JSON.parse(JSON.stringify(value) ?? 'null');
  const unsafe = findUnsafeJson(json, ['input']);
  if (unsafe.length > 0) throw invalidInput(unsafe);
  return json;
}

/**
 * What a run runs, checked: the version it pins, by id or tag; without either the draft (no
 * version) — unless the workflow sets `settings.autoCommitOnRun`, then a draft that differs from the
 * head is committed first ("Auto-commit before run"; only a draft that can run) and the run pins
 * that version. Each definition is checked once here (`runnableDefinitionOfText`).
 */
async function definitionToRun(
  db: DbOrTx,
  request: Omit<RunRequest, 'input'>,
  workflow: { id: string; definitionText: string },
): Promise<{ versionId: string | null; definition: WorkflowDefinition }> {
  if (request.versionId != null && request.versionTag != null)
    throw invalidInput([{ path: 'versionTag', message: 'give versionId or versionTag, not both' }]);
  const pin =
    request.versionId != null
      ? { versionId: request.versionId }
      : request.versionTag != null
        ? { versionTag: request.versionTag }
        : null;
  if (pin) {
    const version = await resolveRunVersion(db, request.ownerId, workflow.id, pin);
    return {
      versionId: version.id,
      definition: runnableDefinitionOfText(version.definitionText, request.registry),
    };
  }
  const draft = runnableDefinitionOfText(workflow.definitionText, request.registry);
  if (request.test || draft.settings?.autoCommitOnRun !== true) return { versionId: null, definition: draft };
  const version = await commitDraftForRun(db, request.ownerId, workflow.id, AUTO_COMMIT_MESSAGE);
  return {
    versionId: version.id,
    definition: runnableDefinitionOfText(JSON.stringify(version.definition), request.registry),
  };
}

/**
 * The owner's workflow, just what a run needs (no tags: this is on every trigger's path). The
 * definition comes as its stored text, which `runnableDefinitionOfText` checks once per text.
 */
async function workflowToRun(db: DbOrTx, ownerId: string, id: string) {
  // A template, not drizzle's select builder: every run start reads this (see accept.ts).
  const [row] = await db.execute<{ id: string; definitionText: string }>(sql`
    select id, definition::text as "definitionText" from ${workflows}
    where id = ${id} and owner_id = ${ownerId}`);
  if (!row) throw new NotFoundError('workflow');
  return row;
}

/**
 * Every check a trigger makes before a run exists. Throws `NOT_FOUND` for a workflow or version
 * the owner does not have and `BAD_REQUEST` (naming the paths) for a definition that cannot run or
 * an input that fails the workflow's input schema. `CONFLICT` when a blocking budget
 * of the workflow (or the global one) is used up this month.
 */
export async function prepareRun(db: DbOrTx, request: RunRequest): Promise<PreparedRun> {
  return withRunInput(await prepareRunTarget(db, request), request.input);
}

/**
 * `prepareRun` without the input: the reads and the definition's checks, which every run of the
 * same workflow, version and trigger shares (a batch of webhook calls checks them once).
 */
export async function prepareRunTarget(
  db: DbOrTx,
  request: Omit<RunRequest, 'input'>,
): Promise<Omit<PreparedRun, 'input'>> {
  // Both reads at once (in a transaction: pipelined, one round trip). A blocking budget that is
  // used up refuses new runs from every trigger (CONFLICT, naming it); a missing workflow is
  // reported first.
  const [found, budget] = await Promise.allSettled([
    workflowToRun(db, request.ownerId, request.workflowId),
    assertWithinBudget(db, request.ownerId, request.workflowId),
  ]);
  if (found.status === 'rejected') throw found.reason;
  if (budget.status === 'rejected') throw budget.reason;
  const workflow = found.value;
  if (request.test && (request.versionId != null || request.versionTag != null))
    throw invalidInput([
      { path: 'test', message: 'a test run runs the draft: leave out versionId and versionTag' },
    ]);
  const { versionId, definition } = await definitionToRun(db, request, workflow);
  const test = request.test === true;
  return {
    ownerId: request.ownerId,
    workflowId: workflow.id,
    versionId,
    definition,
    trigger: request.trigger,
    ...(test && {
      kind: 'test' as const,
      pins: await pinsForRun(db, workflow.id, new Set(definition.nodes.map((n) => n.id))),
    }),
  };
}

/** The run of `target` with `input`, checked against the workflow's input schema. */
export function withRunInput(target: Omit<PreparedRun, 'input'>, input: unknown): PreparedRun {
  const json = runInputOf(input);
  assertRunInput(target.definition, json);
  return { ...target, input: json };
}

/** Where new runs go: the queue, and what wakes runners for them (null: runners poll). */
export interface RunQueue {
  jobs: JobBatchSender;
  wakeup: RunWakeup | null;
}

/** Thrown out of a batch's transaction to roll it back: these items (by index) failed their run checks. */
export class RunChecksFailed extends Error {
  constructor(readonly failures: Map<number, unknown>) {
    super('run checks failed');
  }
}

/**
 * Settles a batch whose transaction fails as a whole when some items fail their run checks
 * (`RunChecksFailed`): those items get their error, the transaction — which may have written, a
 * draft auto-committed for a run — is rolled back, and the rest go again. Any other error fails
 * the whole batch.
 */
export async function settleWithoutFailedChecks<Item, Result>(
  items: readonly Item[],
  commit: (pending: Item[]) => Promise<Result[]>,
): Promise<PromiseSettledResult<Result>[]> {
  const answers = new Array<PromiseSettledResult<Result> | undefined>(items.length);
  let pending = items.map((_, index) => index);
  while (pending.length > 0) {
    try {
      const results = await commit(pending.map((index) => items[index]!));
      pending.forEach((index, i) => {
        answers[index] = { status: 'fulfilled', value: results[i]! };
      });
      pending = [];
    } catch (error) {
      if (!(error instanceof RunChecksFailed)) throw error;
      // Each round drops at least one item, so this ends.
      pending = pending.filter((index, i) => {
        if (!error.failures.has(i)) return true;
        answers[index] = { status: 'rejected', reason: error.failures.get(i) };
        return false;
      });
    }
  }
  return answers as PromiseSettledResult<Result>[];
}

/**
 * The distinct run targets (workflow, version, trigger, test or not) of these requests, each with
 * the indexes of its requests: their reads and definition checks are made once per target, the
 * input per run.
 */
export function runTargetsOf(requests: readonly RunRequest[]): { request: RunRequest; runs: number[] }[] {
  const targets: { key: string; request: RunRequest; runs: number[] }[] = [];
  requests.forEach((request, r) => {
    const key = JSON.stringify([
      request.ownerId,
      request.workflowId,
      request.versionId ?? null,
      request.versionTag ?? null,
      request.trigger,
      request.test === true,
    ]);
    const same = targets.find((t) => t.key === key && t.request.registry === request.registry);
    if (same) same.runs.push(r);
    else targets.push({ key, request, runs: [r] });
  });
  return targets;
}

/**
 * Starts runs in one transaction (the checks of `prepareRun`, then `createExecutions`): each
 * distinct target checked once, every input against its target, then all runs and their jobs in
 * one multi-row insert each. Each request gets the answer it would have got alone (a failed check
 * is that request's error and leaves nothing).
 */
export function startRuns(
  db: Db,
  queue: RunQueue,
  requests: readonly RunRequest[],
): Promise<PromiseSettledResult<{ executionId: string }>[]> {
  return settleWithoutFailedChecks(requests, (pending) =>
    transactionAnnouncingRuns(db, queue.wakeup, async (tx, runsReady) => {
      const targets = runTargetsOf(pending);
      const checkedTargets = await Promise.allSettled(
        targets.map(({ request }) => prepareRunTarget(tx, request)),
      );
      const failures = new Map<number, unknown>();
      const prepared: PreparedRun[] = [];
      targets.forEach((target, t) => {
        const checked = checkedTargets[t]!;
        for (const r of target.runs) {
          if (checked.status === 'rejected') failures.set(r, checked.reason);
          else
            try {
              prepared[r] = withRunInput(checked.value, pending[r]!.input);
            } catch (error) {
              failures.set(r, error);
            }
        }
      });
      if (failures.size > 0) throw new RunChecksFailed(failures);
      // The runs, their jobs, the wake-up and the commit in one round trip.
      const [created] = await commitWithLastWrites(
        tx,
        Promise.all([createExecutions(tx, queue.jobs, prepared), runsReady(prepared.length)]),
      );
      return created.map(({ id }) => ({ executionId: id }));
    }),
  );
}

/** Starts a run (`startRuns` for one) with whatever other requests are waiting: group commit. */
export interface RunStarter {
  start(request: RunRequest): Promise<{ executionId: string }>;
}

/** The most runs one shared transaction starts (bounds how long it holds its rows). */
const MAX_RUNS_PER_COMMIT = 100;

/**
 * Group commit for `runs.start`: requests that arrive while a batch is being committed start
 * together in the next transaction (`startRuns`). The first after a quiet moment goes at once.
 */
export function createRunStarter(
  db: Db,
  queue: RunQueue,
  onBatchFailed?: (error: unknown, size: number) => void,
): RunStarter {
  const committer = createGroupCommitter({
    commit: (requests: RunRequest[]) => startRuns(db, queue, requests),
    maxBatch: MAX_RUNS_PER_COMMIT,
    onBatchFailed,
  });
  return { start: (request) => committer.submit(request) };
}
