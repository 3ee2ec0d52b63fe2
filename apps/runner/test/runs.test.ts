import { randomUUID } from 'node:crypto';
/**
 * Runs through a real runner (in this process) on a real database and queue, with the real LLM
 * client and fallback router on the offline mock provider: what gets persisted, cancellation,
 * the per-workflow concurrency limit, draining a backlog, and giving up on abandoned runs.
 */
import {
  announceRunsReady,
  cancelExecution,
  claimExecution,
  createJobSender,
  createRunEventFeed,
  type ExecutionDetail,
  getExecution,
  listExecutions,
} from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { type LlmClient, sampleWorkflowDefinition } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { mockCallLog } from '@swarm/providers';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient } from '../src/llm.ts';
import { createRunner } from '../src/runner.ts';
import { createRunService } from '../src/runs.ts';
import { agentChain, ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';

const database = useTestDatabase();
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
let jobs: ReturnType<typeof createJobSender>;
let runner: ReturnType<typeof createRunner>;

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  runner = createRunner({
    databaseUrl: database.url,
    logger,
    poolSize: 4,
    drainSeconds: 5,
    runConcurrency: 4,
    superviseSeconds: 1,
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await jobs?.stop();
});

const stepStatuses = (run: ExecutionDetail) => Object.fromEntries(run.steps.map((s) => [s.nodeId, s.status]));

describe('executing runs', () => {
  it('runs the sample workflow: every step persisted with its provider attempts, output and cost', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    const { id } = await startRun(database.db, jobs.sender, owner, { query: 'why is the sky blue' });
    const run = await waitForRun(database.db, owner, id);

    expect(run.status).toBe('succeeded');
    expect(run.runAttempt).toBe(1);
    expect(stepStatuses(run)).toEqual({
      input: 'succeeded',
      researcher: 'succeeded',
      critic: 'succeeded',
      merge: 'succeeded',
      writer: 'succeeded',
      output: 'succeeded',
    });
    const writer = run.steps.find((s) => s.nodeId === 'writer')!;
    expect(writer.attempts).toMatchObject([
      { requestedProvider: 'mock', requestedModel: 'echo', servedProvider: 'mock', reason: 'primary' },
    ]);
    expect(JSON.stringify(run.output)).toContain('why is the sky blue');
    // The run's cost is the sum of its priced attempts, and each attempt row carries its agent's role.
    const attempts = run.steps.flatMap((s) => s.attempts);
    expect(attempts).toHaveLength(3);
    expect(run.costMicros).toBe(attempts.reduce((sum, a) => sum + (a.costMicros ?? 0), 0));
    const roles =
      await database.sql`select agent_role from execution_costs where execution_id = ${id} order by agent_role`;
    expect(roles.map((r) => r.agent_role)).toEqual(['critic', 'researcher', 'writer']);
    expect(
      mockCallLog
        .entries()
        .some((call) => call.messages.at(-1)?.content.includes('Research this question: why is')),
    ).toBe(true);
  });

  it('fails a run whose agent fails, naming the node, with the failed attempts recorded', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['fail:invalid']));
    const { id } = await startRun(database.db, jobs.sender, owner);
    const run = await waitForRun(database.db, owner, id);
    expect(run).toMatchObject({ status: 'failed', error: { nodeId: 'a1' } });
    expect(run.steps.find((s) => s.nodeId === 'a1')).toMatchObject({
      status: 'failed',
      attempts: [{ errorClass: 'invalid_request' }],
    });
  });

  it('cancels a run mid-step at once, without waiting for the provider', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['delay:600000']));
    const { id } = await startRun(database.db, jobs.sender, owner);
    await waitForStep(owner.ownerId, id, 'a1', 'running');
    await cancelExecution(database.db, owner.ownerId, id);
    const run = await waitForRun(database.db, owner, id);
    expect(run).toMatchObject({ status: 'cancelled', error: { code: 'cancelled' } });
    expect(stepStatuses(run)).toEqual({ input: 'succeeded', a1: 'cancelled' });
  });
});

async function waitForStep(ownerId: string, id: string, nodeId: string, status: string) {
  await expect
    .poll(
      async () =>
        (await getExecution(database.db, ownerId, id)).steps.find((s) => s.nodeId === nodeId)?.status,
      {
        timeout: 15_000,
        interval: 25,
      },
    )
    .toBe(status);
}

describe('scheduling runs', () => {
  it('keeps the queue moving past jobs whose run is gone or whose claim fails', async () => {
    // A run deleted with its workflow while queued: nothing to do, the job is completed.
    const gone = await jobs.sender.send('run', { executionId: randomUUID() });
    // A job no claim can handle (not a run id at all): set aside, retried later, never blocking.
    const poison = await jobs.sender.send('run', { executionId: 'not-a-run-id' });
    await announceRunsReady(database.db, 2);
    const owner = await ownerWithWorkflow(database.db, agentChain(['echo']));
    const { id } = await startRun(database.db, jobs.sender, owner);
    expect((await waitForRun(database.db, owner, id)).status).toBe('succeeded');
    const states = async () =>
      Object.fromEntries(
        (
          await database.sql<{ id: string; state: string }[]>`
            select id, state::text from pgboss.job where id in ${database.sql([gone!, poison!])}`
        ).map((row) => [row.id === gone ? 'gone' : 'poison', row.state]),
      );
    await expect.poll(states, { timeout: 10_000, interval: 50 }).toMatchObject({ gone: 'completed' });
    expect(['retry', 'failed']).toContain((await states()).poison);
  });

  it('completes the run job in the transaction that records the run end', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['echo']));
    const { id } = await startRun(database.db, jobs.sender, owner);
    expect((await waitForRun(database.db, owner, id)).status).toBe('succeeded');
    const [row] = await database.sql<{ job: string; state: string; run: string }[]>`
      select j.xmin::text as job, j.state::text as state, e.xmin::text as run
      from pgboss.job j join executions e on e.id::text = j.data->>'executionId'
      where j.name = 'run' and e.id = ${id}`;
    expect(row).toEqual({ job: row!.run, state: 'completed', run: row!.run });
  });

  it('keeps a workflow to its concurrency limit, running the queued runs one after another', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['delay:150'], { maxConcurrentRuns: 1 }));
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await startRun(database.db, jobs.sender, owner)).id);
    const runs = [];
    for (const id of ids) runs.push(await waitForRun(database.db, owner, id));
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // With a limit of one, no two runs were ever running at the same time.
    const spans = runs
      .map((r) => [r.startedAt!.getTime(), r.finishedAt!.getTime()] as const)
      .sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
  });

  it('drains a backlog at once instead of one run per polling interval', async () => {
    // Polling every 30 s: without workers fetching again right after each run, 30 queued runs on
    // 3 workers would take minutes; the test's timeout says they must not.
    const slow = createRunner({
      databaseUrl: database.url,
      logger,
      poolSize: 3,
      drainSeconds: 5,
      runConcurrency: 3,
      pollSeconds: 30,
    });
    await runner.stop();
    try {
      const owner = await ownerWithWorkflow(database.db, agentChain(['echo']));
      const ids = [];
      for (let i = 0; i < 30; i++) ids.push((await startRun(database.db, jobs.sender, owner)).id);
      await slow.start();
      await expect
        .poll(
          async () =>
            (await listExecutions(database.db, owner.ownerId, { status: 'succeeded', limit: 100 })).items
              .length,
          { timeout: 25_000, interval: 100 },
        )
        .toBe(30);
    } finally {
      await slow.stop();
      runner = createRunner({
        databaseUrl: database.url,
        logger,
        poolSize: 4,
        drainSeconds: 5,
        runConcurrency: 4,
        superviseSeconds: 1,
      });
      await runner.start();
    }
  }, 40_000);

  it('marks a run failed when its job ran out of retries (dead letter)', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['echo']));
    // A run whose job is gone (no runner will ever take it), as after its last retry failed.
    const noQueue = { send: async () => 'job-that-never-existed' };
    const { id } = await startRun(database.db, noQueue, owner);
    // What pg-boss does with an exhausted job: its payload goes to the dead letter queue.
    await jobs.boss.send('runAbandoned', { executionId: id });
    const run = await waitForRun(database.db, owner, id);
    expect(run).toMatchObject({ status: 'failed', error: { code: 'runner_lost' } });
  });
});

describe('the run service on its own (no queue worker)', () => {
  /** A service whose LLM answers only when the test says so. */
  function serviceWithGate() {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const llm: LlmClient = {
      async complete(_request, policy) {
        await gate;
        const { provider, model } = policy.chain[0]!;
        return { text: 'ok', provider, model, attempts: [] };
      },
    };
    const events = createRunEventFeed(database.sql);
    const service = createRunService({
      db: database.db,
      events,
      jobs: jobs.boss,
      llm: { forOwner: () => llm },
      registry: createNodeRegistry(),
      logger,
    });
    return { service, events, release };
  }
  const job = (executionId: string, extra: { groupId?: string; groupTier?: string } = {}) => ({
    id: 'test-job',
    data: { executionId },
    signal: new AbortController().signal,
    ...extra,
  });

  it('stops without writing when another runner claims the run meanwhile (fenced)', async () => {
    const { service, events, release } = serviceWithGate();
    await events.start();
    try {
      const owner = await ownerWithWorkflow(database.db, agentChain(['echo', 'echo']));
      const noQueue = { send: async () => 'no-job' }; // only this service touches the run
      const { id } = await startRun(database.db, noQueue, owner);
      const running = service.execute(job(id));
      await waitForStep(owner.ownerId, id, 'a1', 'running');
      // Its claim lapsed and another runner took the run over.
      const takeover = await claimExecution(database.db, id);
      expect(takeover.outcome).toBe('claimed');
      release();
      expect(await running).toEqual({ outcome: 'superseded' });
      const run = await getExecution(database.db, owner.ownerId, id);
      expect(run).toMatchObject({ status: 'running', runAttempt: 2, costMicros: 0 });
      expect(stepStatuses(run)).toEqual({ input: 'succeeded', a1: 'running' });
    } finally {
      await events.stop();
    }
  });

  it('defers a run whose workflow is at its limit: the job comes back later in the same group', async () => {
    const { service, events } = serviceWithGate();
    const owner = await ownerWithWorkflow(database.db, agentChain(['echo'], { maxConcurrentRuns: 1 }));
    const noQueue = { send: async () => 'no-job' };
    const first = await startRun(database.db, noQueue, owner);
    const second = await startRun(database.db, noQueue, owner);
    expect((await claimExecution(database.db, first.id)).outcome).toBe('claimed');

    const result = await service.execute(job(second.id, { groupId: owner.workflowId, groupTier: '1' }));
    expect(result).toEqual({ outcome: 'deferred' });
    expect((await getExecution(database.db, owner.ownerId, second.id)).status).toBe('queued');
    const [deferred] = await database.sql<{ group_id: string; group_tier: string; later: boolean }[]>`
      select group_id, group_tier, start_after > now() as later from pgboss.job
      where name = 'run' and data->>'executionId' = ${second.id}`;
    expect(deferred).toEqual({ group_id: owner.workflowId, group_tier: '1', later: true });
    // Let the deferred job find nothing to do when it comes back.
    await cancelExecution(database.db, owner.ownerId, second.id);
    await events.stop();
  });
});

describe('batched step writes', () => {
  function service(stepFlushMs: number, paidFlushMs?: number) {
    const events = createRunEventFeed(database.sql);
    const llm = createLlmClient({ db: database.db, logger, secretKeys: null, providers: {} });
    const runs = createRunService({
      db: database.db,
      events,
      jobs: jobs.boss,
      llm,
      registry: createNodeRegistry(),
      logger,
      stepFlushMs,
      paidFlushMs,
    });
    return { runs, events };
  }
  const job = (executionId: string) => ({
    id: 'test-job',
    data: { executionId },
    signal: new AbortController().signal,
  });
  /** The transaction that last wrote each step row and the run row (Postgres `xmin`). */
  const writers = async (id: string) => {
    const steps = await database.sql<{ node_id: string; tx: string }[]>`
      select node_id, xmin::text as tx from execution_steps where execution_id = ${id}`;
    const [run] = await database.sql<
      { tx: string }[]
    >`select xmin::text as tx from executions where id = ${id}`;
    return { run: run!.tx, ...Object.fromEntries(steps.map((s) => [s.node_id, s.tx])) } as Record<
      string,
      string
    >;
  };

  it('writes a quick run in two transactions: the claim, and the finish with every step', async () => {
    // Flush windows no run here reaches: the agent's result waits for the finish (no paid step
    // follows it).
    const { runs, events } = service(600_000, 600_000);
    await events.start();
    try {
      const owner = await ownerWithWorkflow(database.db, agentChain(['echo']));
      const noQueue = { send: async () => 'no-job' };
      const { id } = await startRun(database.db, noQueue, owner);
      expect(await runs.execute(job(id))).toEqual({ outcome: 'succeeded' });

      const run = await getExecution(database.db, owner.ownerId, id);
      expect(stepStatuses(run)).toEqual({ input: 'succeeded', a1: 'succeeded', output: 'succeeded' });
      const a1 = run.steps.find((s) => s.nodeId === 'a1')!;
      expect(a1.attempts).toHaveLength(1);
      expect(run.costMicros).toBe(a1.costMicros);
      const tx = await writers(id);
      expect([tx.input, tx.a1, tx.output]).toEqual([tx.run, tx.run, tx.run]);
      // Event numbers still count every change, in order: input, a1 started, a1, output started,
      // output, the outcome.
      const seq = Object.fromEntries(run.steps.map((s) => [s.nodeId, s.eventSeq]));
      expect([seq.a1! - seq.input!, seq.output! - seq.a1!, run.eventSeq - seq.output!]).toEqual([2, 2, 1]);
    } finally {
      await events.stop();
    }
  });

  it('makes a paid result durable before the next paid step starts, and within the paid window', async () => {
    const { runs, events } = service(600_000, 600_000);
    await events.start();
    try {
      const owner = await ownerWithWorkflow(database.db, agentChain(['echo', 'echo']));
      const noQueue = { send: async () => 'no-job' };
      const { id } = await startRun(database.db, noQueue, owner);
      expect(await runs.execute(job(id))).toEqual({ outcome: 'succeeded' });
      const tx = await writers(id);
      // a1's result (with the input that waited) went out before a2 started; a2 with the finish.
      expect(tx.input).toBe(tx.a1);
      expect(tx.a1).not.toBe(tx.run);
      expect([tx.a2, tx.output]).toEqual([tx.run, tx.run]);
    } finally {
      await events.stop();
    }

    // A paid result next to a long parallel step goes out within the paid window (here 0 ms), not
    // with the finish.
    const quick = service(600_000, 0);
    await quick.events.start();
    try {
      const chain = agentChain(['echo', 'delay:600000']);
      // input → a1 and input → a2 side by side, both → output.
      const parallel = {
        ...chain,
        edges: [
          { id: 'e0', source: 'input', target: 'a1' },
          { id: 'e1', source: 'input', target: 'a2' },
          { id: 'e2', source: 'a1', target: 'output' },
          { id: 'e3', source: 'a2', target: 'output' },
        ],
      };
      parallel.nodes = parallel.nodes.map((node) =>
        node.id === 'a2' ? { ...node, config: { ...node.config, prompt: 'Q: {{input.query}}' } } : node,
      );
      const owner = await ownerWithWorkflow(database.db, parallel);
      const { id } = await startRun(database.db, { send: async () => 'no-job' }, owner);
      const running = quick.runs.execute(job(id));
      await expect
        .poll(async () => stepStatuses(await getExecution(database.db, owner.ownerId, id)).a1, {
          timeout: 10_000,
          interval: 20,
        })
        .toBe('succeeded');
      await cancelExecution(database.db, owner.ownerId, id);
      expect(await running).toEqual({ outcome: 'cancelled' });
    } finally {
      await quick.events.stop();
    }
  });

  it('shows a long step as running after the flush window, with the paid steps before it already written', async () => {
    const { runs, events } = service(50);
    await events.start();
    try {
      const owner = await ownerWithWorkflow(database.db, agentChain(['echo', 'delay:600000']));
      const noQueue = { send: async () => 'no-job' };
      const { id } = await startRun(database.db, noQueue, owner);
      const running = runs.execute(job(id));
      await waitForStep(owner.ownerId, id, 'a2', 'running');
      const midway = await getExecution(database.db, owner.ownerId, id);
      expect(stepStatuses(midway)).toEqual({ input: 'succeeded', a1: 'succeeded', a2: 'running' });
      expect(midway.steps.find((s) => s.nodeId === 'a1')!.attempts).toHaveLength(1);

      await cancelExecution(database.db, owner.ownerId, id);
      expect(await running).toEqual({ outcome: 'cancelled' });
      expect(stepStatuses(await getExecution(database.db, owner.ownerId, id))).toEqual({
        input: 'succeeded',
        a1: 'succeeded',
        a2: 'cancelled',
      });
    } finally {
      await events.stop();
    }
  });
});
