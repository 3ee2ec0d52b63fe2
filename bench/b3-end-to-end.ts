/**
 * B3 — end to end: runs started through the API and executed by one real runner process.
 *
 * Scratch database; the API and one runner as child processes exactly as production starts them
 * (default settings: `RUNNER_RUN_CONCURRENCY` 32 unless `B3_RUNNER_CONCURRENCY`), so their CPU
 * is theirs alone, not the harness's clients'. The workflow is input → agent (offline mock provider, `echo`, 0 ms) →
 * output. `B3_RUNS` runs (default 5,000) are started with `runs.start`, `B3_STARTERS` (default 20)
 * calls in flight at once.
 *
 * - runs/s: finished runs ÷ (last `finished_at` − first `created_at`), both on the database clock.
 * - ρ_run: that ÷ the raw pg-boss job lifecycle's jobs/s (B1(b): one send, one fetch, one complete per
 *   transaction), measured first on this same database.
 * - Postgres commits per run: `pg_stat_database.xact_commit` delta over the run phase ÷ runs. It
 *   counts every transaction of the database — the API's, the runner's, pg-boss's own (fetch,
 *   complete, heartbeats, supervision) and this harness's polls (subtracted) — read after
 *   Postgres's stats flush, minus the idle rate measured just before (polling, supervision).
 * - CPU ms per run: user + system time over the run phase (first `runs.start` sent → all runs
 *   finished) of the API process, the runner process (with its expression workers) and the
 *   Postgres backends serving them (`application_name` `swarm:<pid>` of either, and
 *   `swarm-runner` for the runner's pg-boss pool), from /proc, ÷ succeeded runs. Backends are
 *   sampled every 200 ms, so one that exits mid-phase still counts (see process-cpu.ts).
 *   The harness's own connection and clients are not counted.
 * - `B3_CPU_PROF=<dir>` starts both processes with `--cpu-prof` into that directory (profiles are
 *   written when they exit at the end).
 * - `B3_PG_STATEMENTS=1` (a server with `pg_stat_statements` in `shared_preload_libraries`, e.g.
 *   a private one given as `DATABASE_URL`) adds the run phase's top statements, per run, to the
 *   notes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createSwarmClient } from '@swarm/client';
import { spawnRunner } from '@swarm/runner/testing';
import postgres from 'postgres';
import { spawnApi } from './api-process.ts';
import { pgBossVersion } from './b1-pgboss-raw.ts';
import {
  agentWorkflowDefinition,
  type Benchmark,
  type BenchResult,
  PG_STATS_FLUSH_MS,
  percentile,
  rateRow,
  scratchDatabase,
  signUpBenchUser,
  startRunsThroughApi,
  waitForFinishedRuns,
  xactCommits,
} from './lib.ts';
import { JOB_LIFECYCLE_ROW, measureJobLifecycle } from './pgboss-lifecycle.ts';
import { backendCpuSampler, processTreeCpuMs } from './process-cpu.ts';

const RUNS = Number(process.env.B3_RUNS ?? 5_000);
const STARTERS = Number(process.env.B3_STARTERS ?? 20);
const RUNNER_CONCURRENCY = process.env.B3_RUNNER_CONCURRENCY;
const CPU_PROF_DIR = process.env.B3_CPU_PROF;
const PG_STATEMENTS = process.env.B3_PG_STATEMENTS === '1';
/** Against B1(b), the raw job lifecycle a run needs at least (create, claim, finish). */
const RHO_BAR = 0.5;
const COMMITS_BAR = 3;
const CPU_BAR_MS = 3;
const RATE_BAR = 200;

export const b3: Benchmark = {
  id: 'B3',
  title: `end to end: ${RUNS} runs of input → mock agent (echo, 0 ms) → output via the API, 1 runner`,
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = { 'pg-boss': pgBossVersion() };
    const { database, postgresVersion } = await scratchDatabase();
    let server: Awaited<ReturnType<typeof spawnApi>> | undefined;
    let runner: Awaited<ReturnType<typeof spawnRunner>> | undefined;
    // The harness's own connection (polls, counters, the CPU sampler): not among the measured.
    const monitor = postgres(database.url, {
      max: 1,
      onnotice: () => {},
      connection: { application_name: 'swarm-bench-monitor' },
    });
    try {
      versions.postgres = postgresVersion;

      // Baseline: the raw pg-boss job lifecycle (B1(b)) on this database, before anything else runs.
      const raw = await measureJobLifecycle(database.url, { countCommits: false });

      const profFlags = CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [];
      server = await spawnApi(database.url, { nodeOptions: profFlags });
      runner = await spawnRunner(database.url, {
        RUNNER_POLL_SECONDS: '2',
        ...(RUNNER_CONCURRENCY ? { RUNNER_RUN_CONCURRENCY: RUNNER_CONCURRENCY } : {}),
        ...(CPU_PROF_DIR ? { NODE_OPTIONS: profFlags.join(' ') } : {}),
      });
      const backends = backendCpuSampler(monitor, [
        `swarm:${server.pid}`,
        `swarm:${runner.pid}`,
        'swarm-runner',
      ]);
      const token = await signUpBenchUser(server.url, 'b3');
      const swarm = createSwarmClient({ url: server.url, token });
      const workflow = await swarm.workflows.create.mutate({
        name: 'B3 end to end',
        definition: agentWorkflowDefinition('echo'),
      });

      // Idle commit rate (runner polling and supervision), which also lets setup's stats flush.
      const idleFrom = await xactCommits(database.sql);
      const idleStart = Date.now();
      await sleep(PG_STATS_FLUSH_MS);
      const before = await xactCommits(database.sql);
      const idlePerMs = (before - idleFrom - 1) / (Date.now() - idleStart);

      if (PG_STATEMENTS) {
        await monitor`create extension if not exists pg_stat_statements`;
        await monitor`select pg_stat_statements_reset()`;
      }
      const readable = await backends.available();
      await backends.start();
      const apiCpuFrom = processTreeCpuMs(server.pid);
      const runnerCpuFrom = processTreeCpuMs(runner.pid);
      const phaseStart = Date.now();
      const started = await startRunsThroughApi(server.url, token, workflow.id, RUNS, STARTERS);
      const accepted = RUNS - started.failures;
      const waited = await waitForFinishedRuns(monitor, accepted, 60_000 + RUNS * 50);
      const apiCpu = processTreeCpuMs(server.pid) - apiCpuFrom;
      const runnerCpu = processTreeCpuMs(runner.pid) - runnerCpuFrom;
      const pgCpu = await backends.stop();
      const statements = PG_STATEMENTS ? await topStatements(monitor) : [];
      const [span] = (await database.sql`
        select extract(epoch from min(created_at)) * 1000 as first_created,
          extract(epoch from max(finished_at)) * 1000 as last_finished,
          count(*) filter (where status = 'succeeded')::int as succeeded,
          count(*) filter (where run_attempt > 1)::int as reclaimed
        from executions`) as unknown as [
        { first_created: string; last_finished: string; succeeded: number; reclaimed: number },
      ];
      const latencies = (await database.sql`
        select extract(epoch from finished_at - created_at) * 1000 as ms
        from executions where status = 'succeeded' order by 1`) as unknown as { ms: string }[];
      const phaseEnd = Date.now();
      await sleep(PG_STATS_FLUSH_MS);
      const after = await xactCommits(database.sql);
      const flushWaitMs = Date.now() - phaseEnd;
      // Harness transactions in the window: the polls, the two reads above, and this read.
      const harness = waited.polls + 3;
      const idleDuringFlush = idlePerMs * flushWaitMs;
      const commits = after - before - harness - idleDuringFlush;
      const commitsPerRun = commits / Math.max(1, span.succeeded);

      const spanMs = Number(span.last_finished) - Number(span.first_created);
      const runsPerSecond = (span.succeeded / spanMs) * 1000;
      const rho = runsPerSecond / raw.jobsPerSecond;
      const e2e = latencies.map((r) => Number(r.ms));
      const answers = [...started.answerMs].sort((a, b) => a - b);
      const rawName = JOB_LIFECYCLE_ROW;
      const runsDone = Math.max(1, span.succeeded);
      const cpuPerRun = {
        api: apiCpu / runsDone,
        runner: runnerCpu / runsDone,
        postgres: readable ? pgCpu.ms / runsDone : Number.NaN,
      };
      const cpuTotal = cpuPerRun.api + cpuPerRun.runner + cpuPerRun.postgres;
      return {
        parameters: {
          runs: RUNS,
          starters: STARTERS,
          runners: 1,
          runnerRunConcurrency: RUNNER_CONCURRENCY ? Number(RUNNER_CONCURRENCY) : 'default (8)',
          model: 'mock echo (0 ms)',
          rawPgBoss: { jobs: raw.jobs, ...raw.settings },
        },
        versions,
        rows: [
          rateRow(
            rawName,
            { perSecond: raw.jobsPerSecond, p50Ms: Number.NaN, p99Ms: Number.NaN, samples: raw.completed },
            null,
          ),
          rateRow(
            'runs.start answered (API, per call)',
            {
              perSecond: (answers.length / started.wallMs) * 1000,
              p50Ms: percentile(answers, 50),
              p95Ms: percentile(answers, 95),
              p99Ms: percentile(answers, 99),
              samples: answers.length,
            },
            null,
          ),
          rateRow(
            'runs started → succeeded (ρ_run; latency = created → finished)',
            {
              perSecond: runsPerSecond,
              p50Ms: percentile(e2e, 50),
              p95Ms: percentile(e2e, 95),
              p99Ms: percentile(e2e, 99),
              samples: span.succeeded,
            },
            { name: rawName, perSecond: raw.jobsPerSecond },
            {
              text: `ρ_run ≥ ${RHO_BAR}; ≥ ${RATE_BAR} runs/s`,
              met: rho >= RHO_BAR && runsPerSecond >= RATE_BAR,
            },
          ),
          {
            name: `Postgres commits per run = ${commitsPerRun.toFixed(2)}`,
            samples: span.succeeded,
            p50Ms: Number.NaN,
            p95Ms: Number.NaN,
            baseline: null,
            ratio: null,
            bar: `≤ ${COMMITS_BAR} commits per run`,
            met: commitsPerRun <= COMMITS_BAR,
          },
          {
            name: `CPU ms per run = ${cpuTotal.toFixed(2)} (API ${cpuPerRun.api.toFixed(2)} + runner ${cpuPerRun.runner.toFixed(2)} + Postgres ${cpuPerRun.postgres.toFixed(2)})`,
            samples: span.succeeded,
            p50Ms: Number.NaN,
            p95Ms: Number.NaN,
            baseline: null,
            ratio: null,
            bar: `≤ ${CPU_BAR_MS} CPU-ms per run`,
            met: Number.isFinite(cpuTotal) ? cpuTotal <= CPU_BAR_MS : null,
          },
        ],
        notes: [
          `ρ_run = ${rho.toFixed(3)} (${runsPerSecond.toFixed(1)} runs/s ÷ ${raw.jobsPerSecond.toFixed(0)} raw jobs/s); ${span.succeeded} succeeded of ${RUNS} started (${started.failures} start calls failed${started.firstError ? `: ${started.firstError}` : ''}; ${waited.failed} runs failed, ${waited.unfinished} unfinished at the end; ${span.reclaimed} claimed more than once); span ${spanMs.toFixed(0)} ms on the database clock, phase wall ${phaseEnd - phaseStart} ms`,
          `commits per run = ${commitsPerRun.toFixed(2)}: xact_commit delta ${after - before} − ${harness} harness transactions − ${idleDuringFlush.toFixed(0)} idle (${(idlePerMs * 1000).toFixed(1)}/s × ${flushWaitMs} ms stats-flush wait); includes the API's, the runner's and pg-boss's own commits (job insert, fetch, complete, heartbeats, supervision)`,
          ...statements.map(
            (st) =>
              `statement: ${(st.calls / Math.max(1, span.succeeded)).toFixed(2)} calls/run, ${((st.ms * 1000) / Math.max(1, span.succeeded)).toFixed(0)} µs exec/run, ${st.rows} rows — ${st.query}`,
          ),
          `CPU over the run phase (${phaseEnd - phaseStart} ms wall): API ${apiCpu.toFixed(0)} ms, runner ${runnerCpu.toFixed(0)} ms, Postgres ${readable ? `${pgCpu.ms.toFixed(0)} ms over ${pgCpu.backends} backends (${pgCpu.exited} exited mid-phase, counted to their last 200 ms sample)` : 'not readable (server not on this machine)'}; ÷ ${span.succeeded} runs`,
        ],
      };
    } finally {
      runner?.kill('SIGTERM');
      await runner?.exited;
      await server?.stop().catch(() => {});
      await monitor.end({ timeout: 5 });
      await database.drop().catch(() => {});
    }
  },
};

/** The run phase's statements by total execution time (pg_stat_statements; the harness's excluded). */
async function topStatements(sql: postgres.Sql) {
  const rows = (await sql`
    select calls::int, total_exec_time as ms, rows::int, left(regexp_replace(query, '\s+', ' ', 'g'), 160) as query
    from pg_stat_statements
    where dbid = (select oid from pg_database where datname = current_database())
      and query not like '%pg_stat_%'
    order by total_exec_time desc limit 25`) as unknown as {
    calls: number;
    ms: number;
    rows: number;
    query: string;
  }[];
  return rows;
}
