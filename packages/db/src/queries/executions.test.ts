import { randomUUID } from 'node:crypto';
import { type AttemptRecord, sampleWorkflowDefinition, type WorkflowDefinition } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { createRunEventFeed, type RunEventSignal } from '../run-events.ts';
import { useJobSender, useTestDatabase } from '../testing/vitest.ts';
import {
  cancelExecution,
  claimExecution,
  createExecution,
  failAbandonedExecution,
  finishExecution,
  getExecution,
  getExecutionForRerun,
  listExecutions,
  RUN_ABANDONED_CODE,
  recordStepFinished,
  recordStepStarted,
  recordSteps,
  selectReusableSteps,
} from './executions.ts';
import { registerRunWatcher } from './run-watchers.ts';
import { createUser } from './users.ts';
import { createWorkflow } from './workflows.ts';

const database = useTestDatabase();
const jobs = useJobSender(database);

let userCount = 0;
async function ownerWithWorkflow(definition: WorkflowDefinition = sampleWorkflowDefinition()) {
  const user = await createUser(database.db, {
    email: `runs${++userCount}@example.com`,
    name: '',
    passwordHash: 'x',
  });
  const workflow = await createWorkflow(database.db, user.id, { name: 'wf', definition });
  return { ownerId: user.id, workflowId: workflow.id, definition };
}

async function startRun(
  owner: Awaited<ReturnType<typeof ownerWithWorkflow>>,
  extra: Partial<Parameters<typeof createExecution>[2]> = {},
) {
  return createExecution(database.db, jobs.sender, {
    ownerId: owner.ownerId,
    workflowId: owner.workflowId,
    definition: owner.definition,
    input: { query: 'why' },
    trigger: 'manual',
    ...extra,
  });
}

async function claimed(executionId: string) {
  const result = await claimExecution(database.db, executionId);
  if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
  return result.run;
}

const attempt = (overrides: Partial<AttemptRecord> = {}): AttemptRecord => ({
  requestedProvider: 'mock',
  requestedModel: 'echo',
  servedProvider: 'mock',
  servedModel: 'echo',
  reason: 'primary',
  errorClass: null,
  errorMessage: null,
  startedAt: new Date(),
  latencyMs: 12,
  timeToFirstTokenMs: null,
  usage: { inputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 5, reasoningTokens: 0 },
  priceId: null,
  costMicros: 70,
  costStatus: 'priced',
  ...overrides,
});

const finishedStep = (nodeId: string, overrides: Partial<Parameters<typeof recordStepFinished>[2]> = {}) => ({
  nodeId,
  nodeType: 'agent',
  status: 'succeeded' as const,
  input: { prompt: nodeId },
  output: `${nodeId} says hi`,
  error: null,
  branch: null,
  startedAt: new Date(Date.now() - 20),
  finishedAt: new Date(),
  attempts: [] as AttemptRecord[],
  ...overrides,
});

const count = async (table: string, executionId: string) => {
  const column = table === 'executions' ? 'id' : 'execution_id';
  const [row] = await database.sql.unsafe<{ n: number }[]>(
    `select count(*)::int as n from ${table} where ${column} = $1`,
    [executionId],
  );
  return row!.n;
};

const runJobsFor = async (executionId: string) =>
  database.sql<{ state: string; group_id: string | null; group_tier: string | null }[]>`
    select state, group_id, group_tier from pgboss.job where name = 'run' and data->>'executionId' = ${executionId}`;

describe('creating a run', () => {
  it('writes the queued execution and its run job in one transaction', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await getExecution(database.db, owner.ownerId, id);
    expect(run).toMatchObject({ status: 'queued', trigger: 'manual', input: { query: 'why' }, steps: [] });
    expect(run.costMicros).toBe(0);
    expect(await runJobsFor(id)).toEqual([{ state: 'created', group_id: null, group_tier: null }]);
  });

  it('leaves neither row nor job behind when the transaction fails', async () => {
    const owner = await ownerWithWorkflow();
    const [before] = await database.sql<
      { n: number }[]
    >`select count(*)::int as n from pgboss.job where name = 'run'`;
    await expect(
      createExecution(database.db, jobs.sender, {
        ownerId: owner.ownerId,
        workflowId: '00000000-0000-4000-8000-000000000000', // no such workflow: the FK fails the insert
        definition: owner.definition,
        input: {},
        trigger: 'api',
      }),
    ).rejects.toThrow();
    const [after] = await database.sql<
      { n: number }[]
    >`select count(*)::int as n from pgboss.job where name = 'run'`;
    expect(after!.n).toBe(before!.n);
    expect((await listExecutions(database.db, owner.ownerId)).items).toEqual([]);
  });

  it('puts a limited workflow’s job in its concurrency group', async () => {
    const owner = await ownerWithWorkflow({
      ...sampleWorkflowDefinition(),
      settings: { maxConcurrentRuns: 2 },
    });
    const { id } = await startRun(owner);
    expect(await runJobsFor(id)).toEqual([{ state: 'created', group_id: owner.workflowId, group_tier: '2' }]);
  });
});

describe('claims and fencing', () => {
  it('claims queued → running, and again running → running with the next attempt', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const first = await claimed(id);
    expect(first).toMatchObject({
      runAttempt: 1,
      input: { query: 'why' },
      priorSteps: [],
      cancelRequested: false,
    });
    const again = await claimed(id);
    expect(again.runAttempt).toBe(2);
    const run = await getExecution(database.db, owner.ownerId, id);
    expect(run).toMatchObject({ status: 'running', runAttempt: 2 });
    expect(run.startedAt).toBeInstanceOf(Date);
  });

  it("refuses every write of a runner whose claim was taken over, and keeps the new runner's", async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const stale = await claimed(id);
    expect(
      (await recordStepFinished(database.db, stale, finishedStep('input', { nodeType: 'input' }))).ok,
    ).toBe(true);
    const fresh = await claimed(id); // the stale runner's heartbeat lapsed; another runner took over

    const late = [
      await recordStepStarted(database.db, stale, {
        nodeId: 'researcher',
        nodeType: 'agent',
        input: {},
        startedAt: new Date(),
      }),
      await recordStepFinished(
        database.db,
        stale,
        finishedStep('researcher', { attempts: [attempt({ costMicros: 999 })] }),
      ),
    ];
    expect(late).toEqual([{ ok: false }, { ok: false }]);
    expect(await finishExecution(database.db, stale, { status: 'failed', output: null, error: null })).toBe(
      false,
    );

    let run = await getExecution(database.db, owner.ownerId, id);
    expect(run.status).toBe('running');
    expect(run.costMicros).toBe(0);
    expect(run.steps.map((s) => [s.nodeId, s.runAttempt])).toEqual([['input', 1]]);
    expect(await count('execution_costs', id)).toBe(0);

    // The new runner's writes land; it resumes after the step the old one finished.
    expect(fresh.priorSteps).toEqual([
      { nodeId: 'input', status: 'succeeded', output: 'input says hi', branch: null },
    ]);
    expect(
      (await recordStepFinished(database.db, fresh, finishedStep('researcher', { attempts: [attempt()] })))
        .ok,
    ).toBe(true);
    expect(
      await finishExecution(database.db, fresh, { status: 'succeeded', output: { done: true }, error: null }),
    ).toBe(true);
    run = await getExecution(database.db, owner.ownerId, id);
    expect(run).toMatchObject({ status: 'succeeded', output: { done: true }, costMicros: 70 });
    expect(run.durationMs).toBeGreaterThanOrEqual(0);
    expect(run.steps.map((s) => [s.nodeId, s.runAttempt])).toEqual([
      ['input', 1],
      ['researcher', 2],
    ]);
    // A late duplicate delivery of the job finds nothing to do.
    expect(await claimExecution(database.db, id)).toEqual({ outcome: 'finished' });
    expect(await finishExecution(database.db, fresh, { status: 'failed', output: null, error: null })).toBe(
      false,
    );
  });

  it('stores each attempt with its cost, denormalised, and sums the run’s cost', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await claimed(id);
    await recordStepFinished(
      database.db,
      run,
      finishedStep('researcher', {
        agentRole: 'researcher',
        attempts: [
          attempt({
            reason: 'primary',
            errorClass: 'server',
            errorMessage: 'boom',
            costMicros: null,
            costStatus: 'no_usage',
            usage: null,
          }),
          attempt({ reason: 'fallback:server', servedModel: 'delay:50', costMicros: 120 }),
        ],
      }),
    );
    await recordStepFinished(
      database.db,
      run,
      finishedStep('critic', { attempts: [attempt({ costMicros: 30 })] }),
    );
    const detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail.costMicros).toBe(150);
    const researcher = detail.steps.find((s) => s.nodeId === 'researcher')!;
    expect(researcher).toMatchObject({ status: 'succeeded', output: 'researcher says hi', costMicros: 120 });
    expect(researcher.attempts).toMatchObject([
      { reason: 'primary', errorClass: 'server', usage: null, costMicros: null, costStatus: 'no_usage' },
      {
        reason: 'fallback:server',
        servedModel: 'delay:50',
        usage: { inputTokens: 10, outputTokens: 5 },
        costMicros: 120,
      },
    ]);
    const rows = await database.sql`
      select workflow_id, owner_id, agent_role from execution_costs where execution_id = ${id} and node_id = 'researcher'`;
    expect(rows).toEqual([
      { workflow_id: owner.workflowId, owner_id: owner.ownerId, agent_role: 'researcher' },
      { workflow_id: owner.workflowId, owner_id: owner.ownerId, agent_role: 'researcher' },
    ]);
  });

  it('round-trips JSON outputs of every kind', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await claimed(id);
    const outputs: Record<string, unknown> = {
      a: 'text',
      b: 42,
      c: null,
      d: [1, 'two'],
      e: { nested: { ok: true } },
    };
    for (const [nodeId, output] of Object.entries(outputs)) {
      await recordStepFinished(database.db, run, finishedStep(nodeId, { output }));
    }
    const detail = await getExecution(database.db, owner.ownerId, id);
    expect(Object.fromEntries(detail.steps.map((s) => [s.nodeId, s.output]))).toEqual(outputs);
  });

  it('closes steps left running when the run finishes', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await claimed(id);
    await recordStepStarted(database.db, run, {
      nodeId: 'critic',
      nodeType: 'agent',
      input: {},
      startedAt: new Date(),
    });
    await finishExecution(database.db, run, {
      status: 'failed',
      output: null,
      error: { code: 'node_failed', message: 'researcher failed', nodeId: 'researcher' },
    });
    const detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail).toMatchObject({ status: 'failed', error: { code: 'node_failed', nodeId: 'researcher' } });
    expect(detail.steps).toMatchObject([
      { nodeId: 'critic', status: 'cancelled', error: { code: 'cancelled' } },
    ]);
  });

  it('marks an abandoned run failed, once', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    await claimed(id);
    expect(await failAbandonedExecution(database.db, id)).toBe(true);
    expect(await failAbandonedExecution(database.db, id)).toBe(false);
    expect(await getExecution(database.db, owner.ownerId, id)).toMatchObject({
      status: 'failed',
      error: { code: 'runner_lost' },
    });
  });
});

describe('runs claimed too often (poison runs)', () => {
  const started = (nodeId: string) => ({
    nodeId,
    nodeType: 'agent',
    input: null,
    startedAt: new Date(),
  });

  it('fails the run at the claim after the last allowed one, once, however many runners race for it', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    // Three claims, each dying after starting a step (the last in "writer").
    for (const nodeId of ['researcher', 'critic', 'writer']) {
      const run = await claimed(id);
      expect((await recordStepStarted(database.db, run, started(nodeId))).ok).toBe(true);
    }
    // Claims below the bound go on as usual (the third one above): only the fourth gives up.
    const feed = createRunEventFeed(database.sql);
    const heard: RunEventSignal[] = [];
    await feed.start();
    feed.subscribe(id, (signal) => heard.push(signal));
    await registerRunWatcher(database.db, {
      executionId: id,
      ownerId: owner.ownerId,
      watcherId: randomUUID(),
    });
    try {
      const outcomes = await Promise.all(
        [1, 2, 3, 4].map(() => claimExecution(database.db, id, { maxClaims: 3 }).then((r) => r.outcome)),
      );
      expect(outcomes.sort()).toEqual(['abandoned', 'finished', 'finished', 'finished']);
      const detail = await getExecution(database.db, owner.ownerId, id);
      expect(detail).toMatchObject({
        status: 'failed',
        runAttempt: 3,
        error: {
          code: RUN_ABANDONED_CODE,
          nodeId: 'writer',
          message:
            'run abandoned: its runner stopped or lost the claim 3 times (last in step "writer"). Re-run it once the cause is fixed.',
        },
      });
      // Every step left running is failed with it, each with its own event number before the run's.
      const open = detail.steps.filter((s) => ['researcher', 'critic', 'writer'].includes(s.nodeId));
      expect(open.map((s) => s.status)).toEqual(['failed', 'failed', 'failed']);
      expect(new Set(open.map((s) => s.eventSeq)).size).toBe(3);
      expect(Math.max(...open.map((s) => s.eventSeq))).toBeLessThan(detail.eventSeq);
      await expect
        .poll(() => heard.filter((e) => e.kind === 'status').map((e) => ('seq' in e ? e.seq : null)))
        .toEqual([detail.eventSeq]);
    } finally {
      await feed.stop();
    }
  });

  it('claims as usual below the bound, and names no step when none was recorded', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    expect((await claimExecution(database.db, id, { maxClaims: 1 })).outcome).toBe('claimed');
    const result = await claimExecution(database.db, id, { maxClaims: 1 });
    expect(result).toEqual({ outcome: 'abandoned', claims: 1, lastStep: null, scheduled: false });
    expect((await getExecution(database.db, owner.ownerId, id)).error).toEqual({
      code: RUN_ABANDONED_CODE,
      message:
        'run abandoned: its runner stopped or lost the claim once (before any step was recorded). Re-run it once the cause is fixed.',
    });
  });
});

describe('batched step writes', () => {
  const bySeq = (steps: Array<{ nodeId: string; status: string; eventSeq: number }>, before: number) =>
    steps.map((s) => [s.nodeId, s.status, s.eventSeq - before]).sort((a, b) => Number(a[2]) - Number(b[2]));
  it('writes a batch of changes in one fenced transaction, each with its own event number, and folds the rest into the finish', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await claimed(id);
    const stale = { ...run, runAttempt: run.runAttempt - 1 };
    const researcher = finishedStep('researcher', { attempts: [attempt({ costMicros: 70 })] });
    const started = { nodeType: 'agent', input: {}, startedAt: new Date() };

    // A stale runner's batch changes nothing at all.
    expect(
      await recordSteps(database.db, stale, [
        { kind: 'finished', ...finishedStep('input', { nodeType: 'input' }) },
      ]),
    ).toEqual({ ok: false });
    expect(await count('execution_steps', id)).toBe(0);

    const before = (await getExecution(database.db, owner.ownerId, id)).eventSeq;
    const write = await recordSteps(database.db, run, [
      { kind: 'finished', ...finishedStep('input', { nodeType: 'input' }) },
      { kind: 'started', nodeId: 'researcher', ...started },
      { kind: 'finished', ...researcher },
      { kind: 'started', nodeId: 'critic', ...started },
    ]);
    expect(write).toEqual({ ok: true, cancelRequested: false });
    let detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail.eventSeq).toBe(before + 4);
    expect(detail.costMicros).toBe(70);
    expect(bySeq(detail.steps, before)).toEqual([
      ['input', 'succeeded', 1],
      ['researcher', 'succeeded', 3],
      ['critic', 'running', 4],
    ]);
    expect(await count('execution_costs', id)).toBe(1);

    // What still waits when the run ends goes into the finish transaction, cost included.
    const critic = finishedStep('critic', { attempts: [attempt({ costMicros: 30 })] });
    expect(
      await finishExecution(database.db, run, { status: 'succeeded', output: 'done', error: null }, [
        { kind: 'finished', ...critic },
        { kind: 'started', nodeId: 'merge', ...started, nodeType: 'merge' },
      ]),
    ).toBe(true);
    detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail).toMatchObject({ status: 'succeeded', costMicros: 100, eventSeq: before + 8 });
    expect(bySeq(detail.steps, before)).toEqual([
      ['input', 'succeeded', 1],
      ['researcher', 'succeeded', 3],
      ['critic', 'succeeded', 5],
      // Started but never finished: closed as cancelled with the run.
      ['merge', 'cancelled', 7],
    ]);
    expect(await count('execution_costs', id)).toBe(2);
  });
});

describe('per-workflow concurrency', () => {
  it('lets at most the limit claim at once, however many claim together, and the rest after', async () => {
    const owner = await ownerWithWorkflow({
      ...sampleWorkflowDefinition(),
      settings: { maxConcurrentRuns: 2 },
    });
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await startRun(owner)).id);
    const results = await Promise.all(ids.map((id) => claimExecution(database.db, id)));
    const winners = results.flatMap((r) => (r.outcome === 'claimed' ? [r.run] : []));
    expect(winners).toHaveLength(2);
    expect(results.filter((r) => r.outcome === 'wait')).toHaveLength(4);

    await finishExecution(database.db, winners[0]!, { status: 'succeeded', output: null, error: null });
    const waiting = ids.filter((id) => !winners.some((w) => w.executionId === id));
    const next = await Promise.all(waiting.map((id) => claimExecution(database.db, id)));
    expect(next.filter((r) => r.outcome === 'claimed')).toHaveLength(1);
    // A takeover of a run already counted as running is never refused.
    expect((await claimExecution(database.db, winners[1]!.executionId)).outcome).toBe('claimed');
  });
});

describe('cancelling', () => {
  it('cancels a queued run at once and a running one through its runner; refuses a finished one', async () => {
    const owner = await ownerWithWorkflow();
    const queued = await startRun(owner);
    expect(await cancelExecution(database.db, owner.ownerId, queued.id)).toMatchObject({
      status: 'cancelled',
    });
    expect(await claimExecution(database.db, queued.id)).toEqual({ outcome: 'finished' });

    const running = await startRun(owner);
    const run = await claimed(running.id);
    expect(await cancelExecution(database.db, owner.ownerId, running.id)).toMatchObject({
      status: 'running',
      cancelRequested: true,
    });
    const write = await recordStepStarted(database.db, run, {
      nodeId: 'input',
      nodeType: 'input',
      input: {},
      startedAt: new Date(),
    });
    expect(write).toEqual({ ok: true, cancelRequested: true });
    await finishExecution(database.db, run, { status: 'cancelled', output: null, error: null });

    await expect(cancelExecution(database.db, owner.ownerId, running.id)).rejects.toThrow(
      /already was cancelled/,
    );
    const other = await ownerWithWorkflow();
    await expect(cancelExecution(database.db, other.ownerId, queued.id)).rejects.toThrow(/run not found/);
  });
});

describe('listing and reading', () => {
  it('pages through the owner’s runs newest first, with filters, and shows nobody else’s', async () => {
    const owner = await ownerWithWorkflow();
    const second = await createWorkflow(database.db, owner.ownerId, {
      name: 'second',
      definition: owner.definition,
    });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await startRun(owner, { trigger: i % 2 ? 'api' : 'manual' })).id);
    const onSecond = await startRun({ ...owner, workflowId: second.id });
    await cancelExecution(database.db, owner.ownerId, ids[0]!);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await listExecutions(database.db, owner.ownerId, { limit: 2, cursor });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen)).toEqual(new Set([...ids, onSecond.id]));

    const ofSecond = await listExecutions(database.db, owner.ownerId, { workflowId: second.id });
    expect(ofSecond.items.map((r) => [r.id, r.workflowName])).toEqual([[onSecond.id, 'second']]);
    const viaApi = await listExecutions(database.db, owner.ownerId, { trigger: 'api' });
    expect(viaApi.items.map((r) => r.id).sort()).toEqual([ids[1], ids[3]].sort());
    const cancelled = await listExecutions(database.db, owner.ownerId, { status: 'cancelled' });
    expect(cancelled.items.map((r) => r.id)).toEqual([ids[0]]);

    const stranger = await ownerWithWorkflow();
    expect((await listExecutions(database.db, stranger.ownerId)).items).toEqual([]);
    await expect(getExecution(database.db, stranger.ownerId, ids[1]!)).rejects.toThrow(/run not found/);
    await expect(listExecutions(database.db, owner.ownerId, { cursor: 'nonsense' })).rejects.toThrow(
      /cursor/,
    );
  });
});

describe('re-runs', () => {
  it('reuses every finished step outside the re-run node’s downstream, unchanged nodes only', () => {
    const definition = sampleWorkflowDefinition();
    const steps = ['input', 'researcher', 'critic', 'merge', 'writer', 'output'].map((nodeId) => ({
      id: `step-${nodeId}`,
      nodeId,
      status: 'succeeded' as const,
    }));
    const reuse = (target: WorkflowDefinition, fromNodeId?: string, inputChanged = false) =>
      selectReusableSteps({ source: { definition, steps }, target, fromNodeId, inputChanged });

    expect(reuse(definition)).toEqual([]);
    expect(reuse(definition, 'writer')).toEqual([
      'step-input',
      'step-researcher',
      'step-critic',
      'step-merge',
    ]);
    expect(reuse(definition, 'critic')).toEqual(['step-input', 'step-researcher']);
    expect(reuse(definition, 'critic', true)).toEqual(['step-researcher']);
    const edited = structuredClone(definition);
    edited.nodes.find((n) => n.id === 'researcher')!.config.model = 'delay:10';
    expect(reuse(edited, 'writer')).toEqual(['step-input', 'step-critic', 'step-merge']);
    expect(() => reuse(definition, 'nope')).toThrow(/unknown node "nope"/);
  });

  it('copies reused steps into the new run without cost, and hands them to the runner as done', async () => {
    const owner = await ownerWithWorkflow();
    const source = await startRun(owner);
    const run = await claimed(source.id);
    for (const nodeId of ['input', 'researcher', 'critic', 'merge', 'writer', 'output']) {
      await recordStepFinished(database.db, run, finishedStep(nodeId, { attempts: [attempt()] }));
    }
    await finishExecution(database.db, run, { status: 'succeeded', output: 'brief', error: null });

    const original = await getExecutionForRerun(database.db, owner.ownerId, source.id);
    const reuseStepIds = selectReusableSteps({
      source: original,
      target: original.definition,
      fromNodeId: 'writer',
      inputChanged: false,
    });
    const rerun = await startRun(owner, { rerunOf: source.id, rerunFromNode: 'writer', reuseStepIds });
    expect(await count('execution_steps', rerun.id)).toBe(4);
    expect(await count('execution_costs', rerun.id)).toBe(0);
    const detail = await getExecution(database.db, owner.ownerId, rerun.id);
    expect(detail).toMatchObject({
      status: 'queued',
      rerunOf: source.id,
      rerunFromNode: 'writer',
      costMicros: 0,
    });
    const sourceSteps = new Map(
      (await getExecution(database.db, owner.ownerId, source.id)).steps.map((s) => [s.nodeId, s.id]),
    );
    for (const step of detail.steps) {
      expect(step).toMatchObject({ status: 'succeeded', costMicros: 0, runAttempt: 0, attempts: [] });
      expect(step.reusedFromStepId).toBe(sourceSteps.get(step.nodeId));
    }
    const claim = await claimed(rerun.id);
    expect(claim.priorSteps.map((s) => s.nodeId).sort()).toEqual(['critic', 'input', 'merge', 'researcher']);
  });
});

describe('run events', () => {
  it('notifies listeners of exactly the committed changes of the run they watch', async () => {
    const feed = createRunEventFeed(database.sql);
    await feed.start();
    try {
      const owner = await ownerWithWorkflow();
      const { id } = await startRun(owner);
      const other = await startRun(owner);
      const seen: RunEventSignal[] = [];
      const unsubscribe = feed.subscribe(id, (notice) => seen.push(notice));
      // Both runs are watched (events go out only for watched runs: run-watchers.test.ts).
      for (const executionId of [id, other.id])
        await registerRunWatcher(database.db, {
          executionId,
          ownerId: owner.ownerId,
          watcherId: randomUUID(),
        });
      const run = await claimed(id);
      await claimed(other.id);
      await recordStepStarted(database.db, run, {
        nodeId: 'input',
        nodeType: 'input',
        input: {},
        startedAt: new Date(),
      });
      await recordStepFinished(database.db, run, finishedStep('input'));
      await finishExecution(database.db, run, { status: 'succeeded', output: null, error: null });
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(4);
      expect(seen.map((n) => [n.kind, 'seq' in n ? n.seq : null])).toEqual([
        ['status', 1],
        ['step', 2],
        ['step', 3],
        ['status', 4],
      ]);
      unsubscribe();
    } finally {
      await feed.stop();
    }
  });
});
