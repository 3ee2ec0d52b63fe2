/**
 * SIGSTOP a runner holding runs (a frozen VM, a GC pause, a stalled host) for longer than its queue
 * heartbeat. Another runner takes the runs over and finishes them; on SIGCONT the stale runner
 * wakes up mid-step, and its writes — fenced by `run_attempt` — change nothing.
 */
import type { TestDatabase } from '@swarm/db/testing';
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import {
  agentChain,
  Checks,
  checkAllEnded,
  type Drill,
  finishedCount,
  formatLockWaits,
  lockWaits,
  ownerWithWorkflow,
  type SessionRow,
  scratchDatabase,
  sleep,
  startRuns,
  waitUntil,
} from './lib.ts';

const errorMessage = (line: Record<string, unknown>) =>
  (line.err as { message?: string } | undefined)?.message ?? '';

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

/**
 * `settleMs` 0 freezes the runner as soon as it has started a run, while it is still claiming and
 * writing the first steps of the others — most likely inside a write transaction, even in the middle
 * of a statement (postgres.js waits for a new statement's parameter types before sending the rest),
 * the harshest case. Above 0 it first waits until every run it holds sits inside its agent step (no
 * write in flight), then that long.
 */
export const runnerSigstop: Drill<{ runs: number; stepMs: number; settleMs: number }> = {
  name: 'runner-sigstop',
  proves:
    'a runner frozen past its claim is fenced off: its runs finish once elsewhere, its late writes change nothing',
  size: { runs: 16, stepMs: 3000, settleMs: 0 },
  async run({ runs, stepMs, settleMs }) {
    const database = await scratchDatabase();
    let runners: RunnerProcess[] = [];
    try {
      // Supervision every second, so the takeover comes right after the 10 s heartbeat lapses.
      runners = await Promise.all(
        // Half the runs each at most: a runner fetches as many runs as it has free slots, so with
        // more slots one runner could take every run and leave the one to be frozen with none.
        [1, 2].map(() =>
          spawnRunner(database.url, {
            RUNNER_SUPERVISE_SECONDS: '1',
            RUNNER_RUN_CONCURRENCY: String(Math.ceil(runs / 2)),
          }),
        ),
      );
      const owner = await ownerWithWorkflow(database.db, agentChain([`delay:${stepMs}`]));
      const checks = new Checks();
      await startRuns(database, owner, runs);

      const victim = runners[0]!;
      const startedByVictim = () =>
        victim.logs.filter((l) => l.msg === 'run started').map((l) => l.executionId as string);
      await waitUntil(() => startedByVictim().length > 0, 30_000, 5);
      if (settleMs > 0) {
        // Freeze between writes: every run it holds is inside its agent step, no transaction open.
        await waitUntil(
          async () => {
            const [row] = await database.sql<{ n: number }[]>`
            select count(*)::int as n from executions e
            where e.id in ${database.sql(startedByVictim())} and not exists (
              select 1 from execution_steps s where s.execution_id = e.id and s.node_id = 'a1' and s.status = 'running')`;
            return row!.n === 0;
          },
          30_000,
          20,
        );
        await sleep(settleMs);
      }
      victim.kill('SIGSTOP');
      const frozenAt = Date.now();
      const held = startedByVictim().filter(
        (id) => !victim.logs.some((l) => l.msg === 'run finished' && l.executionId === id),
      );
      checks.check(held.length > 0, 'the frozen runner held no run');

      // The other runner takes over and finishes everything while the victim stays frozen. Every
      // couple of seconds, look for a takeover waiting on a lock: the first sighting is kept for the
      // report, and how long the longest wait lasted goes into the figures.
      const lockWatch: { first: { at: string; rows: SessionRow[] } | null; longest: number } = {
        first: null,
        longest: 0,
      };
      let polls = 0;
      const allDone = await waitUntil(
        async () => {
          if (polls++ % 10 === 9) {
            const rows = await lockWaits(database);
            const blocked = rows.filter((r) => r.blocked_by.length > 0);
            if (blocked.length > 0) {
              lockWatch.first ??= { at: new Date().toISOString(), rows };
              for (const r of blocked)
                lockWatch.longest = Math.max(
                  lockWatch.longest,
                  (Date.now() - Date.parse(r.state_change ?? '')) / 1000 || 0,
                );
            }
          }
          return (await finishedCount(database, owner.workflowId)) === runs;
        },
        120_000,
        200,
      );
      const frozenFor = (Date.now() - frozenAt) / 1000;
      const open = await database.sql<{ id: string; status: string; run_attempt: number }[]>`
        select id, status, run_attempt from executions
        where workflow_id = ${owner.workflowId} and status not in ('succeeded', 'failed', 'cancelled')`;
      checks.check(
        allDone,
        `not every run ended within 120 s while the runner was frozen: ${open.map((r) => `${r.id.slice(0, 8)} ${r.status} attempt ${r.run_attempt}${held.includes(r.id) ? ' (held)' : ''}`).join(', ')}`,
      );
      const jobStates = open.length
        ? await database.sql<
            {
              id: string;
              state: string;
              retry_count: number;
              heartbeat_on: string | null;
              started_on: string | null;
            }[]
          >`
            select data->>'executionId' as id, state, retry_count, heartbeat_on::text, started_on::text from pgboss.job
            where name = 'run' and data->>'executionId' in ${database.sql(open.map((r) => r.id))}`
        : [];
      const stillBlocked = open.length ? await lockWaits(database) : [];
      const otherLogs = runners[1]!.logs
        .filter((l) => open.some((r) => r.id === l.executionId))
        .map((l) => `${String(l.executionId).slice(0, 8)} ${l.msg}`);
      // Session names carry the process id (`connectDatabase`): mark the frozen runner's.
      const marked = (text: string) =>
        text
          .replaceAll(`:${victim.pid}]`, `:${victim.pid} FROZEN]`)
          .replaceAll(`:${runners[1]!.pid}]`, `:${runners[1]!.pid} other]`);
      if (open.length)
        checks.check(
          false,
          `queue jobs of the open runs at ${new Date().toISOString()} (frozen at ${new Date(frozenAt).toISOString()}): ${JSON.stringify(jobStates)}; other runner's lines about them: ${otherLogs.join(' | ')}` +
            `\n    sessions now (victim pid ${victim.pid}):\n      ${marked(formatLockWaits(stillBlocked))}` +
            (lockWatch.first
              ? `\n    first lock wait seen at ${lockWatch.first.at}:\n      ${marked(formatLockWaits(lockWatch.first.rows))}`
              : ''),
        );
      // Only runs already finished elsewhere can be compared: anything else may still move legitimately.
      const settled = held.filter((id) => !open.some((r) => r.id === id));
      const before = await snapshot(database, settled);

      // Wake it: it finishes its step mid-air and tries to write, or notices it lost the job; either
      // way it must stop without writing.
      const logsBeforeWake = victim.logs.length;
      victim.kill('SIGCONT');
      const woke = () => victim.logs.slice(logsBeforeWake);
      const fenced = () =>
        woke().filter(
          (l) =>
            held.includes(l.executionId as string) &&
            l.msg === 'run claimed again elsewhere; this runner stopped without writing',
        ).length;
      const interrupted = () =>
        woke().filter(
          (l) =>
            l.msg === 'job failed' &&
            /interrupted/.test((l.err as { message?: string } | undefined)?.message ?? ''),
        ).length;
      // A runner frozen inside a transaction finds its session ended — by the server between statements
      // (idle_in_transaction_session_timeout), by a live runner mid-statement (endStalledSessions): its
      // write fails and is rolled back — also a stop.
      const disconnected = () =>
        woke().filter(
          (l) =>
            l.msg === 'job failed' &&
            /CONNECTION_CLOSED|CONNECTION_ENDED|terminating connection/.test(
              (l.err as { message?: string } | undefined)?.message ?? '',
            ),
        ).length;
      // Which of those sessions the server ended between statements (idle in transaction) and which
      // a live process ended mid-statement (`endStalledSessions`: "administrator command").
      const endedBy = (cause: RegExp) => woke().filter((l) => cause.test(errorMessage(l))).length;
      const heard = await waitUntil(
        () => fenced() + interrupted() + disconnected() >= held.length,
        20_000,
        100,
      );
      // Give it a moment more to attempt anything else before comparing.
      await sleep(1000);
      const after = await snapshot(database, settled);
      const changed = settled.filter((id) => before.get(id) !== after.get(id));
      checks.check(
        changed.length === 0,
        `finished runs changed after the stale runner woke: ${changed.join(', ')}`,
      );
      const finishedByVictim = held.filter((id) =>
        victim.logs.some((l) => l.msg === 'run finished' && l.executionId === id),
      );
      checks.check(
        finishedByVictim.length === 0,
        `the stale runner reported finishing ${finishedByVictim.length} taken-over runs`,
      );
      const afterWake = woke().map(
        (l) =>
          `${l.msg}${l.executionId ? ` ${String(l.executionId).slice(0, 8)}` : ''}${(l.err as { message?: string } | undefined)?.message ? ` (${(l.err as { message: string }).message})` : ''}`,
      );
      checks.check(
        heard,
        `the stale runner stopped ${fenced()} runs at the fence, ${interrupted()} on losing the job and ${disconnected()} on its ended session, of ${held.length} held; after SIGCONT it logged: ${afterWake.join(' | ').slice(0, 800)}`,
      );

      // Runs whose takeover was blocked while it was frozen must still end, once, now.
      const audit = await checkAllEnded(checks, database, owner, runs, {
        timeoutMs: 60_000,
        late: 'within 60 s of SIGCONT',
      });
      const takenOver = await database.sql<{ n: number }[]>`
        select count(*)::int as n from executions where id in ${database.sql(held)} and run_attempt = 2`;
      checks.check(
        takenOver[0]!.n === held.length,
        `${takenOver[0]!.n} of ${held.length} held runs finished in attempt 2`,
      );
      checks.check(victim.child.exitCode === null, 'the stale runner crashed instead of carrying on');

      return {
        figures: `${runs} runs; froze a runner holding ${held.length}; ${audit.succeeded} succeeded, ${takenOver[0]!.n} taken over, all ended ${frozenFor.toFixed(0)} s after the freeze (longest lock wait seen ${lockWatch.longest.toFixed(0)} s); on SIGCONT ${fenced()} stopped at the write fence, ${interrupted()} on losing the job, ${disconnected()} on their ended session (${endedBy(/idle-in-transaction timeout/)} ended idle in a transaction, ${endedBy(/administrator command/)} mid-statement); ${changed.length} rows changed`,
        failures: checks.failures,
      };
    } finally {
      for (const runner of runners) runner.kill('SIGCONT');
      await killRunners(runners);
      await database.drop();
    }
  },
};
