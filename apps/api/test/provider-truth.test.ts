/**
 * What the API says about money and provider health when the provider's answers are not tidy, end to
 * end: a real API and a real runner in this process, the real `openai` SDK, and msw at the HTTP
 * boundary answering in OpenAI's streaming wire format — as OpenAI does, naming the dated snapshot
 * (`gpt-4.1-2025-04-14`) that served a request for `gpt-4.1`, sometimes with no usage chunk (as some
 * gateways do), sometimes with a 500.
 *
 * - A run whose answer reported no usage has an unknown cost: null (never $0) in `runs.get`, the
 *   runs list and the live events, with the known part and the count of unknown attempts beside it;
 *   analytics count the answer apart from failed calls and leave the run out of cost per run.
 * - Health shows one row per requested model, the served snapshot inside it; an attempt a node gave
 *   up on for being slower than its own latency threshold is counted apart, not as an error.
 */
import { createLlmClient, createRunner } from '@swarm/runner/testing';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { openAiAgentWorkflow } from './workflows.ts';

const api = useApiServer();
const SNAPSHOT = 'gpt-4.1-2025-04-14';
/** A model that never answers in time for a node with a latency threshold. */
const SLOW_MODEL = 'gpt-4o-mini';

/** One streamed chat completion in OpenAI's wire format; `usage` null leaves the usage chunk out. */
function streamed(text: string, usage: { prompt_tokens: number; completion_tokens: number } | null) {
  const chunk = (choices: unknown[], chunkUsage: unknown = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-truth', object: 'chat.completion.chunk', created: 1793510400, model: SNAPSHOT, choices, usage: chunkUsage })}\n\n`;
  const body = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: text }, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    usage ? chunk([], { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens }) : '',
    'data: [DONE]\n\n',
  ].join('');
  return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
}

const openai = setupServer(
  http.post('https://api.openai.com/v1/chat/completions', async ({ request }) => {
    const body = (await request.json()) as { model: string; messages: Array<{ content: string }> };
    if (body.model === SLOW_MODEL) {
      // Answers only after the caller has given up on it (its latency threshold ended the request).
      await new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }));
      return HttpResponse.error();
    }
    const prompt = JSON.stringify(body.messages);
    if (prompt.includes('please fail')) {
      return HttpResponse.json(
        { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } },
        { status: 500 },
      );
    }
    if (prompt.includes('no usage')) return streamed('answered, usage not reported', null);
    return streamed('answered and billed', { prompt_tokens: 1000, completion_tokens: 200 });
  }),
);

let runner: ReturnType<typeof createRunner> | undefined;

beforeAll(async () => {
  openai.listen({ onUnhandledFrame: 'bypass' });
  runner = createRunner({
    databaseUrl: api.database.url,
    logger: pino({ level: 'silent' }),
    poolSize: 4,
    drainSeconds: 5,
    pollSeconds: 0.5,
    superviseSeconds: 1,
    scheduler: false,
    createLlm: ({ db, logger, invalidation }) =>
      createLlmClient({
        db,
        logger,
        invalidation,
        secretKeys: null,
        providers: { openai: { apiKey: 'sk-operator-truth' } },
        sleep: async () => {},
      }),
  });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.stop();
  openai.close();
});

const agentWorkflow = openAiAgentWorkflow('gpt-4.1');

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

async function runToEnd(client: Client, workflowId: string, q: string) {
  const { executionId: id } = await client.runs.start.mutate({ workflowId, input: { q } });
  // Waits on the run's own events (the stream ends when the run does), not on the clock.
  await new Promise<void>((resolve, reject) => {
    client.runs.events.subscribe({ id }, { onData: () => {}, onError: reject, onComplete: resolve });
  });
  return client.runs.get.query({ id });
}

describe('answers that are not tidy', () => {
  let client: Client;
  let runs: Record<'billed' | 'noUsage' | 'failed', Awaited<ReturnType<typeof runToEnd>>>;

  beforeAll(async () => {
    ({ client } = await api.signUp());
    const workflow = await client.workflows.create.mutate({
      name: 'Truth',
      definition: agentWorkflow as never,
    });
    runs = {
      billed: await runToEnd(client, workflow.id, 'hello'),
      noUsage: await runToEnd(client, workflow.id, 'no usage please'),
      failed: await runToEnd(client, workflow.id, 'please fail'),
    };
  }, 120_000);

  it('shows an answer without usage as an unknown cost, never $0, in runs.get, the list and the events', async () => {
    const { billed, noUsage } = runs;
    expect(billed.status).toBe('succeeded');
    // gpt-4.1 at $2 in / $8 out per million tokens, priced under the snapshot's canonical name.
    expect(billed).toMatchObject({ costMicros: 3600, knownCostMicros: 3600, unknownCostAttempts: 0 });

    expect(noUsage.status).toBe('succeeded');
    expect(noUsage).toMatchObject({ costMicros: null, knownCostMicros: 0, unknownCostAttempts: 1 });
    const ask = noUsage.steps.find((step) => step.nodeId === 'ask')!;
    expect(ask).toMatchObject({ costMicros: null, knownCostMicros: 0, unknownCostAttempts: 1 });
    expect(ask.attempts).toEqual([
      expect.objectContaining({
        servedModel: SNAPSHOT,
        costStatus: 'no_usage',
        costMicros: null,
        errorClass: null,
      }),
    ]);

    const list = await client.runs.list.query({});
    expect(list.items.find((item) => item.id === noUsage.id)).toMatchObject({
      costMicros: null,
      unknownCostAttempts: 1,
    });
    expect(list.items.find((item) => item.id === billed.id)).toMatchObject({ costMicros: 3600 });

    const events: unknown[] = [];
    await new Promise<void>((resolve, reject) => {
      client.runs.events.subscribe(
        { id: noUsage.id },
        { onData: (event) => events.push(event), onError: reject, onComplete: resolve },
      );
    });
    expect(events[0]).toMatchObject({
      data: { kind: 'snapshot', run: { costMicros: null, unknownCostAttempts: 1 } },
    });
  });

  it('keeps failed calls without usage apart from paid answers without usage in analytics', async () => {
    const { failed } = runs;
    expect(failed.status).toBe('failed');
    // A failed call reports no usage, and cost nothing we know of: the run's cost is known.
    expect(failed.unknownCostAttempts).toBe(0);
    expect(failed.costMicros).toBe(0);
    const failedCalls = failed.steps.flatMap((step) => step.attempts).filter((a) => a.errorClass !== null);
    expect(failedCalls.length).toBeGreaterThan(0);

    const { period } = await client.analytics.summary.query({});
    expect(period).toMatchObject({
      noUsageAttempts: 1,
      failedNoUsageAttempts: failedCalls.length,
      unknownCostAttempts: 1,
      costMicros: 3600,
    });
    expect(period.runs).toMatchObject({
      succeeded: 2,
      failed: 1,
      // The run with the usage-less answer is left out of the average, and counted.
      costPerSuccessfulRunMicros: 3600,
      succeededUnknownCost: 1,
    });
  });

  it('shows one health row per requested model, with the snapshot that served it inside', async () => {
    const { items } = await client.providers.health.query({});
    // No second row under the snapshot's name (with a breaker that does not exist).
    expect(items.filter((item) => item.model === SNAPSHOT)).toEqual([]);
    const rows = items.filter((item) => item.provider === 'openai' && item.model === 'gpt-4.1');
    expect(rows).toHaveLength(1);
    const [row] = rows;
    const attempts = Object.values(runs).flatMap((run) =>
      run.steps.flatMap((step) => step.attempts).filter((a) => a.requestedModel === 'gpt-4.1'),
    );
    const failures = attempts.filter((a) => a.errorClass === 'server').length;
    expect(failures).toBeGreaterThan(0);
    expect(row).toMatchObject({
      servedModels: [SNAPSHOT],
      attempts: attempts.length,
      failures,
      errorRate: failures / attempts.length,
      p50LatencyMs: expect.any(Number),
    });
  });

  it("counts an attempt abandoned for a node's latency threshold apart, not as an error", async () => {
    const workflow = openAiAgentWorkflow(SLOW_MODEL);
    const ask = workflow.nodes.find((node) => node.id === 'ask')!;
    Object.assign(ask.config, {
      latencyThresholdMs: 200,
      fallback: [{ provider: 'openai', model: 'gpt-4.1-mini' }],
    });
    const { id } = await client.workflows.create.mutate({ name: 'Impatient', definition: workflow as never });
    const run = await runToEnd(client, id, 'hurry');
    expect(run.status).toBe('succeeded');
    const attempts = run.steps.flatMap((step) => step.attempts);
    expect(attempts.map((a) => [a.requestedModel, a.errorClass, a.abandoned])).toEqual([
      [SLOW_MODEL, 'timeout', true],
      ['gpt-4.1-mini', null, false],
    ]);

    const { items } = await client.providers.health.query({});
    const row = items.find((item) => item.provider === 'openai' && item.model === SLOW_MODEL);
    // The provider did nothing wrong that the page could know: no calls, no errors, one abandoned.
    expect(row).toMatchObject({ attempts: 0, failures: 0, abandoned: 1, errorRate: null, state: 'closed' });
  });
});
