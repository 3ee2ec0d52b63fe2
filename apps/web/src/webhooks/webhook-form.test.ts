import { execFileSync } from 'node:child_process';
import { evaluateInThisThread, sampleWorkflowDefinition, validateRunInput } from '@swarm/engine';
import { describe, expect, test } from 'vitest';
import {
  callCountLabel,
  curlCommand,
  newWebhookDraft,
  parseAllowlist,
  pastedSecret,
  previewMapping as previewWith,
  samplePayload,
  webhookSettings,
} from './webhook-form.ts';

/** Runs a snippet with `curl` replaced by a function that prints its arguments, one per line. */
function dryRun(command: string, env: Record<string, string> = {}): string {
  return execFileSync('bash', ['-c', `curl() { printf '%s\\n' "$@"; }\n${command}`], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const url = 'http://127.0.0.1:3000/webhooks/0b6f3c1e-8a4e-4c55-9d43-0a0d2c1f6b11';
const secret = "whsec_dGVzdCBzZWNyZXQ='x";
const body = '{"name":"O\'Brien","n":1}';

describe('curlCommand', () => {
  test('signature: the placeholder version with SECRET set sends exactly what the real one sends', () => {
    const real = dryRun(curlCommand({ url, auth: 'signature', secret, body }));
    const placeholder = curlCommand({ url, auth: 'signature', secret: null, body });
    expect(placeholder).not.toContain('whsec_');
    expect(dryRun(placeholder, { SECRET: secret })).toBe(real);
    expect(real).toContain(body);
    expect(real).toMatch(/x-webhook-signature: [0-9a-f]{64}/);
  });

  test('url-secret: the secret goes in the URL, from $SECRET when not known', () => {
    const real = dryRun(curlCommand({ url, auth: 'url-secret', secret: 'abc', body: '{}' }));
    expect(real).toContain(`${url}/abc`);
    expect(
      dryRun(curlCommand({ url, auth: 'url-secret', secret: null, body: '{}' }), { SECRET: 'abc' }),
    ).toBe(real);
  });

  test('without SECRET the placeholder version stops with a message instead of sending', () => {
    expect(() => dryRun(curlCommand({ url, auth: 'signature', secret: null, body: '{}' }))).toThrow();
  });
});

describe('webhookSettings', () => {
  test('builds the API settings from the form', () => {
    const draft = {
      ...newWebhookDraft(),
      ipAllowlist: '10.0.0.0/8\n 192.168.1.1, ',
      mapping: ' {"q": text} ',
    };
    expect(webhookSettings(draft)).toEqual({
      ok: true,
      value: {
        enabled: true,
        rateLimitPerHour: 100,
        ipAllowlist: ['10.0.0.0/8', '192.168.1.1'],
        mapping: '{"q": text}',
        versionTag: null,
      },
    });
    expect(parseAllowlist('')).toEqual([]);
  });
  test('names bad fields', () => {
    const result = webhookSettings({ ...newWebhookDraft(), rateLimitPerHour: '0', mapping: '{"q": ' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(Object.keys(result.errors).sort()).toEqual(['mapping', 'rateLimitPerHour']);
  });
});

describe('previewMapping', () => {
  const schema = { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] };
  // What `webhooks.previewMapping` answers (the API test checks the server side): no match is {}.
  const server = async (mapping: string, payload: unknown) => {
    try {
      return (await evaluateInThisThread(mapping, payload)) ?? {};
    } catch (error) {
      throw new Error(`mapping: ${(error as Error).message}`);
    }
  };
  const previewMapping = (mapping: string, payloadText: string, inputSchema: typeof schema) =>
    previewWith(mapping, payloadText, inputSchema, server);
  test('maps the sample and checks the result against the input schema', async () => {
    expect(await previewMapping('{"topic": issue.title}', '{"issue":{"title":"Bug"}}', schema)).toEqual({
      state: 'ok',
      input: { topic: 'Bug' },
      issues: [],
    });
    const missing = await previewMapping('{"topic": nothing}', '{}', schema);
    expect(missing).toEqual({
      state: 'ok',
      input: {},
      issues: [{ path: 'input.topic', message: 'required' }],
    });
  });
  test('no mapping: the payload is the input', async () => {
    expect(await previewMapping('', '{"topic":"x"}', schema)).toEqual({
      state: 'ok',
      input: { topic: 'x' },
      issues: [],
    });
  });
  test('bad payload JSON and failing mappings are told apart', async () => {
    expect((await previewMapping('', '{', schema)).state).toBe('payload-error');
    expect(await previewMapping('$error("nope")', '{}', schema)).toEqual({
      state: 'mapping-error',
      message: expect.stringContaining('nope'),
    });
    expect((await previewMapping('{"a": ', '{}', schema)).state).toBe('mapping-error');
  });
});

describe('samplePayload', () => {
  test("the sample workflow's example body passes its input schema (no empty required query)", () => {
    const definition = sampleWorkflowDefinition();
    const body = JSON.parse(samplePayload(definition.inputSchema)) as unknown;
    expect(validateRunInput(definition, body)).toEqual([]);
  });
});

describe('callCountLabel', () => {
  test('counts every logged call and says how many started a run when that differs', () => {
    expect(callCountLabel({ loggedCallCount: 1, triggerCount: 1 })).toBe('1 call');
    expect(callCountLabel({ loggedCallCount: 3, triggerCount: 1 })).toBe('3 calls (1 started a run)');
    // The log keeps the newest calls only: older runs still count.
    expect(callCountLabel({ loggedCallCount: 1000, triggerCount: 1200 })).toBe('1200 calls');
  });
});

describe('sender presets', () => {
  test('the pasted secret: required but for GitHub, Stripe-shaped for Stripe, none for our modes', () => {
    const draft = (auth: 'github' | 'stripe' | 'slack' | 'signature', secret: string) => ({
      ...newWebhookDraft(),
      auth,
      secret,
    });
    expect(pastedSecret(draft('github', ''))).toEqual({ ok: true });
    expect(pastedSecret(draft('slack', ' '))).toMatchObject({
      ok: false,
      error: expect.stringContaining('Slack'),
    });
    expect(pastedSecret(draft('stripe', 'sk_live_x'))).toMatchObject({ ok: false });
    expect(pastedSecret(draft('stripe', ' whsec_abc '))).toEqual({ ok: true, secret: 'whsec_abc' });
    expect(pastedSecret(draft('signature', 'whsec_ignored'))).toEqual({ ok: true });
  });
  test('the event filter is sent for presets only, one event per line, and checked', () => {
    const github = {
      ...newWebhookDraft(),
      auth: 'github' as const,
      eventFilter: 'pull_request\ninvoice.*, push',
    };
    expect(webhookSettings(github)).toMatchObject({
      ok: true,
      value: { eventFilter: ['pull_request', 'invoice.*', 'push'] },
    });
    expect(webhookSettings({ ...github, eventFilter: 'pull request' })).toMatchObject({
      ok: false,
      errors: { eventFilter: expect.stringContaining('pull request') },
    });
    const ours = webhookSettings({ ...newWebhookDraft(), eventFilter: 'push' });
    expect(ours.ok && 'eventFilter' in ours.value).toBe(false);
  });
});
