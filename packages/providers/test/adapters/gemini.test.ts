import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGeminiAdapter } from '../../src/adapters/gemini.ts';
import { type ChatRequest, ProviderConfigError } from '../../src/types.ts';
import errors from './fixtures/gemini-errors.json' with { type: 'json' };
import geminiStream from './fixtures/gemini-stream.json' with { type: 'json' };
import { copy, createGate, rejection, SSE_HEADERS, sseResponse } from './wire.ts';

const ROUTE = 'https://generativelanguage.googleapis.com/:version/models/:modelAction';
const KEY = 'AIza-test-gemini-9012';
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
  provider: 'gemini',
  model: 'gemini-2.5-flash',
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

const streamEvents = (chunks: unknown[] = geminiStream) => chunks.map((data) => ({ data }));

describe('gemini adapter', () => {
  it('calls streamGenerateContent with system instruction, contents, generation config and JSON schema', async () => {
    let body: Record<string, unknown> = {};
    let seen: { version?: string; modelAction?: string; alt?: string | null; key?: string | null } = {};
    server.use(
      http.post(ROUTE, async ({ request: req, params }) => {
        body = (await req.json()) as Record<string, unknown>;
        seen = {
          version: String(params.version),
          modelAction: String(params.modelAction),
          alt: new URL(req.url).searchParams.get('alt'),
          key: req.headers.get('x-goog-api-key'),
        };
        return sseResponse(streamEvents());
      }),
    );

    const result = await createGeminiAdapter({ apiKey: KEY }).chat(request);

    expect(seen).toEqual({
      version: 'v1beta',
      modelAction: 'gemini-2.5-flash:streamGenerateContent',
      alt: 'sse',
      key: KEY,
    });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'What is the capital of France?' }] },
      { role: 'model', parts: [{ text: 'In which format?' }] },
      { role: 'user', parts: [{ text: 'JSON, please.' }] },
    ]);
    expect(body.systemInstruction).toMatchObject({ parts: [{ text: 'Answer in JSON.' }] });
    expect(body.generationConfig).toEqual({
      temperature: 0.3,
      maxOutputTokens: 256,
      responseMimeType: 'application/json',
      responseJsonSchema: schema,
    });
    expect(result).toMatchObject({
      // The thought part is not part of the answer.
      text: '{"summary":"Paris is the capital of France."}',
      finishReason: 'stop',
      provider: 'gemini',
      model: 'gemini-2.5-flash',
    });
    // promptTokenCount 5200 includes 4096 cached; thoughts are reported apart from candidates.
    expect(result.usage).toEqual({
      inputTokens: 1104,
      cacheReadTokens: 4096,
      cacheWriteTokens: 0,
      outputTokens: 42,
      reasoningTokens: 258,
    });
    expect(result.timeToFirstTokenMs).toEqual(expect.any(Number));
  });

  it('leaves out what the request does not set', async () => {
    let body: Record<string, unknown> = {};
    server.use(
      http.post(ROUTE, async ({ request: req }) => {
        body = (await req.json()) as Record<string, unknown>;
        return sseResponse(streamEvents());
      }),
    );
    await createGeminiAdapter({ apiKey: KEY }).chat({
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(body.systemInstruction).toBeUndefined();
    expect(body.generationConfig ?? {}).toEqual({});
  });

  it.each([
    ['MAX_TOKENS', 'length'],
    ['SAFETY', 'content_filter'],
    ['RECITATION', 'content_filter'],
    ['OTHER', 'other'],
  ])('maps finishReason %s to %s', async (wire, expected) => {
    const chunks = copy(geminiStream);
    const last = chunks[2]!.candidates[0]!;
    if (!('finishReason' in last)) throw new Error('fixture: the last chunk carries the finishReason');
    last.finishReason = wire;
    server.use(http.post(ROUTE, () => sseResponse(streamEvents(chunks))));
    const result = await createGeminiAdapter({ apiKey: KEY }).chat(request);
    expect(result.finishReason).toBe(expected);
  });

  it('fails with content_policy when the prompt is blocked, keeping the prompt tokens', async () => {
    server.use(http.post(ROUTE, () => sseResponse([{ data: errors.prompt_blocked }])));
    const error = await rejection(createGeminiAdapter({ apiKey: KEY }).chat(request));
    expect(error.errorClass).toBe('content_policy');
    expect(error.message).toContain('PROHIBITED_CONTENT');
    expect(error.usage?.inputTokens).toBe(12);
  });

  it.each([
    {
      name: '429 with RetryInfo',
      status: 429,
      body: errors.rate_limit,
      headers: {},
      errorClass: 'rate_limit',
      retryAfterMs: 26_000,
    },
    {
      name: '429 with Retry-After',
      status: 429,
      body: errors.rate_limit,
      headers: { 'retry-after': '9' },
      errorClass: 'rate_limit',
      retryAfterMs: 9000,
    },
    {
      name: '503 UNAVAILABLE',
      status: 503,
      body: errors.overloaded,
      headers: {},
      errorClass: 'overloaded',
      retryAfterMs: undefined,
    },
    {
      name: '500 INTERNAL',
      status: 500,
      body: errors.server,
      headers: {},
      errorClass: 'server',
      retryAfterMs: undefined,
    },
    {
      name: '400 input token count',
      status: 400,
      body: errors.context_length,
      headers: {},
      errorClass: 'context_window',
      retryAfterMs: undefined,
    },
    {
      name: '400 API_KEY_INVALID',
      status: 400,
      body: errors.auth,
      headers: {},
      errorClass: 'auth',
      retryAfterMs: undefined,
    },
    {
      name: '404 NOT_FOUND',
      status: 404,
      body: errors.model_not_found,
      headers: {},
      errorClass: 'invalid_request',
      retryAfterMs: undefined,
    },
  ])('classifies $name as $errorClass', async ({ status, body, headers, errorClass, retryAfterMs }) => {
    server.use(http.post(ROUTE, () => HttpResponse.json(body, { status, headers })));
    const error = await rejection(createGeminiAdapter({ apiKey: KEY }).chat(request));
    expect(error).toMatchObject({ provider: 'gemini', errorClass, status, retryAfterMs });
    expect(error.message).toContain(body.error.message);
  });

  it('classes an error response whose body is not JSON by its status', async () => {
    server.use(
      http.post(
        ROUTE,
        () =>
          new HttpResponse('{"error": {"code": 429, "message": "Resource exh', {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '4' },
          }),
      ),
    );
    const error = await rejection(createGeminiAdapter({ apiKey: KEY }).chat(request));
    expect(error).toMatchObject({ errorClass: 'rate_limit', status: 429, retryAfterMs: 4000 });
  });

  it('classes an HTML 502 from a proxy as server', async () => {
    server.use(
      http.post(
        ROUTE,
        () =>
          new HttpResponse('<html>Bad Gateway</html>', {
            status: 502,
            headers: { 'content-type': 'text/html' },
          }),
      ),
    );
    const error = await rejection(createGeminiAdapter({ apiKey: KEY }).chat(request));
    expect(error).toMatchObject({ errorClass: 'server', status: 502 });
  });

  it('classes an error chunk inside a 200 stream by its code', async () => {
    server.use(http.post(ROUTE, () => sseResponse([{ data: geminiStream[1] }, { data: errors.overloaded }])));
    const error = await rejection(createGeminiAdapter({ apiKey: KEY }).chat(request));
    expect(error.errorClass).toBe('overloaded');
  });

  it.each([
    [
      'a chunk that is not JSON',
      () => sseResponse([{ data: geminiStream[1] }, { data: '{"candidates":[{"content":' }]),
    ],
    ['a stream without a finishReason', () => sseResponse(streamEvents(geminiStream.slice(0, 2)))],
  ])('classes %s as server', async (_name, respond) => {
    server.use(http.post(ROUTE, respond));
    const error = await rejection(createGeminiAdapter({ apiKey: KEY }).chat(request));
    expect(error.errorClass).toBe('server');
  });

  it('classes a failed connection as network', async () => {
    server.use(http.post(ROUTE, () => HttpResponse.error()));
    expect((await rejection(createGeminiAdapter({ apiKey: KEY }).chat(request))).errorClass).toBe('network');
  });

  it('fails with timeout when no answer comes within timeoutMs', async () => {
    server.use(
      http.post(ROUTE, async () => {
        await release.opened;
        return sseResponse(streamEvents());
      }),
    );
    const error = await rejection(createGeminiAdapter({ apiKey: KEY }).chat({ ...request, timeoutMs: 50 }));
    expect(error.errorClass).toBe('timeout');
  });

  it('fails with cancelled when the caller aborts mid-stream', async () => {
    const headersArrived = createGate();
    const encoder = new TextEncoder();
    server.use(
      http.post(ROUTE, () => {
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(geminiStream[1])}\n\n`));
            await release.opened;
            controller.close();
          },
        });
        return new HttpResponse(body, { headers: SSE_HEADERS });
      }),
    );
    const controller = new AbortController();
    const call = createGeminiAdapter({
      apiKey: KEY,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        headersArrived.open();
        return response;
      },
    }).chat({ ...request, signal: controller.signal });
    await headersArrived.opened;
    controller.abort();
    expect((await rejection(call)).errorClass).toBe('cancelled');
  });

  it('sends requests to the configured base URL (httpOptions.baseUrl) and through the configured fetch', async () => {
    let seen = 0;
    server.use(
      http.post('https://gemini-proxy.example.test/google/:version/models/:modelAction', () =>
        sseResponse(streamEvents()),
      ),
    );
    const result = await createGeminiAdapter({
      apiKey: KEY,
      baseUrl: 'https://gemini-proxy.example.test/google',
      fetch: (input, init) => {
        seen++;
        return fetch(input, init);
      },
    }).chat(request);
    expect(result.finishReason).toBe('stop');
    expect(seen).toBe(1);
  });

  it('fails with a ProviderConfigError naming GEMINI_API_KEY before any network call', async () => {
    let calls = 0;
    server.use(
      http.post(ROUTE, () => {
        calls++;
        return sseResponse(streamEvents());
      }),
    );
    const call = createGeminiAdapter({ apiKey: '' }).chat(request);
    await expect(call).rejects.toBeInstanceOf(ProviderConfigError);
    await expect(call).rejects.toMatchObject({ provider: 'gemini', setting: 'GEMINI_API_KEY' });
    expect(calls).toBe(0);
  });
});
