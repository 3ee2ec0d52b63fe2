/**
 * Several runner processes against one database, as in production: many runs spread over three
 * runners each execute exactly once; a runner killed with SIGKILL mid-run loses nothing (the run
 * resumes on another runner after the heartbeat lapses, completed steps are not run again); SIGTERM
 * lets the run in flight finish before the process exits. Assertions are on the persisted rows.
 */
import { createJobSender, getExecution } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killRunners, type RunnerProcess, spawnRunner } from '../src/testing/runner-process.ts';
import { agentChain, ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';

const database = useTestDatabase();
let jobs: ReturnType<typeof createJobSender>;
let runners: RunnerProcess[] = [];

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  runners = await Promise.all([1, 2, 3].map(() => spawnRunner(database.url)));
}, 90_000);

afterAll(async () => {
  await killRunners(runners);
  await jobs?.stop();
});

const startedLogs = (executionId: string) =>
  runners.flatMap((runner) =>
    runner.logs.filter((line) => line.msg === 'run started' && line.executionId === executionId),
  );

/** The runner that holds `executionId` right now (the last to log starting it). */
async function holderOf(executionId: string) {
  await expect.poll(() => startedLogs(executionId).length, { timeout: 15_000 }).toBeGreaterThan(0);
  const pid = startedLogs(executionId).at(-1)!.pid;
  return runners.find((runner) => runner.pid === pid)!;
}

async function waitForStepStatus(ownerId: string, executionId: string, nodeId: string, status: string) {
  await expect
    .poll(
      async () =>
        (await getExecution(database.db, ownerId, executionId)).steps.find((s) => s.nodeId === nodeId)
          ?.status,
      { timeout: 20_000, interval: 25 },
    )
    .toBe(status);
}

describe('three runner processes', () => {
  it('runs 200 runs, each exactly once', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['echo']));
    const ids: string[] = [];
    for (let i = 0; i < 200; i++)
      ids.push((await startRun(database.db, jobs.sender, owner, { query: `q${i}` })).id);

    await expect
      .poll(
        async () => {
          const [row] = await database.sql<{ n: number }[]>`
            select count(*)::int as n from executions
            where workflow_id = ${owner.workflowId} and status in ('succeeded', 'failed', 'cancelled')`;
          return row!.n;
        },
        { timeout: 90_000, interval: 200 },
      )
      .toBe(200);

    const runs = await database.sql<{ status: string; run_attempt: number }[]>`
      select status, run_attempt from executions where workflow_id = ${owner.workflowId}`;
    expect(runs.filter((r) => r.status === 'succeeded')).toHaveLength(200);
    // One claim each: no run was picked up twice.
    expect(runs.every((r) => r.run_attempt === 1)).toBe(true);
    // Every step written once, by the first attempt; one provider call per agent step.
    const [steps] = await database.sql<{ n: number; reattempted: number }[]>`
      select count(*)::int as n, count(*) filter (where s.run_attempt <> 1)::int as reattempted
      from execution_steps s join executions e on e.id = s.execution_id where e.workflow_id = ${owner.workflowId}`;
    expect(steps).toEqual({ n: 600, reattempted: 0 });
    const [calls] = await database.sql<{ n: number; runs: number }[]>`
      select count(*)::int as n, count(distinct execution_id)::int as runs from execution_costs
      where workflow_id = ${owner.workflowId}`;
    expect(calls).toEqual({ n: 200, runs: 200 });
    // Each run started once across all runners' logs, and the work was shared.
    const starts = ids.map((id) => startedLogs(id).length);
    expect(starts.every((n) => n === 1)).toBe(true);
    const perRunner = runners.map(
      (runner) => runner.logs.filter((line) => line.msg === 'run started').length,
    );
    expect(perRunner.reduce((a, b) => a + b, 0)).toBe(200);
  }, 120_000);

  it('resumes a run whose runner was killed mid-step on another runner, without repeating finished steps', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['echo', 'delay:4000']));
    const { id } = await startRun(database.db, jobs.sender, owner);
    await waitForStepStatus(owner.ownerId, id, 'a2', 'running');
    const victim = await holderOf(id);
    victim.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    // The job comes back once its heartbeat lapses (10 s) and another runner claims attempt 2.
    const run = await waitForRun(database.db, owner, id, ['succeeded', 'failed', 'cancelled'], 60_000);
    expect(run.status).toBe('succeeded');
    expect(run.runAttempt).toBe(2);
    expect(Object.fromEntries(run.steps.map((s) => [s.nodeId, s.runAttempt]))).toEqual({
      input: 1,
      a1: 1,
      a2: 2,
      output: 2,
    });
    // a1's provider call happened once; a2's only in the attempt that finished it.
    expect(run.steps.find((s) => s.nodeId === 'a1')!.attempts).toHaveLength(1);
    expect(run.steps.find((s) => s.nodeId === 'a2')!.attempts).toHaveLength(1);
    const resumed = startedLogs(id).filter((line) => line.runAttempt === 2);
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.pid).not.toBe(victim.pid);
    expect(resumed[0]!.priorSteps).toBe(2);
  }, 90_000);

  it('drains the run in flight on SIGTERM, finishing it before the process exits', async () => {
    const owner = await ownerWithWorkflow(database.db, agentChain(['delay:1500']));
    const { id } = await startRun(database.db, jobs.sender, owner);
    await waitForStepStatus(owner.ownerId, id, 'a1', 'running');
    const draining = await holderOf(id);
    draining.kill('SIGTERM');
    expect(await draining.exited).toEqual({ code: 0, signal: null });

    // By the time the process is gone, its run is done — by it, in its first attempt.
    const run = await getExecution(database.db, owner.ownerId, id);
    expect(run).toMatchObject({ status: 'succeeded', runAttempt: 1 });
    expect(run.steps.every((s) => s.runAttempt === 1)).toBe(true);
    expect(draining.logs.some((line) => line.msg === 'run finished' && line.executionId === id)).toBe(true);
  }, 60_000);
});
