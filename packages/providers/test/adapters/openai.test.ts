import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createOpenAiAdapter } from '../../src/adapters/openai.ts';
import { type ChatRequest, ProviderConfigError } from '../../src/types.ts';
import chatStream from './fixtures/openai-chat-stream.json' with { type: 'json' };
import errors from './fixtures/openai-errors.json' with { type: 'json' };
import { copy, createGate, rejection, SSE_HEADERS, sseResponse } from './wire.ts';

const URL = 'https://api.openai.com/v1/chat/completions';
const KEY = 'sk-test-openai-1234';
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
};

const request: ChatRequest = {
  provider: 'openai',
  model: 'gpt-4o',
  system: 'Answer in JSON.',
  messages: [
    { role: 'user', content: 'What is the capital of France?' },
    { role: 'assistant', content: 'In which format?' },
    { role: 'user', content: 'JSON, please.' },
  ],
  temperature: 0.3,
  maxTokens: 256,
  jsonSchema: { name: 'answer summary', schema },
  timeoutMs: 10_000,
};

const streamEvents = (chunks: unknown[] = chatStream) => [
  ...chunks.map((data) => ({ data })),
  { data: '[DONE]' },
];

describe('openai adapter', () => {
  it('sends the system prompt, messages, temperature, max tokens and JSON schema, and reads the streamed answer', async () => {
    let body: unknown;
    let authorization: string | null = null;
    server.use(
      http.post(URL, async ({ request: req }) => {
        body = await req.json();
        authorization = req.headers.get('authorization');
        return sseResponse(streamEvents());
      }),
    );

    const result = await createOpenAiAdapter({ apiKey: KEY }).chat(request);

    expect(authorization).toBe(`Bearer ${KEY}`);
    expect(body).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Answer in JSON.' },
        { role: 'user', content: 'What is the capital of France?' },
        { role: 'assistant', content: 'In which format?' },
        { role: 'user', content: 'JSON, please.' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.3,
      max_completion_tokens: 256,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer_summary', schema, strict: false },
      },
    });
    expect(result).toMatchObject({
      text: '{"summary":"Paris is the capital of France."}',
      finishReason: 'stop',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
    });
    // prompt 2006 includes 1920 cached; completion 300 includes 192 reasoning.
    expect(result.usage).toEqual({
      inputTokens: 86,
      cacheReadTokens: 1920,
      cacheWriteTokens: 0,
      outputTokens: 108,
      reasoningTokens: 192,
    });
    expect(result.timeToFirstTokenMs).toEqual(expect.any(Number));
    expect(result.latencyMs).toBeGreaterThanOrEqual(result.timeToFirstTokenMs ?? 0);
  });

  it('leaves out what the request does not set', async () => {
    let body: Record<string, unknown> = {};
    server.use(
      http.post(URL, async ({ request: req }) => {
        body = (await req.json()) as Record<string, unknown>;
        return sseResponse(streamEvents());
      }),
    );
    await createOpenAiAdapter({ apiKey: KEY }).chat({
      provider: 'openai',
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(body.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(Object.keys(body).sort()).toEqual(['messages', 'model', 'stream', 'stream_options']);
  });

  it.each([
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['tool_calls', 'tool_calls'],
  ] as const)('maps finish_reason %s to %s', async (wire, expected) => {
    const chunks = copy(chatStream);
    chunks[3]!.choices[0]!.finish_reason = wire;
    server.use(http.post(URL, () => sseResponse(streamEvents(chunks))));
    const result = await createOpenAiAdapter({ apiKey: KEY }).chat(request);
    expect(result.finishReason).toBe(expected);
  });

  it('returns a refusal as the text with finish reason content_filter', async () => {
    const chunks = [
      {
        ...copy(chatStream[0]!),
        choices: [{ index: 0, delta: { refusal: "I'm sorry, I can't help with that." } }],
      },
      copy(chatStream[3]!),
      copy(chatStream[4]!),
    ];
    server.use(http.post(URL, () => sseResponse(streamEvents(chunks))));
    const result = await createOpenAiAdapter({ apiKey: KEY }).chat(request);
    expect(result).toMatchObject({
      text: "I'm sorry, I can't help with that.",
      finishReason: 'content_filter',
    });
  });

  it('reports no usage (not zero usage) when a gateway drops the usage chunk', async () => {
    server.use(http.post(URL, () => sseResponse(streamEvents(chatStream.slice(0, 4)))));
    const result = await createOpenAiAdapter({ apiKey: KEY }).chat(request);
    expect(result.text).not.toBe('');
    expect(result.usage).toBeNull();
  });

  it.each([
    {
      name: '429 with Retry-After seconds',
      status: 429,
      body: errors.rate_limit,
      headers: { 'retry-after': '7' },
      errorClass: 'rate_limit',
      retryAfterMs: 7000,
    },
    {
      name: '429 with retry-after-ms',
      status: 429,
      body: errors.rate_limit,
      headers: { 'retry-after-ms': '1500', 'retry-after': '2' },
      errorClass: 'rate_limit',
      retryAfterMs: 1500,
    },
    {
      name: '500',
      status: 500,
      body: errors.server,
      headers: {},
      errorClass: 'server',
      retryAfterMs: undefined,
    },
    {
      name: '503',
      status: 503,
      body: errors.overloaded,
      headers: { 'retry-after': '3' },
      errorClass: 'overloaded',
      retryAfterMs: 3000,
    },
    {
      name: '400 context_length_exceeded',
      status: 400,
      body: errors.context_length,
      headers: {},
      errorClass: 'context_window',
      retryAfterMs: undefined,
    },
    {
      name: '401 invalid_api_key',
      status: 401,
      body: errors.auth,
      headers: {},
      errorClass: 'auth',
      retryAfterMs: undefined,
    },
    {
      name: '400 content_policy_violation',
      status: 400,
      body: errors.content_policy,
      headers: {},
      errorClass: 'content_policy',
      retryAfterMs: undefined,
    },
    {
      name: '404 model_not_found',
      status: 404,
      body: errors.model_not_found,
      headers: {},
      errorClass: 'invalid_request',
      retryAfterMs: undefined,
    },
  ])('classifies $name as $errorClass', async ({ status, body, headers, errorClass, retryAfterMs }) => {
    server.use(http.post(URL, () => HttpResponse.json(body, { status, headers })));
    const error = await rejection(createOpenAiAdapter({ apiKey: KEY }).chat(request));
    expect(error).toMatchObject({ provider: 'openai', model: 'gpt-4o', errorClass, status, retryAfterMs });
    expect(error.message).toContain(body.error.message);
  });

  it('redacts the key it sent from an error body that echoes it, in the message and the cause', async () => {
    const key = 'not-shaped-like-a-key-but-secret';
    server.use(
      http.post(URL, () =>
        HttpResponse.json(
          {
            error: {
              message: `Incorrect API key provided: ${key}.`,
              type: 'invalid_request_error',
              code: 'invalid_api_key',
              param: null,
            },
          },
          { status: 401 },
        ),
      ),
    );
    const error = await rejection(createOpenAiAdapter({ apiKey: ` ${key}\n` }).chat(request));
    expect(error).toMatchObject({ errorClass: 'auth', status: 401 });
    expect(error.message).toContain('Incorrect API key provided: [redacted].');
    const cause = error.cause as Error;
    expect(cause.message).toContain('[redacted]');
    expect(
      JSON.stringify({ message: error.message, cause: cause.message, stack: error.stack }),
    ).not.toContain(key);
  });

  it('classes an error event inside a 200 stream as server, without an HTTP status', async () => {
    server.use(
      http.post(URL, () =>
        sseResponse([{ data: chatStream[0] }, { data: errors.mid_stream }, { data: '[DONE]' }]),
      ),
    );
    const error = await rejection(createOpenAiAdapter({ apiKey: KEY }).chat(request));
    expect(error).toMatchObject({ errorClass: 'server', status: undefined });
  });

  it.each([
    [
      'a chunk that is not JSON',
      () => sseResponse([{ data: chatStream[0] }, { data: '{"id":"chatcmpl-1","choices":[{"ind' }]),
    ],
    [
      'an HTML page with status 200',
      () =>
        new HttpResponse('<html><body>502 Bad Gateway</body></html>', {
          headers: { 'content-type': 'text/html' },
        }),
    ],
    [
      'a stream cut off before the finish',
      () => sseResponse(streamEvents(chatStream.slice(0, 2)).slice(0, 2)),
    ],
  ])('classes %s as server', async (_name, respond) => {
    server.use(http.post(URL, respond));
    const error = await rejection(createOpenAiAdapter({ apiKey: KEY }).chat(request));
    expect(error.errorClass).toBe('server');
  });

  it('classes a failed connection as network', async () => {
    server.use(http.post(URL, () => HttpResponse.error()));
    const error = await rejection(createOpenAiAdapter({ apiKey: KEY }).chat(request));
    expect(error.errorClass).toBe('network');
  });

  it('fails with timeout when no answer comes within timeoutMs', async () => {
    server.use(
      http.post(URL, async () => {
        await release.opened;
        return sseResponse(streamEvents());
      }),
    );
    const error = await rejection(createOpenAiAdapter({ apiKey: KEY }).chat({ ...request, timeoutMs: 50 }));
    expect(error.errorClass).toBe('timeout');
    expect(error.message).toContain('50 ms');
  });

  it('fails with cancelled when the caller aborts while waiting for the answer', async () => {
    const arrived = createGate();
    server.use(
      http.post(URL, async () => {
        arrived.open();
        await release.opened;
        return sseResponse(streamEvents());
      }),
    );
    const controller = new AbortController();
    const call = createOpenAiAdapter({ apiKey: KEY }).chat({ ...request, signal: controller.signal });
    await arrived.opened;
    controller.abort();
    expect((await rejection(call)).errorClass).toBe('cancelled');
  });

  it('fails with cancelled when the caller aborts mid-stream (the SDK ends the stream quietly)', async () => {
    const headersArrived = createGate();
    const encoder = new TextEncoder();
    server.use(
      http.post(URL, () => {
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(chatStream[1])}\n\n`));
            await release.opened;
            controller.close();
          },
        });
        return new HttpResponse(body, { headers: SSE_HEADERS });
      }),
    );
    const controller = new AbortController();
    const adapter = createOpenAiAdapter({
      apiKey: KEY,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        headersArrived.open();
        return response;
      },
    });
    const call = adapter.chat({ ...request, signal: controller.signal });
    await headersArrived.opened;
    controller.abort();
    expect((await rejection(call)).errorClass).toBe('cancelled');
  });

  it('refuses an already-aborted call without sending it', async () => {
    let calls = 0;
    server.use(
      http.post(URL, () => {
        calls++;
        return sseResponse(streamEvents());
      }),
    );
    const error = await rejection(
      createOpenAiAdapter({ apiKey: KEY }).chat({ ...request, signal: AbortSignal.abort() }),
    );
    expect(error.errorClass).toBe('cancelled');
    expect(calls).toBe(0);
  });

  it('sends requests to the configured base URL and through the configured fetch', async () => {
    let seen = 0;
    server.use(
      http.post('https://llm-gateway.example.test/openai/v1/chat/completions', () =>
        sseResponse(streamEvents()),
      ),
    );
    const adapter = createOpenAiAdapter({
      apiKey: KEY,
      baseUrl: 'https://llm-gateway.example.test/openai/v1/',
      fetch: (input, init) => {
        seen++;
        return fetch(input, init);
      },
    });
    const result = await adapter.chat(request);
    expect(result.text).toBe('{"summary":"Paris is the capital of France."}');
    expect(seen).toBe(1);
  });

  it('fails with a ProviderConfigError naming OPENAI_API_KEY before any network call', async () => {
    let calls = 0;
    server.use(
      http.post(URL, () => {
        calls++;
        return sseResponse(streamEvents());
      }),
    );
    for (const apiKey of [undefined, '', '   ']) {
      const call = createOpenAiAdapter({ apiKey }).chat(request);
      await expect(call).rejects.toBeInstanceOf(ProviderConfigError);
      await expect(call).rejects.toMatchObject({ provider: 'openai', setting: 'OPENAI_API_KEY' });
      await expect(call).rejects.toThrow(/OPENAI_API_KEY/);
    }
    expect(calls).toBe(0);
  });

  it('fails with a ProviderConfigError naming OPENAI_BASE_URL for a base URL that is not http(s)', async () => {
    const call = createOpenAiAdapter({ apiKey: KEY, baseUrl: 'ftp://example.test' }).chat(request);
    await expect(call).rejects.toMatchObject({ provider: 'openai', setting: 'OPENAI_BASE_URL' });
  });
});
