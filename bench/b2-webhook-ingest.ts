/**
 * B2 — webhook ingest: does SWARM's signed webhook route beat the naive minimum?
 *
 * Same run, same scratch database, same load — autocannon, 50 connections, no pipelining,
 * `B2_SECONDS` each:
 * - `R_min` (the baseline): ./minimal-ingest-route.ts, a Fastify route that inserts one run row
 *   into the real `executions` table and sends one job to the real `run` queue in ONE transaction
 *   per call, over a pool as large as the API's;
 * - `R_ingest`: `POST /webhooks/:id` with an `x-webhook-signature` — verify, rate-limit, log,
 *   execution row and run job in one transaction shared with the calls that arrived meanwhile
 *   (group commit), 202. Reported as `R_ingest / R_min` (bar ≥ 1.0);
 * - `R_http`: a Fastify hello route, for context;
 * - then both routes again at half of the measured `R_ingest`, paced evenly (./paced-load.ts: call
 *   `i` due at `i / rate` s, latency from when it was due, after a warm-up at that pace that is not
 *   counted), for their p99 (bar ≤ 20 ms for the webhook) — and, for the webhook, the CPU per
 *   call of the API process and of its Postgres backends (./process-cpu.ts) and the API's garbage
 *   collection (`--trace-gc-nvp`, ./gc-trace.ts) over that phase.
 * No runner runs, so no work competes with ingest (and no run row is written after its insert:
 * their distinct `xmin`s count the transactions that made them); the queued runs are dropped with
 * the scratch database.
 */
import { createHmac } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import type postgres from 'postgres';
import { spawnApi } from './api-process.ts';
import { formatGcSummary, parseGcTrace, summariseGc } from './gc-trace.ts';
import { type Benchmark, type BenchResult, rateRow, scratchDatabase } from './lib.ts';
import { spawnMinimalIngestRoute } from './minimal-ingest-route.ts';
import { pacedLoad } from './paced-load.ts';
import { backendCpuSampler, processTreeCpuMs } from './process-cpu.ts';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.B2_SECONDS ?? 10);
/** Database connections of the API and of `R_min` alike (the API's production default). */
const POOL = Number(process.env.B2_POOL ?? 10);
const P99_BAR_MS = 20;
/** `B2_CPU_PROF=<dir>`: the API runs with `--cpu-prof` into that directory (written when it exits). */
const CPU_PROF_DIR = process.env.B2_CPU_PROF;
/** `B2_GC_TRACE=<file>`: keep the API's `--trace-gc-nvp` trace there (its clock: ms since its start). */
const GC_TRACE = process.env.B2_GC_TRACE;
/** Paces the half-load phases at this rate instead (to compare two heads at one rate). */
const HALF_RATE = Number(process.env.B2_HALF_RATE ?? 0);
const BODY = JSON.stringify({
  query: 'order 1042 was delivered late',
  customer: { id: 'c_81', tier: 'gold' },
});

interface Load {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  non2xx: number;
  errors: number;
}

async function load(options: autocannon.Options): Promise<Load> {
  const result = await autocannon({ connections: CONNECTIONS, pipelining: 1, duration: SECONDS, ...options });
  // autocannon stops at its deadline with calls in flight; let them finish before the next phase
  // (and before pools close: postgres.js can crash on a write queued when its socket is torn down).
  await sleep(1000);
  return {
    perSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    samples: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/** Webhook runs so far and the transactions that made them (their distinct `xmin`s). */
async function webhookRunCommits(sql: postgres.Sql): Promise<{ runs: number; commits: number }> {
  const [row] = (await sql`
    select count(*)::int as runs, count(distinct xmin::text)::int as commits
    from executions where trigger = 'webhook'`) as unknown as [{ runs: number; commits: number }];
  return row;
}

export const b2: Benchmark = {
  id: 'B2',
  title: 'webhook ingest (signed webhook → run row + job → 202) vs the naive one-transaction route',
  async run(): Promise<BenchResult> {
    const notes: string[] = [];
    const versions: Record<string, string> = {};
    const { database, postgresVersion } = await scratchDatabase();
    const hello = Fastify();
    hello.get('/', async () => ({ hello: 'world' }));
    let server: Awaited<ReturnType<typeof spawnApi>> | undefined;
    const gcTraceFile = GC_TRACE ?? path.join(os.tmpdir(), `b2-api-gc-${process.pid}.log`);
    let minimal: Awaited<ReturnType<typeof spawnMinimalIngestRoute>> | undefined;
    try {
      versions.postgres = postgresVersion;

      // Context: a bare Fastify route on the same machine.
      await hello.listen({ host: '127.0.0.1', port: 0 });
      const helloAddress = hello.server.address();
      const helloPort = typeof helloAddress === 'object' && helloAddress ? helloAddress.port : 0;
      const http = await load({ url: `http://127.0.0.1:${helloPort}/` });
      await hello.close();

      // The real webhook route, and the workflow both routes start runs of.
      // Both routes in processes of their own: the load generator must not share their event loop.
      server = await spawnApi(database.url, {
        nodeOptions: CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`] : [],
        gcTraceFile,
        env: { DATABASE_POOL_SIZE: String(POOL), SWARM_SECRET_KEY: generateSecretKey() },
      });
      const anonymous = createSwarmClient({ url: server.url });
      const { token } = await anonymous.auth.signup.mutate({
        email: `bench-b2-${Date.now()}@example.com`,
        password: 'correct horse battery',
      });
      const swarm = createSwarmClient({ url: server.url, token });
      const workflow = await swarm.workflows.create.mutate({
        name: 'B2 ingest',
        definition: {
          nodes: [
            { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
            { id: 'output', type: 'output', name: 'Output', position: { x: 200, y: 0 }, config: {} },
          ],
          edges: [{ id: 'e1', source: 'input', target: 'output' }],
        },
      });
      const webhook = await swarm.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'signature',
        rateLimitPerHour: 1_000_000,
      });
      const signature = createHmac('sha256', webhook.secret).update(BODY).digest('hex');
      const ingestOptions = {
        url: `${server.url}/webhooks/${webhook.id}`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json', 'x-webhook-signature': signature },
        body: BODY,
      };

      // The baseline: the naive minimal route on the same workflow.
      const [row] = (await database.sql`
        select owner_id, definition from workflows where id = ${workflow.id}`) as unknown as [
        { owner_id: string; definition: unknown },
      ];
      minimal = await spawnMinimalIngestRoute({
        databaseUrl: database.url,
        poolSize: POOL,
        workflowId: workflow.id,
        ownerId: row.owner_id,
        definition: row.definition,
      });
      const minimalOptions = {
        url: minimal.url,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        body: BODY,
      };

      const rMin = await load(minimalOptions);
      const ingest = await load(ingestOptions);
      const halfRate = HALF_RATE > 0 ? HALF_RATE : Math.max(1, Math.floor(ingest.perSecond / 2));
      const beforeHalf = await webhookRunCommits(database.sql);
      // What the half load costs per call: the API process (with its expression workers) and the
      // Postgres backends serving it, from /proc — the figure the half-load latency hangs on.
      const backends = backendCpuSampler(database.sql, [`swarm:${server.pid}`]);
      const backendsReadable = await backends.available();
      await backends.start();
      const apiCpuFrom = processTreeCpuMs(server.pid);
      const halfFrom = performance.now();
      const ingestHalf = await pacedLoad(ingestOptions, halfRate, SECONDS, CONNECTIONS);
      const halfTo = performance.now();
      const apiCpuMs = processTreeCpuMs(server.pid) - apiCpuFrom;
      // The API's collections over the same phase, on its clock (≈ the harness's since the spawn).
      const apiGc = summariseGc(
        parseGcTrace(readFileSync(gcTraceFile, 'utf8')).filter(
          (e) => e.atMs >= halfFrom - server!.spawnedAt && e.atMs <= halfTo - server!.spawnedAt,
        ),
        (halfTo - halfFrom) / 1000,
      );
      const pgCpu = await backends.stop();
      const halfCalls = ingestHalf.samples + ingestHalf.warmupCalls;
      const afterHalf = await webhookRunCommits(database.sql);
      const halfRuns = afterHalf.runs - beforeHalf.runs;
      const halfCommits = afterHalf.commits - beforeHalf.commits;
      const apiCpuPerCall = apiCpuMs / halfCalls;
      await sleep(1000);
      const minHalf = await pacedLoad(minimalOptions, halfRate, SECONDS, CONNECTIONS);
      const { runs, commits } = await webhookRunCommits(database.sql);

      const minName = 'R_min: one run row + one run job per transaction';
      const rows = [
        rateRow('R_http: Fastify hello route (context)', http, null),
        rateRow(minName, rMin, null),
        rateRow(
          'R_ingest / R_min (signed webhook → run + job → 202)',
          ingest,
          { name: minName, perSecond: rMin.perSecond },
          { text: '≥ 1.0', met: ingest.perSecond / rMin.perSecond >= 1 },
        ),
        rateRow(`R_min at half load (${halfRate}/s, p99)`, minHalf, null),
        rateRow(`R_ingest at half load (${halfRate}/s, p99)`, ingestHalf, null, {
          text: `p99 ≤ ${P99_BAR_MS} ms`,
          met: ingestHalf.p99Ms <= P99_BAR_MS,
        }),
      ];
      notes.push(
        `${CONNECTIONS} connections, no pipelining, ${SECONDS} s per load; pool of ${POOL} connections for the API and R_min alike; half load = ${halfRate}/s for both routes, paced evenly (one call every ${(1000 / halfRate).toFixed(2)} ms, open loop, up to ${CONNECTIONS} sockets; latency from when each call was due; ${ingestHalf.warmupCalls} calls of warm-up at that pace first, not counted)`,
        `half load, the generator's own lateness (request sent − due), p99: ${ingestHalf.sendLagP99Ms.toFixed(2)} ms during R_ingest, ${minHalf.sendLagP99Ms.toFixed(2)} ms during R_min (included in the latencies)`,
        `half load, CPU per webhook call (the warm-up's calls included): API ${apiCpuPerCall.toFixed(3)} ms (${((apiCpuPerCall * halfRate) / 10).toFixed(0)} % of a core), its Postgres backends ${backendsReadable ? `${(pgCpu.ms / halfCalls).toFixed(3)} ms` : 'not readable here'}`,
        `half load, the API's garbage collection (warm-up included): ${formatGcSummary(apiGc)}`,
        `R_ingest / R_http = ${(ingest.perSecond / http.perSecond).toFixed(3)} (context)`,
        `webhook runs: ${runs} created in ${commits} transactions (${(runs / Math.max(1, commits)).toFixed(1)} per commit; at half load ${(halfRuns / Math.max(1, halfCommits)).toFixed(1)}); R_min: one per commit`,
        `non-2xx answers: R_min ${rMin.non2xx} / ${minHalf.non2xx} (half), ingest ${ingest.non2xx} / ${ingestHalf.non2xx} (half); socket errors/timeouts: ${rMin.errors + minHalf.errors + ingest.errors + ingestHalf.errors}`,
      );
      return {
        parameters: {
          connections: CONNECTIONS,
          seconds: SECONDS,
          pool: POOL,
          bodyBytes: BODY.length,
          halfRate,
          apiCpuMsPerCallAtHalfLoad: apiCpuPerCall,
          apiPromotedMBPerSecondAtHalfLoad: apiGc.promotedMBps,
        },
        versions,
        rows,
        notes,
      };
    } finally {
      await minimal?.close().catch(() => {});
      await server?.stop().catch(() => {});
      await hello.close().catch(() => {});
      await database.drop().catch(() => {});
      if (!GC_TRACE) rmSync(gcTraceFile, { force: true });
    }
  },
};
