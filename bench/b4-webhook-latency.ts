/**
 * B4 — latency from a webhook call to a `succeeded` run, open loop, at a low and a moderate rate.
 *
 * The API (./api-process.ts) and one runner run as real child processes, exactly as production
 * starts them (production poll, supervision and step-flush settings), on a scratch database. The
 * workflow is input → agent (offline mock provider, `echo`, 0 ms) → output. For each rate in
 * `B4_RATES` (default 10 and 50 per second), calls go out on schedule for `B4_SECONDS` whatever the
 * answers do (open loop), each with its own body; the next rate starts once every run of the
 * previous one has finished. For each call: webhook → succeeded = the run's `finished_at`
 * (database clock, same machine) − the moment the request was sent. Same-run baseline: the 202
 * answer time of the same calls (ingest alone).
 *
 * CPU per run at each rate: CPU time (user + system, /proc/<pid>/stat) the API and runner
 * processes (with their children: expression workers) and the database's Postgres backends
 * (pg_stat_activity pids → /proc) used from the first call to the last run's end, ÷ runs. It
 * includes what those processes spend per second rather than per run (polling, heartbeats,
 * supervision), which is the point at low rates; an idle window before the load measures that part
 * alone (after a warm-up of 500 calls at 50/s). The harness reads the figures on a connection of
 * its own, excluded from the sum.
 */
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import { spawnRunner } from '@swarm/runner/testing';
import postgres from 'postgres';
import { type ApiProcess, spawnApi } from './api-process.ts';
import {
  agentWorkflowDefinition,
  type Benchmark,
  type BenchResult,
  type BenchRow,
  databaseBackendCpuSeconds,
  percentile,
  scratchDatabase,
  signUpBenchUser,
} from './lib.ts';
import { processTreeCpuMs } from './process-cpu.ts';

const RATES = (process.env.B4_RATES ?? process.env.B4_RATE ?? '10,50').split(',').map(Number);
const SECONDS = Number(process.env.B4_SECONDS ?? 20);
const IDLE_SECONDS = 10;
const WARM_UP_CALLS = 500;
/** Low load (≤ 10/s): the peer-comparison bar; above it, the half-of-B3 bar. */
const barFor = (rate: number) => (rate <= 10 ? { p50: 15, p99: 40 } : { p50: 50, p99: 250 });

interface CpuSnapshot {
  apiMs: number;
  runnerMs: number;
  postgresMs: number;
}

async function cpuSnapshot(api: ApiProcess, runnerPid: number, stats: postgres.Sql): Promise<CpuSnapshot> {
  const pgSeconds = await databaseBackendCpuSeconds(stats);
  return {
    apiMs: processTreeCpuMs(api.pid),
    runnerMs: processTreeCpuMs(runnerPid),
    postgresMs: (pgSeconds ?? Number.NaN) * 1000,
  };
}

const cpuDelta = (a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot => ({
  apiMs: b.apiMs - a.apiMs,
  runnerMs: b.runnerMs - a.runnerMs,
  postgresMs: b.postgresMs - a.postgresMs,
});
const cpuTotal = (c: CpuSnapshot) => c.apiMs + c.runnerMs + c.postgresMs;

interface Phase {
  calls: number;
  accepted: number;
  failures: number;
  notSucceeded: number;
  unfinished: number;
  answerMs: number[];
  latencies: number[];
  cpu: CpuSnapshot;
  wallMs: number;
}

/** `total` open-loop calls at `rate`/s; waits until their runs finish (at most 60 s after). */
async function openLoop(
  url: string,
  secret: string,
  rate: number,
  total: number,
  stats: postgres.Sql,
  cpu: () => Promise<CpuSnapshot>,
  tag: string,
): Promise<Phase> {
  const sent = new Map<string, number>();
  const answerMs: number[] = [];
  let failures = 0;
  const calls: Promise<void>[] = [];
  const before = await cpu();
  const wallStart = performance.now();
  const epochAtStart = Date.now();
  for (let i = 0; i < total; i++) {
    const wait = (i * 1000) / rate - (performance.now() - wallStart);
    if (wait > 0) await sleep(wait);
    const body = JSON.stringify({ query: `${tag} call ${i}` });
    const signature = createHmac('sha256', secret).update(body).digest('hex');
    const sentAt = performance.now();
    calls.push(
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
        body,
      })
        .then(async (response) => {
          answerMs.push(performance.now() - sentAt);
          const json = (await response.json()) as { executionId?: string };
          if (response.status !== 202 || !json.executionId) failures++;
          // Wall-clock send time (epoch ms), comparable with the database's finished_at.
          else sent.set(json.executionId, epochAtStart + (sentAt - wallStart));
        })
        .catch(() => {
          failures++;
        }),
    );
  }
  await Promise.all(calls);

  const ids = [...sent.keys()];
  const deadline = Date.now() + 60_000;
  let finished: { id: string; status: string; finished_at: string }[] = [];
  while (Date.now() < deadline) {
    finished = (await stats`
      select id, status, extract(epoch from finished_at) * 1000 as finished_at
      from executions where finished_at is not null and id = any(${ids}::uuid[])`) as unknown as typeof finished;
    if (finished.length >= ids.length) break;
    await sleep(20);
  }
  const after = await cpu();
  const wallMs = performance.now() - wallStart;
  const latencies: number[] = [];
  let notSucceeded = 0;
  for (const row of finished) {
    const at = sent.get(row.id) as number;
    if (row.status !== 'succeeded') notSucceeded++;
    else latencies.push(Number(row.finished_at) - at);
  }
  latencies.sort((a, b) => a - b);
  answerMs.sort((a, b) => a - b);
  return {
    calls: total,
    accepted: sent.size,
    failures,
    notSucceeded,
    unfinished: sent.size - finished.length,
    answerMs,
    latencies,
    cpu: cpuDelta(before, after),
    wallMs,
  };
}

const latencyRow = (
  name: string,
  values: number[],
  base: Omit<BenchRow, 'name' | 'p50Ms' | 'p95Ms' | 'samples'>,
) => ({
  name,
  ...base,
  samples: values.length,
  p50Ms: percentile(values, 50),
  p95Ms: percentile(values, 95),
  p99Ms: percentile(values, 99),
});

const fmtCpu = (c: CpuSnapshot, per: number) =>
  `${(cpuTotal(c) / per).toFixed(1)} (API ${(c.apiMs / per).toFixed(1)}, runner ${(c.runnerMs / per).toFixed(1)}, Postgres ${(c.postgresMs / per).toFixed(1)})`;

export const b4: Benchmark = {
  id: 'B4',
  title: 'webhook → succeeded latency, open loop at low and moderate rates (input → mock agent → output)',
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = {};
    const { database, postgresVersion } = await scratchDatabase();
    const stats = postgres(database.url, { max: 1, onnotice: () => {} });
    let api: ApiProcess | undefined;
    let runner: Awaited<ReturnType<typeof spawnRunner>> | undefined;
    try {
      versions.postgres = postgresVersion;
      api = await spawnApi(database.url, { env: { SWARM_SECRET_KEY: generateSecretKey() } });
      // Production settings (the test helper's defaults poll and supervise every second).
      runner = await spawnRunner(database.url, { RUNNER_POLL_SECONDS: '2', RUNNER_SUPERVISE_SECONDS: '10' });
      const token = await signUpBenchUser(api.url, 'b4');
      const swarm = createSwarmClient({ url: api.url, token });
      const workflow = await swarm.workflows.create.mutate({
        name: 'B4 latency',
        definition: agentWorkflowDefinition('echo'),
      });
      const webhook = await swarm.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'signature',
        rateLimitPerHour: 1_000_000,
      });
      const url = `${api.url}/webhooks/${webhook.id}`;
      const apiProcess = api;
      const runnerPid = runner.pid;
      const cpu = () => cpuSnapshot(apiProcess, runnerPid, stats);

      // Warm-up (JIT, caches, pools), not reported: long enough that the first rate measured is
      // not the processes' warm-up (with 40 calls, 10/s measured first was ~1.5 ms slower at p50
      // and ~4 CPU-ms per run dearer than 10/s measured after 50/s).
      await openLoop(url, webhook.secret, 50, WARM_UP_CALLS, stats, cpu, 'warm-up');
      // Idle: what the processes cost per second with nothing to do.
      const idleBefore = await cpu();
      await sleep(IDLE_SECONDS * 1000);
      const idle = cpuDelta(idleBefore, await cpu());

      const rows: BenchRow[] = [];
      const notes: string[] = [];
      for (const rate of RATES) {
        const phase = await openLoop(url, webhook.secret, rate, rate * SECONDS, stats, cpu, `${rate}/s`);
        const bar = barFor(rate);
        const ingestName = `webhook 202 answer at ${rate}/s (ingest only)`;
        const p50 = percentile(phase.latencies, 50);
        const p99 = percentile(phase.latencies, 99);
        rows.push(
          latencyRow(ingestName, phase.answerMs, { baseline: null, ratio: null, bar: null, met: null }),
          latencyRow(`webhook → succeeded at ${rate}/s`, phase.latencies, {
            baseline: ingestName,
            ratio: p50 / percentile(phase.answerMs, 50),
            bar: `p50 ≤ ${bar.p50} ms, p99 ≤ ${bar.p99} ms`,
            met: p50 <= bar.p50 && p99 <= bar.p99,
          }),
        );
        notes.push(
          `${rate}/s: ${phase.calls} calls; ${phase.accepted} accepted, ${phase.failures} failed or not 202, ${phase.notSucceeded} runs not succeeded, ${phase.unfinished} unfinished after 60 s`,
          `${rate}/s: CPU ms per run ${fmtCpu(phase.cpu, Math.max(1, phase.accepted))} over ${(phase.wallMs / 1000).toFixed(1)} s (first call to last run finished)`,
        );
      }
      notes.push(
        `idle (${IDLE_SECONDS} s, no calls): CPU ms per second ${fmtCpu(idle, IDLE_SECONDS)}`,
        'send time and finished_at come from the same machine clock (API, runner and Postgres share the box); CPU from /proc/<pid>/stat (API and runner with their child processes; Postgres backends of the scratch database except the harness’s own)',
      );
      return {
        parameters: {
          ratesPerSecond: RATES,
          seconds: SECONDS,
          idleSeconds: IDLE_SECONDS,
          warmUpCalls: WARM_UP_CALLS,
          runners: 1,
          runner: { RUNNER_POLL_SECONDS: 2, RUNNER_SUPERVISE_SECONDS: 10 },
          model: 'mock echo (0 ms)',
        },
        versions,
        rows,
        notes,
      };
    } finally {
      runner?.kill('SIGTERM');
      await runner?.exited;
      await api?.stop().catch(() => {});
      await stats.end({ timeout: 5 });
      await database.drop().catch(() => {});
    }
  },
};
