import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ANTHROPIC_DEFAULT_MAX_TOKENS, createAnthropicAdapter } from '../../src/adapters/anthropic.ts';
import { type ChatRequest, ProviderConfigError } from '../../src/types.ts';
import errors from './fixtures/anthropic-errors.json' with { type: 'json' };
import messagesStream from './fixtures/anthropic-messages-stream.json' with { type: 'json' };
import { copy, createGate, rejection, SSE_HEADERS, type SseEvent, sseResponse } from './wire.ts';

const URL = 'https://api.anthropic.com/v1/messages';
const KEY = 'sk-ant-test-5678';
const server = setupServer();
let release = createGate();

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  release.open();
  release = createGate();
  server.resetHandlers();
});
afterAll(() => server.close());

const schema = {
  type: 'object',
  properties: { summary: { type: 'string' } },
  required: ['summary'],
  additionalProperties: false,
};

const request: ChatRequest = {
  provider: 'anthropic',
  model: 'claude-haiku-4-5',
  system: 'Answer in JSON.',
  messages: [
    { role: 'user', content: 'What is the capital of France?' },
    { role: 'assistant', content: 'In which format?' },
    { role: 'user', content: 'JSON, please.' },
  ],
  temperature: 0.3,
  maxTokens: 256,
  jsonSchema: { name: 'answer', schema },
  timeoutMs: 10_000,
};

const events = messagesStream as SseEvent[];

function withStopReason(stopReason: string): SseEvent[] {
  const changed = copy(events);
  const delta = changed.find((e) => e.event === 'message_delta')!.data as { delta: { stop_reason: string } };
  delta.delta.stop_reason = stopReason;
  return changed;
}

describe('anthropic adapter', () => {
  it('sends system prompt, messages, max tokens and the JSON schema as structured output, and reads the stream', async () => {
    let body: unknown;
    let headers = new Headers();
    server.use(
      http.post(URL, async ({ request: req }) => {
        body = await req.json();
        headers = req.headers;
        return sseResponse(events);
      }),
    );

    const result = await createAnthropicAdapter({ apiKey: KEY }).chat(request);

    expect(headers.get('authorization')).toBe(`Bearer ${KEY}`);
    expect(headers.get('anthropic-version')).toBe('2026-10-21');
    // No `temperature`: API version 2026-10-21 rejects sampling parameters.
    expect(body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: 256,
      messages: [
        { role: 'user', content: 'What is the capital of France?' },
        { role: 'assistant', content: 'In which format?' },
        { role: 'user', content: 'JSON, please.' },
      ],
      system: 'Answer in JSON.',
      output_config: { format: { type: 'json_schema', schema } },
      stream: true,
    });
    expect(result).toMatchObject({
      // The thinking block is not part of the answer.
      text: '{"summary":"Paris is the capital of France."}',
      finishReason: 'stop',
      provider: 'anthropic',
      model: 'claude-haiku-4-5-20251001',
    });
    // input_tokens excludes cache reads and writes; output_tokens 310 includes 280 thinking tokens.
    expect(result.usage).toEqual({
      inputTokens: 25,
      cacheReadTokens: 3400,
      cacheWriteTokens: 1200,
      outputTokens: 30,
      reasoningTokens: 280,
    });
    expect(result.timeToFirstTokenMs).toEqual(expect.any(Number));
  });

  it('asks for the default max_tokens when the request sets none, and sends no system prompt when there is none', async () => {
    let body: Record<string, unknown> = {};
    server.use(
      http.post(URL, async ({ request: req }) => {
        body = (await req.json()) as Record<string, unknown>;
        return sseResponse(events);
      }),
    );
    await createAnthropicAdapter({ apiKey: KEY }).chat({
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(body).toEqual({
      model: 'claude-haiku-4-5',
      max_tokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
  });

  it.each([
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['refusal', 'content_filter'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'other'],
  ])('maps stop_reason %s to %s', async (stopReason, expected) => {
    server.use(http.post(URL, () => sseResponse(withStopReason(stopReason))));
    const result = await createAnthropicAdapter({ apiKey: KEY }).chat(request);
    expect(result.finishReason).toBe(expected);
  });

  it.each([
    {
      name: '429 with Retry-After seconds',
      status: 429,
      body: errors.rate_limit,
      headers: { 'retry-after': '20' },
      errorClass: 'rate_limit',
      retryAfterMs: 20_000,
    },
    {
      name: '529 overloaded_error',
      status: 529,
      body: errors.overloaded,
      headers: {},
      errorClass: 'overloaded',
      retryAfterMs: undefined,
    },
    {
      name: '503',
      status: 503,
      body: errors.overloaded,
      headers: { 'retry-after': '5' },
      errorClass: 'overloaded',
      retryAfterMs: 5000,
    },
    {
      name: '500 api_error',
      status: 500,
      body: errors.server,
      headers: {},
      errorClass: 'server',
      retryAfterMs: undefined,
    },
    {
      name: '400 prompt is too long',
      status: 400,
      body: errors.context_length,
      headers: {},
      errorClass: 'context_window',
      retryAfterMs: undefined,
    },
    {
      name: '401 authentication_error',
      status: 401,
      body: errors.auth,
      headers: {},
      errorClass: 'auth',
      retryAfterMs: undefined,
    },
    {
      name: '400 invalid_request_error',
      status: 400,
      body: errors.invalid,
      headers: {},
      errorClass: 'invalid_request',
      retryAfterMs: undefined,
    },
  ])('classifies $name as $errorClass', async ({ status, body, headers, errorClass, retryAfterMs }) => {
    server.use(http.post(URL, () => HttpResponse.json(body, { status, headers })));
    const error = await rejection(createAnthropicAdapter({ apiKey: KEY }).chat(request));
    expect(error).toMatchObject({ provider: 'anthropic', errorClass, status, retryAfterMs });
    expect(error.message).toContain(body.error.message);
  });

  it('reads a Retry-After HTTP-date', async () => {
    const inThirtySeconds = new Date(Date.now() + 30_000).toUTCString();
    server.use(
      http.post(URL, () =>
        HttpResponse.json(errors.rate_limit, { status: 429, headers: { 'retry-after': inThirtySeconds } }),
      ),
    );
    const error = await rejection(createAnthropicAdapter({ apiKey: KEY }).chat(request));
    expect(error.errorClass).toBe('rate_limit');
    // HTTP-dates have whole seconds, so the wait is between 29 and 30 seconds.
    expect(error.retryAfterMs).toBeGreaterThan(28_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('classes an overloaded_error event mid-stream as overloaded and keeps the tokens already reported', async () => {
    server.use(
      http.post(URL, () =>
        sseResponse([events[0]!, events[1]!, { event: 'error', data: errors.overloaded_event }]),
      ),
    );
    const error = await rejection(createAnthropicAdapter({ apiKey: KEY }).chat(request));
    expect(error).toMatchObject({ errorClass: 'overloaded', status: undefined });
    expect(error.usage).toEqual({
      inputTokens: 25,
      cacheReadTokens: 3400,
      cacheWriteTokens: 1200,
      outputTokens: 1,
      reasoningTokens: 0,
    });
  });

  it.each([
    [
      'an event that is not JSON',
      () => sseResponse([events[0]!, { event: 'content_block_delta', data: '{"type":"content_blo' }]),
    ],
    [
      'an HTML page with status 200',
      () => new HttpResponse('<html>upstream error</html>', { headers: { 'content-type': 'text/html' } }),
    ],
    ['a stream without message_stop', () => sseResponse(events.slice(0, 9))],
  ])('classes %s as server', async (_name, respond) => {
    server.use(http.post(URL, respond));
    const error = await rejection(createAnthropicAdapter({ apiKey: KEY }).chat(request));
    expect(error.errorClass).toBe('server');
  });

  it('classes a failed connection as network', async () => {
    server.use(http.post(URL, () => HttpResponse.error()));
    expect((await rejection(createAnthropicAdapter({ apiKey: KEY }).chat(request))).errorClass).toBe(
      'network',
    );
  });

  it('fails with timeout when no answer comes within timeoutMs', async () => {
    server.use(
      http.post(URL, async () => {
        await release.opened;
        return sseResponse(events);
      }),
    );
    const error = await rejection(
      createAnthropicAdapter({ apiKey: KEY }).chat({ ...request, timeoutMs: 50 }),
    );
    expect(error.errorClass).toBe('timeout');
  });

  it('fails with timeout when the stream stalls after the first events', async () => {
    const encoder = new TextEncoder();
    server.use(
      http.post(URL, () => {
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(
              encoder.encode(`event: message_start\ndata: ${JSON.stringify(events[0]!.data)}\n\n`),
            );
            await release.opened;
            controller.close();
          },
        });
        return new HttpResponse(body, { headers: SSE_HEADERS });
      }),
    );
    const error = await rejection(
      createAnthropicAdapter({ apiKey: KEY }).chat({ ...request, timeoutMs: 50 }),
    );
    expect(error.errorClass).toBe('timeout');
  });

  it('fails with cancelled when the caller aborts', async () => {
    const arrived = createGate();
    server.use(
      http.post(URL, async () => {
        arrived.open();
        await release.opened;
        return sseResponse(events);
      }),
    );
    const controller = new AbortController();
    const call = createAnthropicAdapter({ apiKey: KEY }).chat({ ...request, signal: controller.signal });
    await arrived.opened;
    controller.abort();
    expect((await rejection(call)).errorClass).toBe('cancelled');
  });

  it('sends requests to the configured base URL and through the configured fetch', async () => {
    let seen = 0;
    server.use(http.post('https://proxy.example.test/anthropic/v1/messages', () => sseResponse(events)));
    const result = await createAnthropicAdapter({
      apiKey: KEY,
      baseUrl: 'https://proxy.example.test/anthropic',
      fetch: (input, init) => {
        seen++;
        return fetch(input, init);
      },
    }).chat(request);
    expect(result.finishReason).toBe('stop');
    expect(seen).toBe(1);
  });

  it('fails with a ProviderConfigError naming ANTHROPIC_API_KEY before any network call', async () => {
    let calls = 0;
    server.use(
      http.post(URL, () => {
        calls++;
        return sseResponse(events);
      }),
    );
    const call = createAnthropicAdapter({}).chat(request);
    await expect(call).rejects.toBeInstanceOf(ProviderConfigError);
    await expect(call).rejects.toMatchObject({ provider: 'anthropic', setting: 'ANTHROPIC_API_KEY' });
    expect(calls).toBe(0);
  });
});
