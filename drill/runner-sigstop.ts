/**
 * SIGSTOP a runner holding runs (a frozen VM, a GC pause, a stalled host) for longer than its queue
 * heartbeat. Another runner takes the runs over and finishes them; on SIGCONT the stale runner
 * wakes up mid-step, and its writes — fenced by `run_attempt` — change nothing.
 */
import type { TestDatabase } from '@swarm/db/testing';
import { killRunners, type RunnerProcess, spawnRunner } from '../apps/runner/test/runner-process.ts';
import {
  agentChain,
  auditRuns,
  Checks,
  checkAudit,
  type Drill,
  finishedCount,
  ownerWithWorkflow,
  scratchDatabase,
  sleep,
  startRuns,
  waitUntil,
} from './lib.ts';

/** Everything a stale write could touch, as one comparable string per run. */
async function snapshot(database: TestDatabase, ids: string[]) {
  const rows = await database.sql<{ id: string; state: string }[]>`
    select e.id,
      concat_ws('|', e.status, e.run_attempt, e.finished_at, e.event_seq, e.output::text, e.error,
        (select string_agg(concat_ws(':', s.id, s.node_id, s.status, s.run_attempt, s.finished_at, s.output::text), ',' order by s.node_id)
         from execution_steps s where s.execution_id = e.id),
        (select count(*) from execution_costs c where c.execution_id = e.id)) as state
    from executions e where e.id in ${database.sql(ids)}`;
  return new Map(rows.map((r) => [r.id, r.state]));
}

export const runnerSigstop: Drill<{ runs: number; stepMs: number }> = {
  name: 'runner-sigstop',
  proves:
    'a runner frozen past its claim is fenced off: its runs finish once elsewhere, its late writes change nothing',
  size: { runs: 16, stepMs: 3000 },
  async run({ runs, stepMs }) {
    const database = await scratchDatabase();
    let runners: RunnerProcess[] = [];
    try {
      // Supervision every second, so the takeover comes right after the 10 s heartbeat lapses.
      runners = await Promise.all(
        [1, 2].map(() => spawnRunner(database.url, { RUNNER_SUPERVISE_SECONDS: '1' })),
      );
      const owner = await ownerWithWorkflow(database.db, agentChain([`delay:${stepMs}`]));
      const checks = new Checks();
      await startRuns(database, owner, runs);

      // Freeze the first runner once it holds runs whose agent step is under way.
      const victim = runners[0]!;
      const startedByVictim = () =>
        victim.logs.filter((l) => l.msg === 'run started').map((l) => l.executionId as string);
      await waitUntil(() => startedByVictim().length > 0, 30_000, 20);
      await waitUntil(
        async () => {
          const [row] = await database.sql<{ n: number }[]>`
          select count(*)::int as n from execution_steps
          where execution_id in ${database.sql(startedByVictim())} and node_id = 'a1' and status = 'running'`;
          return row!.n > 0;
        },
        30_000,
        20,
      );
      victim.kill('SIGSTOP');
      const held = startedByVictim().filter(
        (id) => !victim.logs.some((l) => l.msg === 'run finished' && l.executionId === id),
      );
      checks.check(held.length > 0, 'the frozen runner held no run');

      // The other runner takes over and finishes everything while the victim stays frozen.
      const allDone = await waitUntil(
        async () => (await finishedCount(database, owner.workflowId)) === runs,
        90_000,
        200,
      );
      checks.check(allDone, 'not every run ended while the runner was frozen');
      const before = await snapshot(database, held);

      // Wake it: it finishes its step mid-air and tries to write; the fence refuses.
      victim.kill('SIGCONT');
      const heard = await waitUntil(
        () =>
          held.every((id) =>
            victim.logs.some(
              (l) =>
                l.executionId === id &&
                (l.msg === 'run claimed again elsewhere; this runner stopped without writing' ||
                  l.msg === 'run finished'),
            ),
          ),
        20_000,
        100,
      );
      // Whatever it logs, give it a moment more to attempt anything else before comparing.
      await sleep(1000);
      const after = await snapshot(database, held);
      const changed = held.filter((id) => before.get(id) !== after.get(id));
      checks.check(
        changed.length === 0,
        `runs changed by the stale runner after SIGCONT: ${changed.join(', ')}`,
      );
      const finishedByVictim = held.filter((id) =>
        victim.logs.some((l) => l.msg === 'run finished' && l.executionId === id),
      );
      checks.check(
        finishedByVictim.length === 0,
        `the stale runner reported finishing ${finishedByVictim.length} taken-over runs`,
      );
      const fencedLogs = victim.logs.filter(
        (l) =>
          held.includes(l.executionId as string) &&
          l.msg === 'run claimed again elsewhere; this runner stopped without writing',
      ).length;
      checks.check(heard, `the stale runner logged the fence for ${fencedLogs} of ${held.length} held runs`);

      const audit = await auditRuns(database, owner);
      checkAudit(checks, audit, runs);
      const takenOver = await database.sql<{ n: number }[]>`
        select count(*)::int as n from executions where id in ${database.sql(held)} and run_attempt = 2`;
      checks.check(
        takenOver[0]!.n === held.length,
        `${takenOver[0]!.n} of ${held.length} held runs finished in attempt 2`,
      );
      checks.check(victim.child.exitCode === null, 'the stale runner crashed instead of carrying on');

      return {
        figures: `${runs} runs; froze a runner holding ${held.length}; ${audit.succeeded} succeeded, ${takenOver[0]!.n} taken over, ${fencedLogs} stale writes fenced, ${changed.length} rows changed after SIGCONT`,
        failures: checks.failures,
      };
    } finally {
      for (const runner of runners) runner.kill('SIGCONT');
      await killRunners(runners);
      await database.drop();
    }
  },
};
