/**
 * Runs that no runner finishes, through real runner code on a real database and a real pg-boss:
 *
 * - Poison runs: a run whose claims keep ending without it finishing (here: runners that freeze in
 *   step "writer" and stop heartbeating, so pg-boss's supervision takes the job back, as after a
 *   SIGKILL or an OOM) is failed by the claim after the third, naming the claims and the step —
 *   while a run that lost its claim once resumes and succeeds.
 * - Dead letters: a run job whose retries run out goes to `runAbandoned` through pg-boss itself (the
 *   catalog's `deadLetter`), whose real worker fails the run.
 *
 * The frozen runners are the real dispatcher and run service with an LLM that never answers for
 * "writer" and a heartbeat too slow to ever beat: their claims lapse exactly as a dead runner's do.
 */
import { randomUUID } from 'node:crypto';
import {
  createExecution,
  createJobSender,
  createRunEventFeed,
  type JobSender,
  QUEUE_SCHEMA,
  RUN_ABANDONED_CODE,
  type RunEventSignal,
  registerRunWatcher,
} from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { type LlmClient, sampleWorkflowDefinition } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { PgBoss, type SendOptions } from 'pg-boss';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunnerEnv } from '../src/env.ts';
import { createRunDispatcher } from '../src/run-dispatcher.ts';
import { createRunner, DEFAULT_MAX_RUN_CLAIMS } from '../src/runner.ts';
import { createRunService } from '../src/runs.ts';
import { type Owner, ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';

const database = useTestDatabase();
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
let jobs: ReturnType<typeof createJobSender>;
/** The cluster's queue supervision (every runner does it): fails jobs whose heartbeat lapsed. */
let supervisor: PgBoss;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  supervisor = new PgBoss({
    connectionString: database.url,
    schema: QUEUE_SCHEMA,
    max: 2,
    migrate: false,
    supervise: true,
    schedule: false,
    useListenNotify: false,
    superviseIntervalSeconds: 1,
    monitorIntervalSeconds: 1,
  });
  supervisor.on('error', (err) => logger.error({ err }, 'supervisor error'));
  await supervisor.start();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await supervisor?.stop({ graceful: false, close: true });
  await jobs?.stop();
});

/** Answers every agent at once, except "writer": that call never returns (until aborted). */
const stuckInWriter: LlmClient = {
  async complete(request, policy, context) {
    if (context.nodeId === 'writer')
      await new Promise((_resolve, reject) => {
        const signal = request.signal;
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    const { provider, model } = policy.chain[0]!;
    return { text: `ok from ${context.nodeId}`, provider, model, attempts: [] };
  },
};

/**
 * A runner that claims one run and then freezes in "writer" without ever heartbeating: to the
 * cluster it is a dead runner. Real dispatcher, real run service (with the default claim bound).
 */
async function startFrozenRunner() {
  const events = createRunEventFeed(database.sql);
  await events.start();
  const runs = createRunService({
    db: database.db,
    events,
    jobs: jobs.boss,
    llm: { forOwner: () => stuckInWriter },
    registry: createNodeRegistry(),
    logger,
    maxClaims: DEFAULT_MAX_RUN_CLAIMS,
  });
  const dispatcher = createRunDispatcher({
    database,
    boss: jobs.boss,
    runs,
    logger,
    concurrency: 1,
    pollSeconds: 0.5,
    // Never beats within the test: pg-boss sees the claim lapse after the queue's 10 s heartbeat.
    heartbeatSeconds: 3600,
  });
  await dispatcher.start();
  const stop = async () => {
    await dispatcher.stop(0);
    await events.stop();
  };
  cleanups.push(stop);
}

/** A real runner as the daemon builds it (the default claim bound unless `options` says). */
async function startRunner(options: Partial<Parameters<typeof createRunner>[0]> = {}) {
  const runner = createRunner({
    databaseUrl: database.url,
    logger,
    poolSize: 4,
    drainSeconds: 5,
    runConcurrency: 2,
    superviseSeconds: 1,
    scheduler: false,
    ...options,
  });
  await runner.start();
  return runner;
}

const runRow = async (id: string) => {
  const [row] = await database.sql<{ status: string; run_attempt: number }[]>`
    select status::text, run_attempt from executions where id = ${id}`;
  return row!;
};

/** The state and retry count of the run's pg-boss job. */
const jobRow = async (id: string) => {
  const [row] = await database.sql<{ state: string; retry_count: number }[]>`
    select state::text, retry_count from pgboss.job where name = 'run' and data->>'executionId' = ${id}`;
  return row!;
};

async function waitForClaims(id: string, claims: number) {
  await expect
    .poll(async () => (await runRow(id)).run_attempt, { timeout: 60_000, interval: 100 })
    .toBe(claims);
}

describe('poison runs', () => {
  it('parses RUNNER_MAX_RUN_CLAIMS (default 3, at least 1)', () => {
    const base = { DATABASE_URL: 'postgres://localhost/swarm' };
    expect(parseRunnerEnv(base).RUNNER_MAX_RUN_CLAIMS).toBe(DEFAULT_MAX_RUN_CLAIMS);
    expect(DEFAULT_MAX_RUN_CLAIMS).toBe(3);
    expect(parseRunnerEnv({ ...base, RUNNER_MAX_RUN_CLAIMS: '5' }).RUNNER_MAX_RUN_CLAIMS).toBe(5);
    expect(() => parseRunnerEnv({ ...base, RUNNER_MAX_RUN_CLAIMS: '0' })).toThrow(/RUNNER_MAX_RUN_CLAIMS/);
  });

  it('resumes a run whose runner was lost once, and it succeeds', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    await startFrozenRunner();
    const { id } = await startRun(database.db, jobs.sender, owner);
    await waitForClaims(id, 1);
    await waitForStep(id, 'writer', 'running');

    // The frozen runner's claim lapses (no heartbeat); a healthy runner takes the run over.
    const runner = await startRunner();
    try {
      const run = await waitForRun(database.db, owner, id, ['succeeded', 'failed', 'cancelled'], 60_000);
      expect(run).toMatchObject({ status: 'succeeded', runAttempt: 2, error: null });
      // Resumed after the steps the first claim finished; "writer" ran again in the second.
      expect(Object.fromEntries(run.steps.map((s) => [s.nodeId, s.runAttempt]))).toMatchObject({
        researcher: 1,
        critic: 1,
        writer: 2,
        output: 2,
      });
      expect(await jobRow(id)).toMatchObject({ state: 'completed', retry_count: 1 });
    } finally {
      await runner.stop();
    }
  }, 90_000);

  it('fails a run after three claims that never finished, naming them and the step, without a fourth', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    // Three runners that will each take the run and die in "writer" (what a poison step does).
    for (let i = 0; i < 3; i++) await startFrozenRunner();
    const { id } = await startRun(database.db, jobs.sender, owner);
    const statusEvents = await watchStatusEvents(owner, id);
    await waitForClaims(id, 3);

    // The third claim lapses too; the next runner to get the job fails the run instead of running it.
    const runner = await startRunner();
    try {
      const run = await waitForRun(database.db, owner, id, ['succeeded', 'failed', 'cancelled'], 60_000);
      expect(run.status).toBe('failed');
      expect(run.runAttempt).toBe(3);
      expect(run.error).toEqual({
        code: RUN_ABANDONED_CODE,
        nodeId: 'writer',
        message:
          'run abandoned: its runner stopped or lost the claim 3 times (last in step "writer"). Re-run it once the cause is fixed.',
      });
      expect(run.finishedAt).not.toBeNull();
      // The step it died in is closed with it; the steps done before stay done.
      expect(run.steps.find((s) => s.nodeId === 'writer')).toMatchObject({
        status: 'failed',
        error: { code: RUN_ABANDONED_CODE },
      });
      expect(run.steps.find((s) => s.nodeId === 'researcher')).toMatchObject({ status: 'succeeded' });
      // Its job was completed by that claim (never handed round again), after three retries.
      expect(await jobRow(id)).toEqual({ state: 'completed', retry_count: 3 });
      // Live viewers heard the end: a status event carrying the run's last event number.
      await expect
        .poll(() => statusEvents.some((e) => e.kind === 'status' && e.seq === run.eventSeq))
        .toBe(true);
      // Nothing claimed it again afterwards.
      expect(await runRow(id)).toEqual({ status: 'failed', run_attempt: 3 });
    } finally {
      await runner.stop();
    }
  }, 120_000);
});

describe('dead letters', () => {
  it("fails a run whose job ran out of retries, through pg-boss's dead letter queue and the runAbandoned worker", async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    // Each attempt outlives its job's expiry (stuck in "writer"), so the runner gives it up and
    // pg-boss retries it — one retry allowed here; the queue's dead letter is the catalog's.
    const shortLived: JobSender = {
      send: ((name: string, data: object, options: SendOptions = {}) =>
        jobs.boss.send(name, data, {
          ...options,
          expireInSeconds: 2,
          retryLimit: 1,
          retryDelay: 0,
          retryBackoff: false,
        })) as JobSender['send'],
    };
    const runner = await startRunner({
      createLlm: () => ({ forOwner: () => stuckInWriter, close: async () => {} }),
    });
    try {
      const { id } = await createExecution(database.db, shortLived, {
        ownerId: owner.ownerId,
        workflowId: owner.workflowId,
        definition: owner.definition,
        input: { query: 'hello' },
        trigger: 'api',
      });
      const run = await waitForRun(database.db, owner, id, ['succeeded', 'failed', 'cancelled'], 30_000);
      expect(run).toMatchObject({ status: 'failed', error: { code: 'runner_lost' } });
      // Two claims (the first try and its one retry), fewer than the poison bound: the dead letter
      // ended it, not the claim count.
      expect(run.runAttempt).toBe(2);
      expect(await jobRow(id)).toEqual({ state: 'failed', retry_count: 1 });
      const [letter] = await database.sql<{ state: string }[]>`
        select state::text from pgboss.job where name = 'runAbandoned' and data->>'executionId' = ${id}`;
      expect(letter?.state).toBe('completed');
    } finally {
      await runner.stop();
    }
  }, 90_000);
});

async function waitForStep(id: string, nodeId: string, status: string) {
  await expect
    .poll(
      async () => {
        const [row] = await database.sql<{ status: string }[]>`
          select status::text from execution_steps where execution_id = ${id} and node_id = ${nodeId}`;
        return row?.status;
      },
      { timeout: 30_000, interval: 50 },
    )
    .toBe(status);
}

/** Registers a live viewer of the run and collects the events it hears. */
async function watchStatusEvents(owner: Owner, id: string) {
  const heard: RunEventSignal[] = [];
  const feed = createRunEventFeed(database.sql);
  await feed.start();
  feed.subscribe(id, (signal) => heard.push(signal));
  await registerRunWatcher(database.db, { executionId: id, ownerId: owner.ownerId, watcherId: randomUUID() });
  cleanups.push(() => feed.stop());
  return heard as Array<RunEventSignal & { seq?: number }>;
}
