/**
 * Answers that don't stream, on each provider's real wire format: a plain request when the adapter
 * is configured with `stream: false`, and a gateway answering a *streamed* request with one JSON
 * body (what many proxies and OpenAI-compatible servers do). Both are answers, with their usage.
 */
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../src/adapters/anthropic.ts';
import { createGeminiAdapter } from '../../src/adapters/gemini.ts';
import { createOpenAiAdapter } from '../../src/adapters/openai.ts';
import type { ChatRequest } from '../../src/types.ts';
import { rejection } from './wire.ts';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const ANSWER = '{"summary":"Paris is the capital of France."}';
const question = {
  messages: [{ role: 'user' as const, content: 'Capital of France, as JSON?' }],
  timeoutMs: 10_000,
};

/** A `chat.completion` object as OpenAI returns it without `stream`. */
const openAiCompletion = {
  id: 'chatcmpl-CZp1fXk2Qm8s7T4v0LwR9aYbN3cD',
  object: 'chat.completion',
  created: 1793510400,
  model: 'gpt-4o-2024-08-06',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: ANSWER, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage: {
    prompt_tokens: 2006,
    completion_tokens: 300,
    total_tokens: 2306,
    prompt_tokens_details: { cached_tokens: 1920, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 192,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  },
  service_tier: 'default',
  system_fingerprint: 'fp_f33640a400',
};
// prompt 2006 includes 1920 cached; completion 300 includes 192 reasoning.
const openAiUsage = {
  inputTokens: 86,
  cacheReadTokens: 1920,
  cacheWriteTokens: 0,
  outputTokens: 108,
  reasoningTokens: 192,
};

/** A `message` object as Anthropic returns it without `stream`. */
const anthropicMessage = {
  id: 'msg_01XFDUDYJgAACzvnptvVoYEL',
  type: 'message',
  role: 'assistant',
  model: 'claude-haiku-4-5-20251001',
  content: [
    { type: 'thinking', thinking: 'The user asks for the capital of France.', signature: 'EqQBCgIYAhIM1gbc' },
    { type: 'text', text: ANSWER, citations: null },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: {
    input_tokens: 25,
    cache_creation_input_tokens: 1200,
    cache_read_input_tokens: 3400,
    cache_creation: { ephemeral_5m_input_tokens: 1200, ephemeral_1h_input_tokens: 0 },
    output_tokens: 310,
    output_tokens_details: { thinking_tokens: 280 },
    server_tool_use: null,
    service_tier: 'standard',
  },
};
const anthropicUsage = {
  inputTokens: 25,
  cacheReadTokens: 3400,
  cacheWriteTokens: 1200,
  outputTokens: 30,
  reasoningTokens: 280,
};

/** A `GenerateContentResponse` as `generateContent` returns it. */
const geminiResponse = {
  candidates: [
    {
      content: {
        parts: [{ text: 'The capital of France is Paris.', thought: true }, { text: ANSWER }],
        role: 'model',
      },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: {
    promptTokenCount: 5200,
    candidatesTokenCount: 42,
    totalTokenCount: 5500,
    cachedContentTokenCount: 4096,
    thoughtsTokenCount: 258,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 5200 }],
    cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 4096 }],
  },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'mJv3aPzXKo2Gz7IPq9CrkQ4',
};
const geminiUsage = {
  inputTokens: 1104,
  cacheReadTokens: 4096,
  cacheWriteTokens: 0,
  outputTokens: 42,
  reasoningTokens: 258,
};

describe('openai without streaming', () => {
  const URL = 'https://api.openai.com/v1/chat/completions';
  const call: ChatRequest = { provider: 'openai', model: 'gpt-4o', ...question };

  it('sends a plain request when configured with stream: false, and reads the completion', async () => {
    let body: Record<string, unknown> = {};
    server.use(
      http.post(URL, async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(openAiCompletion);
      }),
    );
    const result = await createOpenAiAdapter({ apiKey: 'sk-test', stream: false }).chat(call);
    expect(body).not.toHaveProperty('stream');
    expect(body).not.toHaveProperty('stream_options');
    expect(result).toMatchObject({
      text: ANSWER,
      finishReason: 'stop',
      provider: 'openai',
      model: 'gpt-4o-2024-08-06',
      timeToFirstTokenMs: null,
    });
    expect(result.usage).toEqual(openAiUsage);
  });

  it('reads a JSON completion answering a streamed request as the answer', async () => {
    let body: Record<string, unknown> = {};
    server.use(
      http.post(URL, async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(openAiCompletion);
      }),
    );
    const result = await createOpenAiAdapter({ apiKey: 'sk-test' }).chat(call);
    expect(body.stream).toBe(true);
    expect(result).toMatchObject({ text: ANSWER, finishReason: 'stop', timeToFirstTokenMs: null });
    expect(result.usage).toEqual(openAiUsage);
  });

  it('fails a JSON answer with no finished choice as a server error, keeping its usage', async () => {
    server.use(http.post(URL, () => HttpResponse.json({ ...openAiCompletion, choices: [] })));
    const error = await rejection(createOpenAiAdapter({ apiKey: 'sk-test' }).chat(call));
    expect(error.errorClass).toBe('server');
    expect(error.message).toMatch(/incomplete: no finished choice/);
    expect(error.usage).toEqual(openAiUsage);
  });
});

describe('anthropic without streaming', () => {
  const URL = 'https://api.anthropic.com/v1/messages';
  const call: ChatRequest = { provider: 'anthropic', model: 'claude-haiku-4-5', ...question };

  it('sends stream: false when so configured (even for a large max_tokens), and reads the message', async () => {
    let body: Record<string, unknown> = {};
    server.use(
      http.post(URL, async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(anthropicMessage);
      }),
    );
    // 64k tokens: the SDK refuses a plain call this large unless a timeout is given.
    const result = await createAnthropicAdapter({ apiKey: 'sk-ant-test', stream: false }).chat({
      ...call,
      maxTokens: 64_000,
    });
    expect(body.stream).toBe(false);
    expect(result).toMatchObject({
      text: ANSWER,
      finishReason: 'stop',
      provider: 'anthropic',
      model: 'claude-haiku-4-5-20251001',
      timeToFirstTokenMs: null,
    });
    expect(result.usage).toEqual(anthropicUsage);
  });

  it('reads a JSON message answering a streamed request as the answer', async () => {
    let body: Record<string, unknown> = {};
    server.use(
      http.post(URL, async ({ request }) => {
        body = (await request.json()) as Record<string, unknown>;
        return HttpResponse.json(anthropicMessage, {
          headers: { 'content-type': 'application/json; charset=utf-8' },
        });
      }),
    );
    const result = await createAnthropicAdapter({ apiKey: 'sk-ant-test' }).chat(call);
    expect(body.stream).toBe(true);
    expect(result).toMatchObject({ text: ANSWER, finishReason: 'stop', timeToFirstTokenMs: null });
    expect(result.usage).toEqual(anthropicUsage);
  });
});

describe('gemini without streaming', () => {
  const ROUTE = 'https://generativelanguage.googleapis.com/v1beta/models/:modelAction';
  const call: ChatRequest = { provider: 'gemini', model: 'gemini-2.5-flash', ...question };

  it('calls generateContent when configured with stream: false, and reads the response', async () => {
    let action = '';
    server.use(
      http.post(ROUTE, ({ params }) => {
        action = String(params.modelAction);
        return HttpResponse.json(geminiResponse);
      }),
    );
    const result = await createGeminiAdapter({ apiKey: 'AIza-test', stream: false }).chat(call);
    expect(action).toBe('gemini-2.5-flash:generateContent');
    expect(result).toMatchObject({
      text: ANSWER,
      finishReason: 'stop',
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      timeToFirstTokenMs: null,
    });
    expect(result.usage).toEqual(geminiUsage);
  });

  it.each([
    ['one JSON response', geminiResponse],
    ['a JSON array of responses', [geminiResponse]],
  ])('reads %s answering a streamed request as the answer', async (_, answer) => {
    let action = '';
    server.use(
      http.post(ROUTE, ({ params }) => {
        action = String(params.modelAction);
        return HttpResponse.json(answer);
      }),
    );
    const result = await createGeminiAdapter({ apiKey: 'AIza-test' }).chat(call);
    expect(action).toBe('gemini-2.5-flash:streamGenerateContent');
    expect(result).toMatchObject({ text: ANSWER, finishReason: 'stop', timeToFirstTokenMs: null });
    expect(result.usage).toEqual(geminiUsage);
  });

  it('fails a JSON answer without a finishReason as incomplete', async () => {
    const unfinished = structuredClone(geminiResponse) as { candidates: Array<{ finishReason?: string }> };
    delete unfinished.candidates[0]!.finishReason;
    server.use(http.post(ROUTE, () => HttpResponse.json(unfinished)));
    const error = await rejection(createGeminiAdapter({ apiKey: 'AIza-test' }).chat(call));
    expect(error.errorClass).toBe('server');
    expect(error.message).toMatch(/incomplete: no finishReason/);
    expect(error.usage).toEqual(geminiUsage);
  });
});
