/**
 * SIGTERM a runner with runs in flight (a deploy, a scale-down): it takes no new work, finishes
 * what it holds in its first attempt, then exits 0; the other runner does the rest.
 */
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import {
  agentChain,
  Checks,
  checkAllEnded,
  type Drill,
  ownerWithWorkflow,
  scratchDatabase,
  startRuns,
  waitUntil,
} from './lib.ts';

export const sigtermDrain: Drill<{ runs: number; stepMs: number }> = {
  name: 'sigterm-drain',
  proves: 'SIGTERM drains: runs in flight finish on the same runner before it exits 0, none abandoned',
  size: { runs: 40, stepMs: 1500 },
  async run({ runs, stepMs }) {
    const database = await scratchDatabase();
    let runners: RunnerProcess[] = [];
    try {
      runners = await Promise.all([1, 2].map(() => spawnRunner(database.url)));
      const owner = await ownerWithWorkflow(database.db, agentChain([`delay:${stepMs}`]));
      const checks = new Checks();
      await startRuns(database, owner, runs);

      const draining = runners[0]!;
      const started = () =>
        draining.logs.filter((l) => l.msg === 'run started').map((l) => l.executionId as string);
      const finished = (id: string) =>
        draining.logs.some((l) => l.msg === 'run finished' && l.executionId === id);
      await waitUntil(() => started().filter((id) => !finished(id)).length >= 3, 30_000, 20);
      const inFlight = started().filter((id) => !finished(id));
      draining.kill('SIGTERM');
      const exit = await draining.exited;
      checks.check(
        exit.code === 0 && exit.signal === null,
        `the runner exited with ${exit.signal ?? exit.code}, not 0`,
      );

      // At the moment it is gone, everything it held is done — by it, in attempt 1.
      const held = await database.sql<{ id: string; status: string; run_attempt: number }[]>`
        select id, status, run_attempt from executions where id in ${database.sql(inFlight)}`;
      const unfinished = held.filter((r) => r.status !== 'succeeded' || r.run_attempt !== 1);
      checks.check(
        unfinished.length === 0,
        `runs in flight at SIGTERM not finished by the draining runner: ${unfinished.map((r) => `${r.id} ${r.status} attempt ${r.run_attempt}`).join(', ')}`,
      );
      const notLogged = inFlight.filter((id) => !finished(id));
      checks.check(
        notLogged.length === 0,
        `${notLogged.length} in-flight runs without a 'run finished' line`,
      );

      const audit = await checkAllEnded(checks, database, owner, runs, {
        timeoutMs: 90_000,
        late: 'after the drain',
      });
      checks.check(
        audit.resumed === 0,
        `${audit.resumed} runs needed a second attempt (abandoned by the drain)`,
      );
      return {
        figures: `${runs} runs; SIGTERM with ${inFlight.length} in flight → exit ${exit.code}; ${inFlight.length - unfinished.length} finished by it; ${audit.succeeded} succeeded, ${audit.resumed} resumed`,
        failures: checks.failures,
      };
    } finally {
      await killRunners(runners);
      await database.drop();
    }
  },
};
