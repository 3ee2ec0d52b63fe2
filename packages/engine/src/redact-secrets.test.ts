import { describe, expect, it } from 'vitest';
import {
  createSecretRedactor,
  hasCredentialShape,
  REDACTED,
  redactSecrets,
  redactSecretsDeep,
  redactSecretsInJson,
} from './redact-secrets.ts';

const OPENAI = `sk-${'A1b2C3d4E5f6G7h8I9j0'.repeat(2)}`;
const PROJECT = `sk-proj-${'Zx9_Yw8-Vu7'.repeat(8)}`;
const ANTHROPIC = `sk-ant-api03-${'q1W2e3R4t5Y6'.repeat(8)}-AA`;
const GOOGLE = `AIza${'SyB1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q'}`;
const WHSEC = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('redactSecrets by shape', () => {
  it.each([
    ['OpenAI key', `Incorrect API key provided: ${OPENAI}.`, 'Incorrect API key provided: sk-[redacted].'],
    ['project key', `key ${PROJECT} is invalid`, 'key sk-proj-[redacted] is invalid'],
    ['Anthropic key', `x-api-key: ${ANTHROPIC}`, 'x-api-key: sk-ant-api03-[redacted]'],
    [
      'Google key',
      `https://g.example/v1?key=${GOOGLE}&alt=sse`,
      'https://g.example/v1?key=AIza[redacted]&alt=sse',
    ],
    ['webhook secret', `secret=${WHSEC}`, 'secret=whsec_[redacted]'],
    [
      'Bearer JWT',
      'Authorization: Bearer eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl',
      'Authorization: Bearer [redacted]',
    ],
    ['bearer with key', `bearer ${OPENAI}`, 'bearer [redacted]'],
    ['Basic credentials', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [redacted]'],
    ['SWARM API token', `token swt_${'a'.repeat(43)}`, 'token swt_[redacted]'],
    ['GitHub token', `ghp_${'a1'.repeat(18)} leaked`, '[redacted] leaked'],
    ['AWS key id', 'AKIAIOSFODNN7EXAMPLE', '[redacted]'],
    ['key in quotes', `"${OPENAI}"`, '"sk-[redacted]"'],
  ])('%s', (_name, input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
    expect(hasCredentialShape(input)).toBe(true);
  });

  it.each([
    'The task-management-system-2024 is ready',
    'risk-assessment-framework-v2 done',
    'sk-learn-is-a-library-name',
    'Bearer responsibility for the outcome',
    'the bearer of bad news',
    'Basic configuration options apply',
    'Basic 101',
    'ask-me-anything-2024-edition-live',
    'AIza is too short',
    'whsec_short',
    'disk-0123456789abcdef0123 is a volume name',
  ])('leaves ordinary text alone: %s', (text) => {
    expect(redactSecrets(text)).toBe(text);
    expect(hasCredentialShape(text)).toBe(false);
  });

  it('finds keys after an escaped newline in JSON text, and keeps the JSON valid', () => {
    const line = JSON.stringify({ msg: 'failed', err: { message: `401 body:\n${OPENAI}\t${WHSEC}` } });
    const clean = redactSecretsInJson(line);
    expect(clean).not.toContain(OPENAI);
    expect(clean).not.toContain(WHSEC);
    expect(JSON.parse(clean).err.message).toBe('401 body:\nsk-[redacted]\twhsec_[redacted]');
  });

  it('finds a key after a percent-encoded byte', () => {
    expect(redactSecrets(`Bearer%20${OPENAI}`)).toBe('Bearer%20sk-[redacted]');
  });
});

describe('redactSecrets by value', () => {
  it('replaces an exact known secret whatever it looks like, also trimmed and percent-encoded', () => {
    const key = 'plain-looking/key+with spaces';
    const text = `echo: ${key} | ${encodeURIComponent(key)} | ${key.trim()}`;
    expect(redactSecrets(text, [` ${key} `])).toBe(`echo: ${REDACTED} | ${REDACTED} | ${REDACTED}`);
  });

  it('replaces the longest secret first and ignores short or missing ones', () => {
    expect(
      redactSecrets('abcdefgh-ijkl and abcdefgh', ['abcdefgh', 'abcdefgh-ijkl', 'abc', null, undefined]),
    ).toBe(`${REDACTED} and ${REDACTED}`);
    expect(redactSecrets('abc is fine', ['abc'])).toBe('abc is fine');
  });

  it('finds a JSON-escaped secret in JSON text', () => {
    const key = 'quote"and\\backslash-secret';
    const line = JSON.stringify({ msg: `got ${key}` });
    const clean = redactSecretsInJson(line, [key]);
    expect(JSON.parse(clean)).toEqual({ msg: `got ${REDACTED}` });
  });
});

describe('redactSecretsDeep', () => {
  it('redacts every string of a JSON value, keeping keys and unchanged branches', () => {
    const untouched = { a: [1, 'two', { three: true }] };
    const value = { untouched, nested: { list: [`x ${OPENAI}`, 'canary-value-1'] }, n: 3, d: null };
    const clean = redactSecretsDeep(value, ['canary-value-1']);
    expect(clean).toEqual({ untouched, nested: { list: ['x sk-[redacted]', REDACTED] }, n: 3, d: null });
    expect(clean.untouched).toBe(untouched);
    expect(value.nested.list[0]).toBe(`x ${OPENAI}`); // the input is not changed
  });

  it('returns the same object when nothing needs redacting', () => {
    const value = { a: 'hello', b: [1, 2] };
    expect(redactSecretsDeep(value)).toBe(value);
  });

  it('keeps a __proto__ key an own key', () => {
    const value = JSON.parse(`{"__proto__": {"k": "${OPENAI}"}}`);
    const clean = redactSecretsDeep(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(Object.hasOwn(clean, '__proto__')).toBe(true);
  });

  it('copies the keys before a changed value in their order, a __proto__ key among them', () => {
    const value = JSON.parse(`{"first": "plain", "__proto__": {"k": 1}, "later": "${OPENAI}", "last": [2]}`);
    const clean = redactSecretsDeep(value) as Record<string, unknown>;
    expect(Object.keys(clean)).toEqual(['first', '__proto__', 'later', 'last']);
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(clean, '__proto__')?.value).toEqual({ k: 1 });
    expect(clean).toMatchObject({ first: 'plain', later: 'sk-[redacted]', last: [2] });
    expect(clean.last).toBe(value.last);
  });
});

describe('createSecretRedactor', () => {
  it('redacts what it was told and what looks like a credential; pino hooks do the same on JSON lines', () => {
    const redactor = createSecretRedactor();
    redactor.remember('operator-key-not-shaped-123', undefined, 'short');
    expect(redactor.redact(`a operator-key-not-shaped-123 b ${OPENAI}`)).toBe(
      `a ${REDACTED} b sk-[redacted]`,
    );
    expect(redactor.redact('short stays')).toBe('short stays');
    const line = `${JSON.stringify({ msg: 'x', err: { message: 'operator-key-not-shaped-123' } })}\n`;
    expect(redactor.pinoHooks.streamWrite(line)).toBe(
      `${JSON.stringify({ msg: 'x', err: { message: REDACTED } })}\n`,
    );
    expect(redactor.redactDeep({ k: ['operator-key-not-shaped-123'] })).toEqual({ k: [REDACTED] });
  });

  it('keeps at most maxKnown secrets, the most recently remembered', () => {
    const redactor = createSecretRedactor({ maxKnown: 2 });
    redactor.remember('first-secret-1');
    redactor.remember('second-secret-2');
    redactor.remember('first-secret-1'); // used again: now the most recent
    redactor.remember('third-secret-3');
    expect(redactor.redact('first-secret-1 second-secret-2 third-secret-3')).toBe(
      `${REDACTED} second-secret-2 ${REDACTED}`,
    );
  });
});
