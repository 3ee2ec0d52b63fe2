/**
 * B4 — latency from a webhook call to a `succeeded` run, open loop.
 *
 * The API and one runner run as real processes' worth of work (the API in this process, the
 * runner as a child process exactly as production starts it) on a scratch database. The workflow
 * is input → agent (offline mock provider, `echo`, 0 ms) → output. Calls go out at a fixed rate
 * (`B4_RATE` per second, default 50; the bar in docs/benchmarks.md asks for half of B3's rate)
 * regardless of answers (open loop), each with its own body. For each call:
 * webhook → succeeded = the run's `finished_at` (database clock, same machine) − the moment the
 * request was sent. Same-run baseline: the 202 answer time of the same calls (ingest alone).
 */
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import { spawnRunner } from '@swarm/runner/testing';
import { type Benchmark, type BenchResult, percentile, scratchDatabase } from './lib.ts';

const RATE = Number(process.env.B4_RATE ?? 50);
const SECONDS = Number(process.env.B4_SECONDS ?? 10);
const P50_BAR_MS = 50;
const P99_BAR_MS = 250;

export const b4: Benchmark = {
  id: 'B4',
  title: 'webhook → succeeded latency, open loop (input → mock agent → output, 1 runner)',
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = {};
    const { database, postgresVersion } = await scratchDatabase();
    let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
    let runner: Awaited<ReturnType<typeof spawnRunner>> | undefined;
    try {
      versions.postgres = postgresVersion;
      server = await startApiServer({
        databaseUrl: database.url,
        logLevel: 'silent',
        secretKey: generateSecretKey(),
      });
      runner = await spawnRunner(database.url, { RUNNER_POLL_SECONDS: '2' });
      const anonymous = createSwarmClient({ url: server.url });
      const { token } = await anonymous.auth.signup.mutate({
        email: `bench-b4-${Date.now()}@example.com`,
        password: 'correct horse battery',
      });
      const swarm = createSwarmClient({ url: server.url, token });
      const workflow = await swarm.workflows.create.mutate({
        name: 'B4 latency',
        definition: {
          nodes: [
            { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
            {
              id: 'agent',
              type: 'agent',
              name: 'Agent',
              position: { x: 200, y: 0 },
              config: { role: 'echo', provider: 'mock', model: 'echo', prompt: 'Q: {{input.query}}' },
            },
            { id: 'output', type: 'output', name: 'Output', position: { x: 400, y: 0 }, config: {} },
          ],
          edges: [
            { id: 'e1', source: 'input', target: 'agent' },
            { id: 'e2', source: 'agent', target: 'output' },
          ],
        },
      });
      const webhook = await swarm.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'signature',
        rateLimitPerHour: 1_000_000,
      });
      const url = `${server.url}/webhooks/${webhook.id}`;

      // Open loop: one call every 1000/RATE ms, whatever the answers do.
      const total = RATE * SECONDS;
      const sent = new Map<string, number>();
      const answerMs: number[] = [];
      let failures = 0;
      const calls: Promise<void>[] = [];
      const wallStart = performance.now();
      const epochAtStart = Date.now();
      for (let i = 0; i < total; i++) {
        const due = (i * 1000) / RATE;
        const wait = due - (performance.now() - wallStart);
        if (wait > 0) await sleep(wait);
        const body = JSON.stringify({ query: `call ${i}` });
        const signature = createHmac('sha256', webhook.secret).update(body).digest('hex');
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

      // Wait until every accepted run finished (bounded), then read their finish times.
      const deadline = Date.now() + 60_000;
      let finished: { id: string; status: string; finished_at: string }[] = [];
      while (Date.now() < deadline) {
        finished = (await database.sql`
          select id, status, extract(epoch from finished_at) * 1000 as finished_at
          from executions where finished_at is not null`) as unknown as typeof finished;
        if (finished.length >= sent.size) break;
        await sleep(200);
      }
      const latencies: number[] = [];
      let notSucceeded = 0;
      for (const row of finished) {
        const at = sent.get(row.id);
        if (at === undefined) continue;
        if (row.status !== 'succeeded') notSucceeded++;
        else latencies.push(Number(row.finished_at) - at);
      }
      latencies.sort((a, b) => a - b);
      answerMs.sort((a, b) => a - b);
      const e2e = {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
      };
      const ingest = {
        p50: percentile(answerMs, 50),
        p95: percentile(answerMs, 95),
        p99: percentile(answerMs, 99),
      };
      const ingestName = 'webhook 202 answer (ingest only)';
      return {
        parameters: { ratePerSecond: RATE, seconds: SECONDS, runners: 1, model: 'mock echo (0 ms)' },
        versions,
        rows: [
          {
            name: ingestName,
            samples: answerMs.length,
            p50Ms: ingest.p50,
            p95Ms: ingest.p95,
            p99Ms: ingest.p99,
            baseline: null,
            ratio: null,
            bar: null,
            met: null,
          },
          {
            name: 'webhook → succeeded',
            samples: latencies.length,
            p50Ms: e2e.p50,
            p95Ms: e2e.p95,
            p99Ms: e2e.p99,
            baseline: ingestName,
            ratio: e2e.p50 / ingest.p50,
            bar: `p50 ≤ ${P50_BAR_MS} ms, p99 ≤ ${P99_BAR_MS} ms`,
            met: e2e.p50 <= P50_BAR_MS && e2e.p99 <= P99_BAR_MS,
          },
        ],
        notes: [
          `${total} calls at ${RATE}/s; ${sent.size} accepted, ${failures} failed or not 202, ${notSucceeded} runs not succeeded, ${sent.size - latencies.length - notSucceeded} unfinished after 60 s`,
          'send time and finished_at come from the same machine clock (API, runner and Postgres share the box)',
        ],
      };
    } finally {
      runner?.kill('SIGTERM');
      await runner?.exited;
      await server?.close().catch(() => {});
      await database.drop().catch(() => {});
    }
  },
};
