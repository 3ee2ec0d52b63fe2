/**
 * An agent node's policy knobs end to end: the engine runs the node with the runner's LLM client
 * (real router, real SDK adapters, Postgres model map and breakers) while msw answers at the three
 * providers' hosts in their wire formats and counts the requests each host gets.
 */
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { type RunOutcome, type StepFinished, workflowDefinitionSchema } from '@swarm/engine';
import { createNodeRegistry, runWorkflow } from '@swarm/engine/server';
import { setModelEquivalents } from '@swarm/providers/store';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient } from '../src/llm.ts';

const database = useTestDatabase();
const server = setupServer();
const registry = createNodeRegistry();

type Host = 'openai' | 'anthropic' | 'gemini';
let requests: Record<Host, number>;
let openAiFailures: number;
let releaseHungCalls: () => void;
let hungCalls: Promise<void>;

function reset() {
  requests = { openai: 0, anthropic: 0, gemini: 0 };
  openAiFailures = Number.POSITIVE_INFINITY;
  hungCalls = new Promise((resolve) => {
    releaseHungCalls = resolve;
  });
}
reset();

const sse = (events: Array<{ event?: string; data: unknown }>) =>
  new HttpResponse(
    events.map((e) => `${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`).join(''),
    { headers: { 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked' } },
  );

const openAiAnswer = (model: string) =>
  sse([
    {
      data: {
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1793510400,
        model,
        choices: [{ index: 0, delta: { role: 'assistant', content: 'from openai' }, finish_reason: 'stop' }],
        usage: null,
      },
    },
    {
      data: {
        id: 'chatcmpl-1',
        object: 'chat.completion.chunk',
        created: 1793510400,
        model,
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
      },
    },
  ]);

const anthropicAnswer = (model: string) =>
  sse([
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          content: [],
          model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 10, output_tokens: 1 },
        },
      },
    },
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    },
    {
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'from anthropic' } },
    },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 3 },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]);

server.use(
  http.post('https://api.openai.com/v1/chat/completions', async ({ request }) => {
    requests.openai += 1;
    const body = (await request.json()) as { model: string };
    if (body.model.startsWith('hang-')) await hungCalls;
    if (openAiFailures-- > 0) {
      return HttpResponse.json(
        { error: { message: 'The server is overloaded.', type: 'server_error', param: null, code: null } },
        { status: 503 },
      );
    }
    return openAiAnswer(body.model);
  }),
  http.post('https://api.anthropic.com/v1/messages', async ({ request }) => {
    requests.anthropic += 1;
    return anthropicAnswer(((await request.json()) as { model: string }).model);
  }),
  http.post('https://generativelanguage.googleapis.com/v1beta/models/:modelAction', () => {
    requests.gemini += 1;
    return sse([
      {
        data: {
          candidates: [
            { content: { parts: [{ text: 'from gemini' }], role: 'model' }, finishReason: 'STOP' },
          ],
          usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 3, totalTokenCount: 13 },
          modelVersion: 'gemini-2.5-flash',
        },
      },
    ]);
  }),
);

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  releaseHungCalls();
  reset();
});
afterAll(() => server.close());

let count = 0;
/** A model of its own per test, mapped to an Anthropic and a Gemini equivalent. */
async function mappedModel(prefix = 'gpt-knob'): Promise<string> {
  const model = `${prefix}-${++count}`;
  await setModelEquivalents(database.db, {
    from: { provider: 'openai', model },
    to: [
      { provider: 'anthropic', model: `claude-for-${model}` },
      { provider: 'gemini', model: `gemini-for-${model}` },
    ],
  });
  return model;
}

async function runAgent(knobs: Record<string, unknown>) {
  const [owner] = await database.sql<{ id: string }[]>`
    insert into users (email, password_hash) values (${`knobs${++count}@example.com`}, 'x') returning id`;
  const llm = createLlmClient({
    db: database.db,
    logger: pino({ level: 'silent' }),
    secretKeys: null,
    providers: {
      openai: { apiKey: 'sk-operator' },
      anthropic: { apiKey: 'sk-ant-operator' },
      gemini: { apiKey: 'AIza-operator' },
    },
    breakers: { cacheMs: 0 },
    sleep: async () => {},
  });
  const finished: StepFinished[] = [];
  const definition = workflowDefinitionSchema.parse({
    nodes: [
      {
        id: 'ask',
        type: 'agent',
        config: { role: 'writer', provider: 'openai', prompt: 'Say hello.', ...knobs },
      },
    ],
    edges: [],
  });
  const outcome: RunOutcome = await runWorkflow({
    definition,
    input: {},
    registry,
    executionId: crypto.randomUUID(),
    hooks: { stepFinished: async (step) => void finished.push(step) },
    services: { llm: llm.forOwner(owner!.id) },
  });
  await llm.close();
  const attempts = finished[0]?.attempts ?? [];
  return {
    outcome,
    output: finished[0]?.output,
    attempts,
    reasons: attempts.map((a) => `${a.requestedProvider}:${a.reason}`),
  };
}

describe('agent node policy knobs', () => {
  it('with useModelMap off, never calls another provider even when its only model fails', async () => {
    const model = await mappedModel();
    const { outcome, reasons } = await runAgent({ model, useModelMap: false, retry: { retries: 0 } });
    expect(outcome.status).toBe('failed');
    expect(requests).toEqual({ openai: 1, anthropic: 0, gemini: 0 });
    expect(reasons).toEqual(['openai:primary']);
  });

  it('with the model map on (the default), the same failure goes on to its equivalents', async () => {
    const model = await mappedModel();
    const { outcome, output, reasons } = await runAgent({ model, retry: { retries: 0 } });
    expect(outcome.status).toBe('succeeded');
    expect(output).toBe('from anthropic');
    expect(requests).toEqual({ openai: 1, anthropic: 1, gemini: 0 });
    expect(reasons).toEqual(['openai:primary', 'anthropic:fallback:overloaded']);
  });

  it('stops at maxAttempts, retries and fallbacks together', async () => {
    const model = await mappedModel();
    openAiFailures = 10;
    const { outcome, reasons } = await runAgent({
      model,
      maxAttempts: 3,
      retry: { retries: 5, baseDelayMs: 0 },
    });
    expect(outcome.status).toBe('failed');
    expect(requests).toEqual({ openai: 3, anthropic: 0, gemini: 0 });
    expect(reasons).toEqual(['openai:primary', 'openai:retry', 'openai:retry']);
  });

  it('retries the same model as often as retry.retries allows, then answers', async () => {
    const model = await mappedModel();
    openAiFailures = 2;
    const { outcome, output, reasons } = await runAgent({ model, retry: { retries: 2, baseDelayMs: 0 } });
    expect(outcome.status).toBe('succeeded');
    expect(output).toBe('from openai');
    expect(requests).toEqual({ openai: 3, anthropic: 0, gemini: 0 });
    expect(reasons).toEqual(['openai:primary', 'openai:retry', 'openai:retry']);
  });

  it('abandons an attempt at timeoutMs and falls back', async () => {
    const model = await mappedModel('hang');
    const { outcome, output, attempts } = await runAgent({ model, timeoutMs: 100, retry: { retries: 0 } });
    expect(outcome.status).toBe('succeeded');
    expect(output).toBe('from anthropic');
    expect(attempts.map((a) => [a.requestedProvider, a.errorClass])).toEqual([
      ['openai', 'timeout'],
      ['anthropic', null],
    ]);
    expect(attempts[0]!.errorMessage).toMatch(/100 ms/);
  });
});
