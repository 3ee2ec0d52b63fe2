/**
 * B2 — webhook ingest: how close the signed webhook route comes to a bare HTTP route and to the
 * database's commit ceiling.
 *
 * Baselines in the same run: a Fastify hello route started here (`R_http`, same process model and
 * machine) and pgbench's one-INSERT script at 32 clients (`C_sync(32)`, synchronous_commit on).
 * Measured: autocannon, 50 connections, no pipelining, against `POST /webhooks/:id` with an
 * `x-webhook-signature` — verify, rate-limit, log, execution row and run job in one transaction,
 * shared with the calls that arrived meanwhile (group commit), 202 (`R_ingest`); then the same
 * route at half that rate for its p99. No runner runs, so no work competes with ingest (and no
 * run row is written after its insert: their distinct `xmin`s count the transactions that made
 * them); the queued runs are dropped with the scratch database.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { type Benchmark, type BenchResult, pgbenchInsertTps, rateRow, scratchDatabase } from './lib.ts';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.B2_SECONDS ?? 10);
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
  return {
    perSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    samples: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export const b2: Benchmark = {
  id: 'B2',
  title: 'webhook ingest (signed webhook → run row + job → 202) vs a bare Fastify route and pgbench',
  async run(): Promise<BenchResult> {
    const notes: string[] = [];
    const versions: Record<string, string> = {};
    const { database, postgresVersion } = await scratchDatabase();
    const hello = Fastify();
    hello.get('/', async () => ({ hello: 'world' }));
    let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
    try {
      versions.postgres = postgresVersion;

      // Baseline 1: the database's commit ceiling on this box, right now.
      const cSync32 = await pgbenchInsertTps(database.url, 32, SECONDS);

      // Baseline 2: a bare Fastify route on the same machine.
      await hello.listen({ host: '127.0.0.1', port: 0 });
      const helloAddress = hello.server.address();
      const helloPort = typeof helloAddress === 'object' && helloAddress ? helloAddress.port : 0;
      const http = await load({ url: `http://127.0.0.1:${helloPort}/` });

      // The real webhook route.
      server = await startApiServer({
        databaseUrl: database.url,
        logLevel: 'silent',
        secretKey: generateSecretKey(),
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
      const ingest = await load(ingestOptions);
      const halfLoad = await load({
        ...ingestOptions,
        overallRate: Math.max(1, Math.floor(ingest.perSecond / 2)),
      });
      // autocannon stops at its deadline with calls in flight; let them finish before closing pools
      // (postgres.js can crash on a write it had queued when its socket is torn down mid-flight).
      await sleep(2000);
      const [{ runs, commits }] = (await database.sql`
        select count(*)::int as runs, count(distinct xmin::text)::int as commits from executions`) as unknown as [
        { runs: number; commits: number },
      ];

      const httpName = 'R_http: Fastify hello route';
      const cName = 'C_sync(32): pgbench one-INSERT, 32 clients';
      const rows = [
        rateRow(httpName, http, null),
        rateRow('C_sync(32)', { perSecond: cSync32, p50Ms: Number.NaN, p99Ms: Number.NaN, samples: 0 }, null),
        rateRow(
          'R_ingest / R_http',
          ingest,
          { name: httpName, perSecond: http.perSecond },
          {
            text: '≥ 0.30',
            met: ingest.perSecond / http.perSecond >= 0.3,
          },
        ),
        rateRow(
          'R_ingest / C_sync(32)',
          ingest,
          { name: cName, perSecond: cSync32 },
          {
            text: '≥ 1.0',
            met: ingest.perSecond / cSync32 >= 1,
          },
        ),
        rateRow('ingest at half load (p99)', halfLoad, null, {
          text: 'p99 ≤ 20 ms',
          met: halfLoad.p99Ms <= 20,
        }),
      ];
      notes.push(
        `${CONNECTIONS} connections, no pipelining, ${SECONDS} s per load; ${runs} runs created in total, in ${commits} transactions (${(runs / Math.max(1, commits)).toFixed(1)} per commit)`,
        `non-2xx answers: ingest ${ingest.non2xx}, half load ${halfLoad.non2xx}; socket errors/timeouts: ${ingest.errors + halfLoad.errors}`,
      );
      return {
        parameters: { connections: CONNECTIONS, seconds: SECONDS, bodyBytes: BODY.length },
        versions,
        rows,
        notes,
      };
    } finally {
      await server?.close().catch(() => {});
      await hello.close().catch(() => {});
      await database.drop().catch(() => {});
    }
  },
};
