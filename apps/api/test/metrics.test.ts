/**
 * Prometheus metrics of a real API and a real runner process after real runs (manual and webhook,
 * on the mock provider with a failing primary model and a fallback): the values match what the
 * runs recorded, fleet-wide gauges come from Postgres, the bearer token guards both endpoints, and
 * `promtool check metrics` accepts both expositions.
 */
import { fallbackAgentWorkflow } from '@swarm/engine/testing/fallback-agent';
import { generateSecretKey } from '@swarm/providers/store';
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { parseMetrics, promtoolCheck, type Sample, sampleValue, sumOf } from './prometheus-text.ts';

const TOKEN = 'scrape-secret';
const api = useApiServer({ secretKey: generateSecretKey(), metricsToken: TOKEN });
let runner: RunnerProcess | undefined;

afterAll(async () => {
  if (runner) await killRunners([runner]);
});

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

/** A model name of this file's own: circuit breakers are shared per provider and model. */
const FAILING = 'delay:3,fail:500';

const definition = fallbackAgentWorkflow(FAILING);

async function scrape(url: string, token: string | null): Promise<{ status: number; text: string }> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, text: await response.text() };
}

async function finished(client: Client, id: string) {
  await expect
    .poll(async () => (await client.runs.get.query({ id })).status, { timeout: 30_000, interval: 50 })
    .toMatch(/^(succeeded|failed|cancelled)$/);
  return client.runs.get.query({ id });
}

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('Prometheus metrics', () => {
  it('exports run, step, provider, webhook, queue, breaker and budget metrics that promtool accepts', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'Metered', definition });
    // A budget of one micro-dollar: any priced spend exhausts it.
    await client.budgets.create.mutate({
      scope: workflow.id,
      monthlyLimitMicros: 1,
      alertAt: [80],
      blockWhenExceeded: false,
    });

    // No runner yet: the first run waits in the queue, and the API's gauges say so.
    const first = await client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'one' } });
    expect((await scrape(`${api.url}/metrics`, null)).status).toBe(401);
    expect((await scrape(`${api.url}/metrics`, 'wrong')).status).toBe(401);
    const waiting = await scrape(`${api.url}/metrics`, TOKEN);
    expect(waiting.status).toBe(200);
    const before = parseMetrics(waiting.text);
    expect(sampleValue(before, 'swarm_queue_runs', { state: 'queued' })).toBe(1);
    expect(sampleValue(before, 'swarm_queue_runs', { state: 'running' })).toBe(0);
    expect(sampleValue(before, 'swarm_queue_oldest_queued_run_age_seconds')).toBeGreaterThan(0);
    expect(sampleValue(before, 'swarm_budgets', { state: 'under_80' })).toBe(1);

    runner = await spawnRunner(api.database.url, { RUNNER_METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
    const { port } = await runner.waitForLog((line) => line.msg === 'metrics listening');
    const runnerUrl = `http://127.0.0.1:${port as number}/metrics`;

    const second = await client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'two' } });
    const webhook = await client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'url-secret' });
    const accepted = await post(webhook.triggerUrl, { query: 'three' });
    expect(accepted.status).toBe(202);
    const { executionId: third } = (await accepted.json()) as { executionId: string };
    expect((await post(webhook.url, { query: 'no secret' })).status).toBe(401);
    expect((await post(`${api.url}/webhooks/${crypto.randomUUID()}`, {})).status).toBe(404);

    const runs = await Promise.all(
      [first.executionId, second.executionId, third].map((id) => finished(client, id)),
    );
    for (const run of runs) expect(run.status).toBe('succeeded');
    const attempts = runs.flatMap((run) => run.steps.flatMap((step) => step.attempts));
    const answered = attempts.filter((a) => a.errorClass === null);
    expect(answered).toHaveLength(3);

    expect((await scrape(runnerUrl, null)).status).toBe(401);
    const fromRunner = await scrape(runnerUrl, TOKEN);
    expect(fromRunner.status).toBe(200);
    const r: Sample[] = parseMetrics(fromRunner.text);
    expect(sampleValue(r, 'swarm_runs_started_total', { trigger: 'manual', resumed: 'false' })).toBe(2);
    expect(sampleValue(r, 'swarm_runs_started_total', { trigger: 'webhook', resumed: 'false' })).toBe(1);
    expect(sampleValue(r, 'swarm_runs_finished_total', { trigger: 'manual', status: 'succeeded' })).toBe(2);
    expect(sampleValue(r, 'swarm_runs_finished_total', { trigger: 'webhook', status: 'succeeded' })).toBe(1);
    expect(
      sampleValue(r, 'swarm_run_duration_seconds_count', { trigger: 'manual', status: 'succeeded' }),
    ).toBe(2);
    expect(
      sampleValue(r, 'swarm_step_duration_seconds_count', { node_type: 'agent', status: 'succeeded' }),
    ).toBe(3);
    expect(
      sampleValue(r, 'swarm_step_duration_seconds_count', { node_type: 'input', status: 'succeeded' }),
    ).toBe(3);
    // Every attempt of the ledger is counted once, under its outcome.
    expect(sumOf(r, 'swarm_provider_attempts_total', { provider: 'mock' })).toBe(attempts.length);
    expect(sampleValue(r, 'swarm_provider_attempts_total', { model: 'echo', outcome: 'success' })).toBe(3);
    expect(sumOf(r, 'swarm_provider_attempts_total', { model: FAILING })).toBe(
      attempts.filter((a) => a.requestedModel === FAILING).length,
    );
    expect(sampleValue(r, 'swarm_provider_attempts_total', { model: FAILING, outcome: 'server' })).toBe(
      attempts.filter((a) => a.errorClass === 'server').length,
    );
    expect(
      sampleValue(r, 'swarm_provider_latency_seconds_count', { model: 'echo', outcome: 'success' }),
    ).toBe(3);
    expect(sumOf(r, 'swarm_provider_time_to_first_token_seconds_count', { model: 'echo' })).toBe(
      answered.filter((a) => a.timeToFirstTokenMs !== null).length,
    );
    expect(sampleValue(r, 'swarm_provider_tokens_total', { model: 'echo', direction: 'output' })).toBe(
      answered.reduce((sum, a) => sum + a.usage!.outputTokens + a.usage!.reasoningTokens, 0),
    );
    // Fleet-wide gauges, read from Postgres: nothing waits any more; the failing model has a breaker.
    expect(sampleValue(r, 'swarm_queue_runs', { state: 'queued' })).toBe(0);
    expect(sampleValue(r, 'swarm_queue_runs', { state: 'running' })).toBe(0);
    expect(sampleValue(r, 'swarm_queue_oldest_queued_run_age_seconds')).toBe(0);
    // Three failures stay under the opening threshold (five): closed.
    expect(sampleValue(r, 'swarm_circuit_breaker_state', { provider: 'mock', model: FAILING })).toBe(0);
    const spent = runs.reduce((sum, run) => sum + (run.costMicros ?? 0), 0);
    expect(sampleValue(r, 'swarm_budgets', { state: spent >= 1 ? 'exhausted' : 'under_80' })).toBe(1);
    expect(sampleValue(r, 'swarm_budget_spend_ratio_max')).toBe(spent);
    expect(sampleValue(r, 'nodejs_eventloop_lag_seconds', { service: 'runner' })).toBeGreaterThanOrEqual(0);
    // The data pool (RUNNER_POOL_SIZE 5) has connections open from the runs, none waited for.
    const pooled = sumOf(r, 'swarm_db_pool_connections');
    expect(pooled).toBeGreaterThanOrEqual(1);
    expect(pooled).toBeLessThanOrEqual(5);
    expect(sampleValue(r, 'swarm_db_pool_waiting_queries')).toBe(0);
    // No run ids or emails in any label.
    for (const id of [first.executionId, second.executionId, third])
      expect(fromRunner.text).not.toContain(id);

    const fromApi = await scrape(`${api.url}/metrics`, TOKEN);
    const a = parseMetrics(fromApi.text);
    expect(sampleValue(a, 'swarm_webhook_calls_total', { outcome: 'accepted' })).toBe(1);
    expect(sampleValue(a, 'swarm_webhook_calls_total', { outcome: 'unauthorized' })).toBe(1);
    expect(sampleValue(a, 'swarm_webhook_calls_total', { outcome: 'not_found' })).toBe(1);
    expect(sampleValue(a, 'nodejs_eventloop_lag_seconds', { service: 'api' })).toBeGreaterThanOrEqual(0);
    // The API executes no runs: its run counters exist with no samples.
    expect(sumOf(a, 'swarm_runs_finished_total')).toBe(0);

    for (const text of [fromRunner.text, fromApi.text]) {
      const check = promtoolCheck(text);
      expect(check.output).toBe('');
      expect(check.status).toBe(0);
    }
  }, 120_000);
});
