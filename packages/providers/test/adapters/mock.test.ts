import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createMockAdapter,
  MOCK_CALL_LOG_LIMIT,
  MOCK_DEFAULT_HANG_MS,
  type MockCall,
  mockCallLog,
} from '../../src/adapters/mock.ts';
import type { ChatRequest } from '../../src/types.ts';
import { rejection } from './wire.ts';

const ask = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  provider: 'mock',
  model,
  system: 'Be brief.',
  messages: [
    { role: 'user', content: 'first question' },
    { role: 'assistant', content: 'an answer' },
    { role: 'user', content: 'What is the capital of France?' },
  ],
  ...extra,
});

beforeEach(() => mockCallLog.clear());
afterEach(() => vi.useRealTimers());

describe('mock provider', () => {
  it('echo replies with the last user message and counts tokens from text length', async () => {
    const result = await createMockAdapter().chat(ask('echo'));
    expect(result).toEqual({
      text: 'What is the capital of France?',
      finishReason: 'stop',
      provider: 'mock',
      model: 'echo',
      // 9 + 14 + 9 + 30 = 62 characters in → 16 tokens; 30 characters out → 8 tokens.
      usage: {
        inputTokens: 16,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: 8,
        reasoningTokens: 0,
      },
      latencyMs: expect.any(Number),
      timeToFirstTokenMs: null,
    });
  });

  it.each(['', 'mock', ' echo '])('treats %j as echo', async (model) => {
    expect((await createMockAdapter().chat(ask(model))).text).toBe('What is the capital of France?');
  });

  it('counts at least one token each way', async () => {
    const result = await createMockAdapter().chat({
      provider: 'mock',
      model: 'echo',
      messages: [{ role: 'user', content: '' }],
    });
    expect(result.usage).toMatchObject({ inputTokens: 1, outputTokens: 1 });
  });

  it('gives the same answer and usage for the same request', async () => {
    const [a, b] = await Promise.all([
      createMockAdapter().chat(ask('echo')),
      createMockAdapter().chat(ask('echo')),
    ]);
    expect(a.text).toBe(b.text);
    expect(a.usage).toEqual(b.usage);
  });

  it('template:<text> replies with the text, commas included, and fills {{input}}', async () => {
    const result = await createMockAdapter().chat(ask('delay:0,template:Answer, in short: {{input}}'));
    expect(result.text).toBe('Answer, in short: What is the capital of France?');
  });

  it('answers a JSON schema request with a value built from the schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        verdict: { enum: ['ok', 'revise'] },
        summary: { type: 'string', maxLength: 12 },
        score: { type: 'integer', minimum: 1 },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
        final: { type: 'boolean' },
        note: { type: ['string', 'null'], minLength: 40 },
      },
      required: ['verdict', 'summary'],
    };
    const result = await createMockAdapter().chat(ask('echo', { jsonSchema: { name: 'review', schema } }));
    expect(JSON.parse(result.text)).toEqual({
      verdict: 'ok',
      summary: 'What is the ',
      score: 1,
      tags: ['What is the capital of France?'],
      final: false,
      note: 'What is the capital of France?..........',
    });
  });

  it('cuts a reply longer than maxTokens and finishes with length', async () => {
    const result = await createMockAdapter().chat(ask('echo', { maxTokens: 2 }));
    expect(result).toMatchObject({ text: 'What is ', finishReason: 'length', usage: { outputTokens: 2 } });
  });

  it.each([
    ['fail', 'server', 500],
    ['fail:500', 'server', 500],
    ['fail:429', 'rate_limit', 429],
    ['fail:503', 'overloaded', 503],
    ['fail:529', 'overloaded', 529],
    ['fail:context', 'context_window', 400],
    ['fail:invalid', 'invalid_request', 400],
    ['fail:auth', 'auth', 401],
    ['fail:content', 'content_policy', 400],
    ['fail:network', 'network', undefined],
  ])('%s fails with %s', async (model, errorClass, status) => {
    const error = await rejection(createMockAdapter().chat(ask(model)));
    expect(error).toMatchObject({ provider: 'mock', model, errorClass, status, retryAfterMs: undefined });
  });

  it('fail:429:<ms> carries a retry-after hint', async () => {
    const error = await rejection(createMockAdapter().chat(ask('fail:429:250')));
    expect(error).toMatchObject({ errorClass: 'rate_limit', retryAfterMs: 250 });
  });

  it('fail:timeout fails as timeout when the request times out', async () => {
    const error = await rejection(createMockAdapter().chat(ask('fail:timeout', { timeoutMs: 20 })));
    expect(error.errorClass).toBe('timeout');
  });

  it('fail:timeout without a request timeout gives up after the default hang', async () => {
    vi.useFakeTimers();
    const call = rejection(createMockAdapter().chat(ask('fail:timeout')));
    await vi.advanceTimersByTimeAsync(MOCK_DEFAULT_HANG_MS);
    expect((await call).errorClass).toBe('timeout');
  });

  it('delay:<ms> answers after the delay', async () => {
    vi.useFakeTimers();
    let settled = false;
    const call = createMockAdapter()
      .chat(ask('delay:5000'))
      .finally(() => {
        settled = true;
      });
    await vi.advanceTimersByTimeAsync(4999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await call).text).toBe('What is the capital of France?');
  });

  it('delay longer than the request timeout fails as timeout', async () => {
    const error = await rejection(createMockAdapter().chat(ask('delay:600000', { timeoutMs: 20 })));
    expect(error.errorClass).toBe('timeout');
  });

  it('a caller abort during the delay fails as cancelled', async () => {
    const controller = new AbortController();
    const call = createMockAdapter().chat(ask('delay:600000', { signal: controller.signal }));
    controller.abort();
    expect((await rejection(call)).errorClass).toBe('cancelled');
  });

  it('an already-aborted call fails as cancelled', async () => {
    const error = await rejection(createMockAdapter().chat(ask('echo', { signal: AbortSignal.abort() })));
    expect(error.errorClass).toBe('cancelled');
  });

  describe('flaky:<p>[:<seed>]', () => {
    const pattern = async (model: string, request: Partial<ChatRequest> = {}, calls = 24) => {
      const adapter = createMockAdapter();
      let out = '';
      for (let i = 0; i < calls; i++) {
        out += await adapter.chat(ask(model, request)).then(
          () => '.',
          (error: { errorClass: string; status: number }) =>
            error.errorClass === 'server' && error.status === 500 ? 'x' : '?',
        );
      }
      return out;
    };

    it('gives the same sequence of failures from a fresh adapter, with both outcomes for p = 0.5', async () => {
      const first = await pattern('flaky:0.5:42');
      expect(await pattern('flaky:0.5:42')).toBe(first);
      expect(first).toMatch(/x/);
      expect(first).toMatch(/\./);
      expect(first).not.toMatch(/\?/);
    });

    it('changes the sequence with the seed and with the request content', async () => {
      const base = await pattern('flaky:0.5:42');
      expect(await pattern('flaky:0.5:43')).not.toBe(base);
      expect(await pattern('flaky:0.5:42', { system: 'Be thorough.' })).not.toBe(base);
    });

    it('never fails at p = 0 and always fails at p = 1', async () => {
      expect(await pattern('flaky:0', {}, 10)).toBe('.'.repeat(10));
      expect(await pattern('flaky:1', {}, 10)).toBe('x'.repeat(10));
    });

    it('combines with delay', async () => {
      expect(await pattern('delay:1,flaky:1', {}, 2)).toBe('xx');
    });
  });

  it.each([
    ['dealy:200', 'unknown directive "dealy:200"'],
    ['delay:soon', 'delay:soon'],
    ['fail:418', 'unknown failure "418"'],
    ['flaky:2', 'flaky:2'],
    ['echo:loud', 'echo:loud'],
  ])('refuses the malformed model %j as invalid_request', async (model, mentioned) => {
    const error = await rejection(createMockAdapter().chat(ask(model)));
    expect(error).toMatchObject({ errorClass: 'invalid_request', status: 400 });
    expect(error.message).toContain(mentioned);
  });

  it('logs every settled call for tests, and passes it to onCall', async () => {
    const seen: MockCall[] = [];
    const adapter = createMockAdapter({ onCall: (call) => seen.push(call) });
    await adapter.chat(ask('echo', { temperature: 0.2, maxTokens: 100 }));
    await rejection(adapter.chat(ask('fail:529')));

    const entries = mockCallLog.entries();
    expect(entries).toHaveLength(2);
    expect(seen).toEqual(entries);
    expect(entries[0]).toMatchObject({
      model: 'echo',
      system: 'Be brief.',
      temperature: 0.2,
      maxTokens: 100,
      messages: ask('echo').messages,
      outcome: { ok: true, text: 'What is the capital of France?', finishReason: 'stop' },
    });
    expect(entries[1]).toMatchObject({ model: 'fail:529', outcome: { ok: false, errorClass: 'overloaded' } });

    mockCallLog.clear();
    expect(mockCallLog.entries()).toEqual([]);
  });

  it(`keeps only the last ${MOCK_CALL_LOG_LIMIT} calls`, async () => {
    const adapter = createMockAdapter();
    for (let i = 0; i < MOCK_CALL_LOG_LIMIT + 5; i++) {
      await adapter.chat({
        provider: 'mock',
        model: 'echo',
        messages: [{ role: 'user', content: `call ${i}` }],
      });
    }
    const entries = mockCallLog.entries();
    expect(entries).toHaveLength(MOCK_CALL_LOG_LIMIT);
    expect(entries[0]?.messages[0]?.content).toBe('call 5');
  });
});
