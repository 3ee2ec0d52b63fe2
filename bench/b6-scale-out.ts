/**
 * B6 — scale-out: the same work on 1, 2 and 4 runner processes with the same total concurrency
 * budget (`RUNNER_RUN_CONCURRENCY` = `B6_BUDGET` ÷ n each, default 16), mock delay 50 ms.
 *
 * Each phase has its own scratch database and API (in this process). `B6_RUNS` runs (default 600)
 * of input → agent (mock, `delay:50`) → output are started through the API *before* any runner
 * is up (a backlog, so ingest does not limit the runners); then the n runners are spawned
 * together. Runners boot at slightly different moments, so throughput is measured from the moment
 * the last of them logged "runner started" (its log timestamp; same clock as the database):
 * R(n) = runs finished after that ÷ (last `finished_at` − that moment).
 *
 * - duplicates: runs that more than one "run started" log line announced (across all runners), and
 *   runs whose `run_attempt` > 1 (claimed more than once);
 * - losses: runs started through the API that did not end `succeeded`;
 * - DB CPU: user + system CPU seconds of this database's Postgres backends (from /proc), read
 *   after the backlog was loaded and again before the runners stop; backends that closed in
 *   between are missed (the pools keep theirs open, so few are).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import { createTestDatabase, findTestServer, prepareTestTemplate } from '@swarm/db/testing';
import { type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import {
  agentWorkflowDefinition,
  type Benchmark,
  type BenchResult,
  type BenchRow,
  databaseBackendCpuSeconds,
  percentile,
  rateRow,
  repoRoot,
  signUpBenchUser,
  startRunsThroughApi,
  waitForFinishedRuns,
} from './lib.ts';

const RUNS = Number(process.env.B6_RUNS ?? 600);
const BUDGET = Number(process.env.B6_BUDGET ?? 16);
const RUNNER_COUNTS = (process.env.B6_RUNNERS ?? '1,2,4').split(',').map(Number);
const DELAY_MS = 50;
const STARTERS = 20;

interface Phase {
  runners: number;
  concurrencyEach: number;
  perSecond: number;
  windowMs: number;
  inWindow: number;
  succeeded: number;
  losses: number;
  duplicateStarts: number;
  reclaimed: number;
  startFailures: number;
  dbCpuSeconds: number | null;
  bootSpreadMs: number;
  perRunner: number[];
  latencyMs: { p50: number; p95: number; p99: number };
}

async function phase(n: number, versions: Record<string, string>): Promise<Phase> {
  const pg = await findTestServer(repoRoot);
  const template = await prepareTestTemplate(pg.adminUrl);
  const database = await createTestDatabase(pg.adminUrl, template);
  let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
  const runners: RunnerProcess[] = [];
  try {
    const [{ server_version }] = (await database.sql`show server_version`) as unknown as [
      { server_version: string },
    ];
    versions.postgres = server_version;
    server = await startApiServer({ databaseUrl: database.url, logLevel: 'silent' });
    const token = await signUpBenchUser(server.url, `b6-${n}`);
    const swarm = createSwarmClient({ url: server.url, token });
    const workflow = await swarm.workflows.create.mutate({
      name: `B6 scale-out ×${n}`,
      definition: agentWorkflowDefinition(`delay:${DELAY_MS}`),
    });
    const started = await startRunsThroughApi(server.url, token, workflow.id, RUNS, STARTERS);
    const accepted = RUNS - started.failures;

    const cpuBefore = await databaseBackendCpuSeconds(database.sql);
    const concurrencyEach = Math.max(1, Math.floor(BUDGET / n));
    runners.push(
      ...(await Promise.all(
        Array.from({ length: n }, () =>
          spawnRunner(database.url, {
            RUNNER_POLL_SECONDS: '2',
            RUNNER_RUN_CONCURRENCY: String(concurrencyEach),
          }),
        ),
      )),
    );
    const upTimes = runners.map((r) => {
      const line = r.logs.find((l) => l.msg === 'runner started');
      return Number(line?.time);
    });
    const allUp = Math.max(...upTimes);
    const bootSpreadMs = allUp - Math.min(...upTimes);

    await waitForFinishedRuns(database.sql, accepted, 60_000 + RUNS * 100);
    // Backends of the runners are counted before the runners stop (and their connections close).
    const cpuAfter = await databaseBackendCpuSeconds(database.sql);
    const [span] = (await database.sql`
      select extract(epoch from max(finished_at)) * 1000 as last_finished,
        count(*) filter (where status = 'succeeded' and finished_at > to_timestamp(${allUp / 1000}))::int as in_window,
        count(*) filter (where status = 'succeeded')::int as succeeded,
        count(*) filter (where run_attempt > 1)::int as reclaimed
      from executions`) as unknown as [
      { last_finished: string; in_window: number; succeeded: number; reclaimed: number },
    ];
    const latencies = (
      (await database.sql`
        select extract(epoch from finished_at - started_at) * 1000 as ms
        from executions where status = 'succeeded'`) as unknown as { ms: string }[]
    )
      .map((r) => Number(r.ms))
      .sort((a, b) => a - b);

    const startsPerRun = new Map<string, number>();
    const perRunner = runners.map((r) => {
      const lines = r.logs.filter((l) => l.msg === 'run started' && typeof l.executionId === 'string');
      for (const l of lines) startsPerRun.set(l.executionId!, (startsPerRun.get(l.executionId!) ?? 0) + 1);
      return lines.length;
    });
    const windowMs = Number(span.last_finished) - allUp;
    return {
      runners: n,
      concurrencyEach,
      perSecond: (span.in_window / windowMs) * 1000,
      windowMs,
      inWindow: span.in_window,
      succeeded: span.succeeded,
      losses: RUNS - span.succeeded,
      duplicateStarts: [...startsPerRun.values()].filter((c) => c > 1).length,
      reclaimed: span.reclaimed,
      startFailures: started.failures,
      dbCpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
      bootSpreadMs,
      perRunner,
      latencyMs: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
      },
    };
  } finally {
    for (const runner of runners) runner.kill('SIGTERM');
    await Promise.all(runners.map((r) => r.exited));
    await server?.close().catch(() => {});
    await database.drop().catch(() => {});
  }
}

export const b6: Benchmark = {
  id: 'B6',
  title: `scale-out: ${RUNNER_COUNTS.join(', ')} runners, total concurrency ${BUDGET}, mock delay ${DELAY_MS} ms, ${RUNS} runs`,
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = {};
    const phases: Phase[] = [];
    for (const n of RUNNER_COUNTS) {
      phases.push(await phase(n, versions));
      await sleep(1_000);
    }
    const one = phases.find((p) => p.runners === 1) ?? phases[0]!;
    const baselineName = `R(${one.runners}): ${one.runners} runner × ${one.concurrencyEach}`;
    const rows: BenchRow[] = phases.map((p) => {
      const efficiency = p.perSecond / (p.runners * one.perSecond);
      const dbCpu =
        p.dbCpuSeconds === null
          ? 'DB CPU n/a'
          : `DB CPU ${p.dbCpuSeconds.toFixed(1)} s (${((p.dbCpuSeconds / (p.windowMs / 1000)) * 100).toFixed(0)}% of a core over the window)`;
      const clean = p.duplicateStarts === 0 && p.reclaimed === 0 && p.losses === 0;
      return rateRow(
        p === one
          ? baselineName
          : `R(${p.runners}): ${p.runners} runners × ${p.concurrencyEach}; efficiency R(n)/(n·R(1)) = ${efficiency.toFixed(2)}; ${dbCpu}`,
        {
          perSecond: p.perSecond,
          p50Ms: p.latencyMs.p50,
          p95Ms: p.latencyMs.p95,
          p99Ms: p.latencyMs.p99,
          samples: p.inWindow,
        },
        p === one ? null : { name: baselineName, perSecond: one.perSecond },
        {
          text: `0 duplicates, 0 losses (${p.duplicateStarts} dup, ${p.reclaimed} reclaimed, ${p.losses} lost)`,
          met: clean,
        },
      );
    });
    return {
      parameters: {
        runs: RUNS,
        totalConcurrency: BUDGET,
        runnerCounts: RUNNER_COUNTS,
        model: `mock delay:${DELAY_MS}`,
        starters: STARTERS,
        backlog: 'all runs started through the API before the runners were spawned',
      },
      versions,
      rows,
      notes: [
        'ratio = R(n)/R(1) at the same total concurrency (ideal: 1.0); the efficiency R(n)/(n·R(1)) of docs/benchmarks.md is in each row name (ideal at a fixed budget: 1/n); latency columns = claim → finish of each run',
        ...phases.map(
          (p) =>
            `n=${p.runners}: ${p.perSecond.toFixed(1)} runs/s over ${p.windowMs.toFixed(0)} ms after the last runner was up (boot spread ${p.bootSpreadMs} ms; ${p.inWindow} runs in the window); runs per runner ${p.perRunner.join('/')}; succeeded ${p.succeeded}/${RUNS} (${p.startFailures} start calls failed); duplicate starts ${p.duplicateStarts}; run_attempt > 1: ${p.reclaimed}; DB backend CPU ${p.dbCpuSeconds === null ? 'not readable' : `${p.dbCpuSeconds.toFixed(2)} s`}`,
        ),
      ],
    };
  },
};
