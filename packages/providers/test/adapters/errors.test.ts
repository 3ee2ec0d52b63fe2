import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  parseDurationMs,
  parseRetryAfter,
  providerError,
  withoutSecrets,
} from '../../src/adapters/errors.ts';

describe('withoutSecrets', () => {
  it('redacts known secrets and credential shapes from the message and the cause, keeping the facts', () => {
    const cause = Object.assign(new Error('401 Incorrect API key provided: gw-secret-123456'), {
      name: 'AuthenticationError',
    });
    const error = providerError({
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      errorClass: 'auth',
      status: 401,
      retryAfterMs: 5,
      detail: `key gw-secret-123456 and sk-ant-api03-${'x1'.repeat(20)} rejected`,
      cause,
    });
    const clean = withoutSecrets(error, ['gw-secret-123456']);
    expect(clean.message).toBe(
      'Anthropic claude-sonnet-4-5: auth 401 — key [redacted] and sk-ant-api03-[redacted] rejected',
    );
    expect(clean).toMatchObject({ provider: 'anthropic', errorClass: 'auth', status: 401, retryAfterMs: 5 });
    expect(clean.cause).toBeInstanceOf(Error);
    expect((clean.cause as Error).name).toBe('AuthenticationError');
    expect((clean.cause as Error).message).toBe('401 Incorrect API key provided: [redacted]');
  });
});

describe('retry hints', () => {
  const now = Date.parse('2026-11-20T12:00:00Z');
  const headers = (init: Record<string, string>) => new Headers(init);

  it('reads Retry-After as seconds, retry-after-ms first, and HTTP-dates relative to now', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(parseRetryAfter(headers({ 'retry-after': '1.5' }), now)).toBe(1500);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '250', 'retry-after': '7' }), now)).toBe(250);
    expect(parseRetryAfter(headers({ 'retry-after': 'Fri, 20 Nov 2026 12:00:30 GMT' }), now)).toBe(30_000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Fri, 20 Nov 2026 11:59:00 GMT' }), now)).toBe(0);
  });

  it('ignores absent or unparseable hints', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter(headers({}), now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after': '-3' }), now)).toBeUndefined();
    expect(parseRetryAfter(headers({ 'retry-after-ms': 'abc', 'retry-after': '2' }), now)).toBe(2000);
  });

  it('reads protobuf durations from Google RetryInfo', () => {
    expect(parseDurationMs('26s')).toBe(26_000);
    expect(parseDurationMs('0.25s')).toBe(250);
    expect(parseDurationMs('26')).toBeUndefined();
    expect(parseDurationMs(26)).toBeUndefined();
  });
});

describe('failure classes', () => {
  it.each([
    [{ status: 429 }, 'rate_limit'],
    [{ codes: ['RESOURCE_EXHAUSTED'] }, 'rate_limit'],
    [{ status: 529 }, 'overloaded'],
    [{ status: 503 }, 'overloaded'],
    [{ codes: ['overloaded_error'] }, 'overloaded'],
    [{ status: 408 }, 'timeout'],
    [{ status: 504, codes: ['DEADLINE_EXCEEDED'] }, 'timeout'],
    [{ status: 500 }, 'server'],
    [{ status: 502 }, 'server'],
    [{ status: 401 }, 'auth'],
    [{ status: 402, codes: ['billing_error'] }, 'auth'],
    [{ status: 429, codes: ['insufficient_quota'] }, 'auth'],
    [{ status: 403 }, 'auth'],
    [{ status: 400, codes: ['INVALID_ARGUMENT', 'API_KEY_INVALID'] }, 'auth'],
    [{ status: 400, codes: ['context_length_exceeded'] }, 'context_window'],
    [{ status: 400, message: 'prompt is too long: 208310 tokens > 200000 maximum' }, 'context_window'],
    [
      {
        status: 400,
        message: 'The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).',
      },
      'context_window',
    ],
    [{ status: 400, codes: ['content_policy_violation'] }, 'content_policy'],
    [{ status: 400 }, 'invalid_request'],
    [{ status: 404 }, 'invalid_request'],
    [{ status: 422 }, 'invalid_request'],
    [{ codes: ['invalid_request_error'] }, 'invalid_request'],
    [{ codes: ['api_error'] }, 'server'],
    [{}, 'server'],
  ] as const)('%j → %s', (facts, expected) => {
    expect(classifyFailure(facts)).toBe(expected);
  });
});
