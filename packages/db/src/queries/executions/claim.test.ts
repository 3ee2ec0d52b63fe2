import { randomUUID } from 'node:crypto';
import { sampleWorkflowDefinition } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { createRunEventFeed, type RunEventSignal } from '../../run-events.ts';
import { registerRunWatcher } from '../run-watchers.ts';
import {
  claimExecution,
  claimExecutions,
  failAbandonedExecution,
  finishExecution,
  getExecution,
  RUN_ABANDONED_CODE,
  recordStepFinished,
  recordStepStarted,
} from './index.ts';
import { attempt, finishedStep, useRunTestKit } from './test-kit.ts';

const { database, ownerWithWorkflow, startRun, claimed, count } = useRunTestKit();

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

  it('claims a batch in the order given: the common case at once, a limited workflow, a finished run, a missing run and a run named twice each as alone', async () => {
    const owner = await ownerWithWorkflow();
    const limited = sampleWorkflowDefinition();
    limited.settings = { ...limited.settings, maxConcurrentRuns: 1 };
    const gated = await ownerWithWorkflow(limited);
    const plain = (await startRun(owner)).id;
    const withResume = (await startRun(owner)).id;
    // An earlier attempt finished a step: the claim reads it back for the resume.
    expect(
      (await recordStepFinished(database.db, await claimed(withResume), finishedStep('researcher'))).ok,
    ).toBe(true);
    const [firstGated, secondGated] = [(await startRun(gated)).id, (await startRun(gated)).id];
    const over = (await startRun(owner)).id;
    await finishExecution(database.db, await claimed(over), { status: 'succeeded', output: 1, error: null });
    const missing = randomUUID();

    const results = await database.db.transaction((tx) =>
      claimExecutions(tx, [plain, withResume, firstGated, secondGated, over, missing, plain]),
    );
    expect(results.map((r) => r.outcome)).toEqual([
      'claimed',
      'claimed',
      'claimed',
      'wait',
      'finished',
      'missing',
      'claimed',
    ]);
    const run = (i: number) => (results[i] as Extract<(typeof results)[number], { outcome: 'claimed' }>).run;
    expect(run(0)).toMatchObject({
      executionId: plain,
      runAttempt: 1,
      input: { query: 'why' },
      priorSteps: [],
    });
    expect(run(1)).toMatchObject({ executionId: withResume, runAttempt: 2 });
    expect(run(1).priorSteps.map((step) => step.nodeId)).toEqual(['researcher']);
    expect(run(2)).toMatchObject({ executionId: firstGated, runAttempt: 1, workflowId: gated.workflowId });
    // Named twice: the second claim takes over from the first, as two deliveries would.
    expect(run(6)).toMatchObject({ executionId: plain, runAttempt: 2 });
    expect(await getExecution(database.db, gated.ownerId, secondGated)).toMatchObject({ status: 'queued' });
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
