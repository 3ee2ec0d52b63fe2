/**
 * SIGKILL one of three runners while it holds runs mid-flight. Its runs come back after the queue
 * heartbeat lapses and resume on the others from their last finished step.
 */
import type { TestDatabase } from '@swarm/db/testing';
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import {
  agentChain,
  Checks,
  checkAllEnded,
  type Drill,
  finishedCount,
  ownerWithWorkflow,
  scratchDatabase,
  startRuns,
  waitUntil,
} from './lib.ts';

async function finishedSteps(database: TestDatabase, executionIds: unknown[]) {
  if (executionIds.length === 0) return [];
  return database.sql<
    { id: string; execution_id: string; node_id: string; run_attempt: number; finished_at: string }[]
  >`select id, execution_id, node_id, run_attempt, finished_at::text from execution_steps
    where execution_id in ${database.sql(executionIds as string[])} and status = 'succeeded'`;
}

export const runnerSigkill: Drill<{ runs: number; runners: number }> = {
  name: 'runner-sigkill',
  proves:
    'a runner killed mid-run loses no run, executes none twice, repeats no finished step or provider call',
  size: { runs: 500, runners: 3 },
  async run({ runs, runners: runnerCount }) {
    const database = await scratchDatabase();
    let runners: RunnerProcess[] = [];
    try {
      runners = await Promise.all(Array.from({ length: runnerCount }, () => spawnRunner(database.url)));
      const owner = await ownerWithWorkflow(database.db, agentChain(['delay:50', 'delay:50']));
      const ids = await startRuns(database, owner, runs);
      const checks = new Checks();

      // Midway: half the runs done; the victim is whoever holds the most runs right now.
      await waitUntil(async () => (await finishedCount(database, owner.workflowId)) >= runs / 2, 120_000, 50);
      const inFlight = (runner: RunnerProcess) => {
        const started = new Set(runner.logs.filter((l) => l.msg === 'run started').map((l) => l.executionId));
        for (const line of runner.logs) if (line.msg === 'run finished') started.delete(line.executionId);
        return [...started];
      };
      const victim = runners.reduce((a, b) => (inFlight(b).length > inFlight(a).length ? b : a));
      const held = inFlight(victim);
      const doneAtKill = await finishedCount(database, owner.workflowId);
      // Steps the victim had finished (a subset, taken just before the kill): they must survive as is.
      const finishedBefore = await finishedSteps(database, held);
      victim.kill('SIGKILL');
      const { signal } = await victim.exited;
      checks.check(signal === 'SIGKILL', `victim exited with ${signal}, not SIGKILL`);
      checks.check(held.length > 0, 'the victim held no run when killed (nothing was mid-flight)');

      const audit = await checkAllEnded(checks, database, owner, runs, {
        timeoutMs: 120_000,
        late: 'within 120 s of the kill',
      });

      // Finished steps of the killed attempt were kept, not redone: same row, attempt, finish time.
      const finishedAfter = new Map(
        (await finishedSteps(database, held)).map((s) => [s.id, `${s.run_attempt}@${s.finished_at}`]),
      );
      const redone = finishedBefore.filter(
        (s) => finishedAfter.get(s.id) !== `${s.run_attempt}@${s.finished_at}`,
      );
      checks.check(
        redone.length === 0,
        `finished steps rewritten after the kill: ${redone.map((s) => `${s.execution_id}/${s.node_id}`).join(', ')}`,
      );
      // Each run was started at most once per attempt across the surviving runners' logs.
      const startsBySurvivors = new Map<string, number>();
      for (const runner of runners.filter((r) => r !== victim))
        for (const line of runner.logs)
          if (line.msg === 'run started') {
            const key = `${line.executionId}#${line.runAttempt}`;
            startsBySurvivors.set(key, (startsBySurvivors.get(key) ?? 0) + 1);
          }
      const twice = [...startsBySurvivors].filter(([, n]) => n > 1);
      checks.check(twice.length === 0, `attempts started twice: ${twice.map(([k]) => k).join(', ')}`);
      checks.check(ids.length === runs, `created ${ids.length} of ${runs} runs`);

      return {
        figures: `${runs} runs on ${runnerCount} runners; killed pid ${victim.pid} at ${doneAtKill} done holding ${held.length} (${finishedBefore.length} finished steps kept); ${audit.succeeded} succeeded, ${audit.resumed} resumed, ${runs - audit.succeeded} lost`,
        failures: checks.failures,
      };
    } finally {
      await killRunners(runners);
      await database.drop();
    }
  },
};
