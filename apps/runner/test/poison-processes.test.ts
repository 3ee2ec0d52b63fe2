/**
 * The incident this bound exists for, with real runner processes: a run whose step takes down every
 * runner that executes it. Each holder is SIGKILLed while in that step (and replaced, so two runners
 * are always up); pg-boss hands the job on after the heartbeat lapses. With the default bound
 * (RUNNER_MAX_RUN_CLAIMS unset: 3), the run is executed by three runners and then failed by the
 * next claim — not handed round the fleet. Assertions are on the persisted rows and the runners' logs.
 */
import { createJobSender, getExecution, RUN_ABANDONED_CODE } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killRunners, type RunnerProcess, spawnRunner } from '../src/testing/runner-process.ts';
import { agentChain, ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';

const database = useTestDatabase();
let jobs: ReturnType<typeof createJobSender>;
const runners: RunnerProcess[] = [];

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  runners.push(...(await Promise.all([1, 2].map(() => spawnRunner(database.url)))));
}, 90_000);

afterAll(async () => {
  await killRunners(runners);
  await jobs?.stop();
});

const logsOf = (executionId: string, msg: string) =>
  runners.flatMap((runner) =>
    runner.logs.filter((line) => line.msg === msg && line.executionId === executionId),
  );

it('fails a run that killed three runners instead of handing it to a fourth', async () => {
  // a2 never answers within the test: the step each runner dies in.
  const owner = await ownerWithWorkflow(database.db, agentChain(['echo', 'delay:600000']));
  const { id } = await startRun(database.db, jobs.sender, owner);

  for (let attempt = 1; attempt <= 3; attempt++) {
    const started = () => logsOf(id, 'run started').find((line) => line.runAttempt === attempt);
    await expect.poll(started, { timeout: 60_000, interval: 100 }).toBeTruthy();
    await expect
      .poll(
        async () => (await getExecution(database.db, owner.ownerId, id)).steps.find((s) => s.nodeId === 'a2'),
        { timeout: 20_000, interval: 50 },
      )
      .toMatchObject({ status: 'running', runAttempt: attempt });
    const victim = runners.find((runner) => runner.pid === started()!.pid)!;
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    // A replacement, as an orchestrator would start: two runners are always up.
    runners.push(await spawnRunner(database.url));
  }

  const run = await waitForRun(database.db, owner, id, ['succeeded', 'failed', 'cancelled'], 90_000);
  expect(run).toMatchObject({
    status: 'failed',
    runAttempt: 3,
    error: {
      code: RUN_ABANDONED_CODE,
      nodeId: 'a2',
      message: expect.stringContaining('its runner stopped or lost the claim 3 times (last in step "a2")'),
    },
  });
  // a1 ran once (its provider call too); no runner started a fourth attempt; one gave up on it.
  expect(run.steps.find((s) => s.nodeId === 'a1')).toMatchObject({ status: 'succeeded', runAttempt: 1 });
  expect(run.steps.find((s) => s.nodeId === 'a1')!.attempts).toHaveLength(1);
  expect(
    logsOf(id, 'run started')
      .map((line) => line.runAttempt)
      .sort(),
  ).toEqual([1, 2, 3]);
  expect(logsOf(id, 'run abandoned: claimed too many times without finishing')).toHaveLength(1);
  const [job] = await database.sql<{ state: string }[]>`
    select state::text from pgboss.job where name = 'run' and data->>'executionId' = ${id}`;
  expect(job?.state).toBe('completed');
}, 240_000);
