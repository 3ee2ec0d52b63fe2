/**
 * Webhooks end to end over real HTTP: a real API server (two of them for the shared rate limit),
 * real Postgres and queue, and an in-process runner for `?wait`. Senders sign with the
 * `standardwebhooks` reference library or the simple hex scheme; every refusal is checked to have
 * created no run, and the log to say what happened without secrets.
 */

import { createSwarmClient } from '@swarm/client';
import { connectDatabase, pruneWebhookLogs } from '@swarm/db';
import { createSecretKeyring, generateSecretKey } from '@swarm/providers/store';
import { createRunner } from '@swarm/runner/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApiServer, startApiServer } from '../src/server.ts';
import { useApiServer } from '../src/testing.ts';
import { signSimpleWebhook } from '../src/webhooks/signature.ts';
import { expectApiError } from './expect-error.ts';
import { standardHeaders } from './standard-webhooks.ts';

const secretKey = generateSecretKey();
const BODY_LIMIT = 128 * 1024;
// Every test signs up its own user: more than the default sign-ups per address and hour.
const api = useApiServer({ secretKey, webhookBodyLimitBytes: BODY_LIMIT, authLimits: { signupPerIp: 1000 } });
let runner: ReturnType<typeof createRunner> | undefined;

beforeAll(async () => {
  runner = createRunner({
    databaseUrl: api.database.url,
    logger: pino({ level: 'silent' }),
    poolSize: 3,
    drainSeconds: 1,
    runConcurrency: 4,
    pollSeconds: 0.5,
    scheduler: false,
  });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.stop();
});

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

const node = (id: string, type: string, x: number, config: object = {}) => ({
  id,
  type,
  name: id,
  position: { x, y: 0 },
  config,
});

/** input → output, input `{ query: string }` required. */
const echo = {
  nodes: [node('input', 'input', 0), node('output', 'output', 200)],
  edges: [{ id: 'e1', source: 'input', target: 'output' }],
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

/** A run that takes a minute (mock agent with a delay). */
const slow = {
  nodes: [
    node('input', 'input', 0),
    node('wait', 'agent', 200, { role: 'waiter', provider: 'mock', model: 'delay:60000', prompt: 'x' }),
    node('output', 'output', 400),
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'wait' },
    { id: 'e2', source: 'wait', target: 'output' },
  ],
};

async function setup(
  options: Partial<Parameters<Client['webhooks']['create']['mutate']>[0]> = {},
  definition: object = echo,
) {
  const { client } = await api.signUp();
  const workflow = await client.workflows.create.mutate({ name: 'Hooked', definition: definition as never });
  const webhook = await client.webhooks.create.mutate({
    workflowId: workflow.id,
    auth: 'signature',
    ...options,
  });
  return { client, workflow, webhook };
}

async function executionCount(workflowId: string): Promise<number> {
  const [row] = await api.database.sql<{ n: number }[]>`
    select count(*)::int as n from executions where workflow_id = ${workflowId}`;
  return row!.n;
}

interface Sent {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Sent> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}

describe('managing webhooks', () => {
  it('shows the secret once, lists url and counters without it, and validates settings by path', async () => {
    const { client, workflow, webhook } = await setup({ rateLimitPerHour: 5 });
    expect(webhook.secret).toMatch(/^whsec_/);
    expect(webhook.url).toBe(`${api.url}/webhooks/${webhook.id}`);
    expect(webhook.triggerUrl).toBe(webhook.url);
    expect(webhook).toMatchObject({ auth: 'signature', enabled: true, rateLimitPerHour: 5, triggerCount: 0 });

    const { items } = await client.webhooks.list.query({ workflowId: workflow.id });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: webhook.id,
      url: webhook.url,
      triggerCount: 0,
      lastTriggeredAt: null,
    });
    expect(JSON.stringify(items)).not.toContain(webhook.secret);
    const [stored] = await api.database.sql<{ secret: string }[]>`
      select secret from workflow_webhooks where id = ${webhook.id}`;
    expect(stored!.secret).not.toContain(webhook.secret.slice(6));

    await expectApiError(
      client.webhooks.update.mutate({ id: webhook.id, ipAllowlist: ['10.0.0.0/8', '10.0.0.0/40'] }),
      'BAD_REQUEST',
      { paths: ['ipAllowlist[1]'] },
    );
    await expectApiError(
      client.webhooks.update.mutate({ id: webhook.id, mapping: '{ "a": ' }),
      'BAD_REQUEST',
      {
        paths: ['mapping'],
      },
    );
    await expectApiError(
      client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'signature', rateLimitPerHour: 0 }),
      'BAD_REQUEST',
      { paths: ['rateLimitPerHour'] },
    );
    expect((await client.webhooks.list.query({ workflowId: workflow.id })).items[0]).toMatchObject({
      ipAllowlist: [],
      mapping: null,
    });

    await client.webhooks.delete.mutate({ id: webhook.id });
    expect((await client.webhooks.list.query({ workflowId: workflow.id })).items).toEqual([]);
    expect((await post(webhook.url, '{}')).status).toBe(404);
  });

  it('refuses to create webhooks on a server without SWARM_SECRET_KEY, saying what to set', async () => {
    const keyless = await startApiServer({ databaseUrl: api.database.url });
    try {
      const { client, token } = await api.signUp();
      const workflow = await client.workflows.create.mutate({ name: 'No key' });
      const onKeyless = createSwarmClient({ url: keyless.url, token });
      await expectApiError(
        onKeyless.webhooks.create.mutate({ workflowId: workflow.id, auth: 'signature' }),
        'PRECONDITION_FAILED',
        { message: /SWARM_SECRET_KEY/ },
      );
    } finally {
      await keyless.close();
    }
  });
});

describe('signed calls', () => {
  it('accepts a Standard Webhooks delivery signed by the reference library and starts a webhook run', async () => {
    const { client, workflow, webhook } = await setup();
    const body = JSON.stringify({ query: 'from a sender' });
    const sent = await post(webhook.url, body, standardHeaders(webhook.secret, body));
    expect(sent.status).toBe(202);
    const executionId = sent.body.executionId as string;
    const run = await client.runs.get.query({ id: executionId });
    expect(run).toMatchObject({
      workflowId: workflow.id,
      trigger: 'webhook',
      input: { query: 'from a sender' },
    });
    const [listed] = (await client.webhooks.list.query({ workflowId: workflow.id })).items;
    expect(listed!.triggerCount).toBe(1);
    expect(listed!.lastTriggeredAt).toBeInstanceOf(Date);
  });

  it('refuses tampered, wrongly signed, stale, future, unsigned and malformed calls with 401 and no run', async () => {
    const { client, workflow, webhook } = await setup();
    const body = JSON.stringify({ query: 'q' });
    const now = Date.now();
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['tampered body', JSON.stringify({ query: 'Q' }), standardHeaders(webhook.secret, body)],
      ['wrong secret', body, standardHeaders('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', body)],
      // Whole seconds on the wire: a few seconds past the ±300 s window (the exact edge is unit-tested).
      ['stale', body, standardHeaders(webhook.secret, body, 'msg_stale', new Date(now - 305_000))],
      ['future', body, standardHeaders(webhook.secret, body, 'msg_future', new Date(now + 305_000))],
      ['no signature', body, {}],
      ['no id', body, { ...standardHeaders(webhook.secret, body), 'webhook-id': '' }],
      ['malformed', body, { ...standardHeaders(webhook.secret, body), 'webhook-signature': 'v1,@@@' }],
      ['simple, wrong', body, { 'x-webhook-signature': signSimpleWebhook('whsec_other', body) }],
      ['simple, malformed', body, { 'x-webhook-signature': 'sha256=zz' }],
    ];
    for (const [label, sentBody, headers] of attempts) {
      const sent = await post(webhook.url, sentBody, headers);
      expect(sent.status, label).toBe(401);
    }
    expect(await executionCount(workflow.id)).toBe(0);
    const { items } = await client.webhooks.logs.query({ id: webhook.id });
    expect(items).toHaveLength(attempts.length);
    expect(new Set(items.map((i) => i.outcome))).toEqual(new Set(['rejected-signature']));
    expect(items.find((i) => i.messageId === 'msg_stale')?.error).toMatch(/300 s/);
  });

  it('answers a repeated webhook-id with the first run and starts no second one', async () => {
    const { client, workflow, webhook } = await setup();
    const body = JSON.stringify({ query: 'once' });
    const headers = standardHeaders(webhook.secret, body, 'msg_repeat');
    const first = await post(webhook.url, body, headers);
    const again = await post(webhook.url, body, headers);
    // Concurrent deliveries of one new message: one run between them.
    const racing = standardHeaders(webhook.secret, body, 'msg_race');
    const raced = await Promise.all([1, 2, 3].map(() => post(webhook.url, body, racing)));
    expect(first.status).toBe(202);
    expect(again).toMatchObject({
      status: 200,
      body: { executionId: first.body.executionId, duplicate: true },
    });
    expect(new Set(raced.map((r) => r.body.executionId)).size).toBe(1);
    expect(raced.map((r) => r.status).sort()).toEqual([200, 200, 202]);
    expect(await executionCount(workflow.id)).toBe(2);
    const outcomes = (await client.webhooks.logs.query({ id: webhook.id })).items.map((i) => i.outcome);
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(3);
  });

  it('still answers a repeated webhook-id with the first run after a flood of refused calls pushed its log row out and the log was pruned', async () => {
    const { client, workflow, webhook } = await setup();
    const body = JSON.stringify({ query: 'kept' });
    const first = await post(webhook.url, body, standardHeaders(webhook.secret, body, 'msg_flooded'));
    expect(first.status).toBe(202);
    // More unsigned calls than the log keeps per webhook (1,000), a few at a time.
    const flood = 1_050;
    for (let sent = 0; sent < flood; sent += 25) {
      const answers = await Promise.all(
        Array.from({ length: Math.min(25, flood - sent) }, () => post(webhook.url, body)),
      );
      expect(new Set(answers.map((a) => a.status))).toEqual(new Set([401]));
    }
    await pruneWebhookLogs(api.database.db);
    const [left] = await api.database.sql<{ accepted: number; rows: number }[]>`
      select count(*) filter (where outcome = 'accepted')::int as accepted, count(*)::int as rows
      from webhook_logs where webhook_id = ${webhook.id}`;
    expect(left).toEqual({ accepted: 0, rows: 1_000 });

    // The sender retries (signed anew, as senders do): a duplicate with the first run, no second run.
    const retry = await post(webhook.url, body, standardHeaders(webhook.secret, body, 'msg_flooded'));
    expect(retry).toMatchObject({
      status: 200,
      body: { executionId: first.body.executionId, duplicate: true },
    });
    expect(await executionCount(workflow.id)).toBe(1);
    const [listed] = (await client.webhooks.list.query({ workflowId: workflow.id })).items;
    expect(listed!.triggerCount).toBe(1);
  }, 120_000);

  it('answers each of many concurrent calls as if it came alone (group commit): runs, replays, bad input', async () => {
    const { client, workflow, webhook } = await setup();
    const good = (n: number) => JSON.stringify({ query: `call ${n}` });
    const bad = JSON.stringify({ query: 42 });
    // 16 new messages, 4 replays of the first one and 3 with input the schema refuses, all at once.
    const calls = [
      ...Array.from({ length: 16 }, (_, n) => ({ body: good(n), id: `msg_many_${n}` })),
      ...Array.from({ length: 4 }, () => ({ body: good(0), id: 'msg_many_0' })),
      ...Array.from({ length: 3 }, (_, n) => ({ body: bad, id: `msg_bad_${n}` })),
    ];
    const sent = await Promise.all(
      calls.map((call) => post(webhook.url, call.body, standardHeaders(webhook.secret, call.body, call.id))),
    );
    const statuses = sent.map((s) => s.status);
    expect(statuses.slice(20)).toEqual([400, 400, 400]);
    const forFirst = [sent[0]!, ...sent.slice(16, 20)];
    expect(forFirst.map((s) => s.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(new Set(forFirst.map((s) => s.body.executionId)).size).toBe(1);
    expect(statuses.slice(1, 16)).toEqual(Array(15).fill(202));
    expect(await executionCount(workflow.id)).toBe(16);
    // Each run got its own call's input.
    const runs = await api.database.sql<{ id: string; query: string }[]>`
      select id, input->>'query' as query from executions where workflow_id = ${workflow.id}`;
    const inputOf = new Map(runs.map((run) => [run.id, run.query]));
    expect(sent.slice(1, 16).map((s) => inputOf.get(s.body.executionId as string))).toEqual(
      Array.from({ length: 15 }, (_, n) => `call ${n + 1}`),
    );
    const outcomes = (await client.webhooks.logs.query({ id: webhook.id })).items.map((i) => i.outcome);
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(16);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'invalid-input')).toHaveLength(3);
    const [listed] = (await client.webhooks.list.query({ workflowId: workflow.id })).items;
    expect(listed!.triggerCount).toBe(16);
  });

  it('accepts the simple hex signature, with or without sha256=', async () => {
    const { workflow, webhook } = await setup();
    const body = JSON.stringify({ query: 'simple' });
    const hex = signSimpleWebhook(webhook.secret, body);
    expect((await post(webhook.url, body, { 'x-webhook-signature': hex })).status).toBe(202);
    expect((await post(webhook.url, body, { 'x-webhook-signature': `sha256=${hex}` })).status).toBe(202);
    // Raw bytes without a content type are read as JSON.
    const bare = await fetch(webhook.url, {
      method: 'POST',
      headers: { 'x-webhook-signature': hex },
      body: new TextEncoder().encode(body),
    });
    expect(bare.status).toBe(202);
    expect(await executionCount(workflow.id)).toBe(3);
  });

  it('keeps the old secret valid during the rotation grace, and not after a rotation without one', async () => {
    const { client, webhook } = await setup();
    const body = JSON.stringify({ query: 'rotate' });
    const sign = (secret: string) => ({ 'x-webhook-signature': signSimpleWebhook(secret, body) });
    const rotated = await client.webhooks.regenerateSecret.mutate({ id: webhook.id, graceSeconds: 3600 });
    expect(rotated.secret).not.toBe(webhook.secret);
    expect(rotated.previousSecretExpiresAt).toBeInstanceOf(Date);
    expect((await post(webhook.url, body, sign(webhook.secret))).status).toBe(202);
    expect((await post(webhook.url, body, sign(rotated.secret))).status).toBe(202);

    const again = await client.webhooks.regenerateSecret.mutate({ id: webhook.id, graceSeconds: 0 });
    expect((await post(webhook.url, body, sign(rotated.secret))).status).toBe(401);
    expect((await post(webhook.url, body, sign(webhook.secret))).status).toBe(401);
    expect((await post(webhook.url, body, sign(again.secret))).status).toBe(202);
  });
});

describe('url-secret webhooks', () => {
  it('take the secret as the last path segment, and only there; the secret never reaches the server log', async () => {
    const lines: string[] = [];
    const logged = await startApiServer({
      databaseUrl: api.database.url,
      secretKey,
      logger: pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }),
    });
    try {
      const { workflow, webhook } = await setup({ auth: 'url-secret' });
      expect(webhook.triggerUrl).toBe(`${webhook.url}/${webhook.secret}`);
      const body = JSON.stringify({ query: 'no signing here' });
      const onLogged = (url: string) => url.replace(api.url, logged.url);

      expect((await post(onLogged(webhook.triggerUrl), body)).status).toBe(202);
      expect((await post(onLogged(webhook.url), body)).status).toBe(401);
      expect((await post(`${onLogged(webhook.url)}/whsec_wrong`, body)).status).toBe(401);
      // Signing does not help a url-secret webhook on the signed route.
      const signed = { 'x-webhook-signature': signSimpleWebhook(webhook.secret, body) };
      expect((await post(onLogged(webhook.url), body, signed)).status).toBe(401);
      expect(await executionCount(workflow.id)).toBe(1);
      expect(lines.join('\n')).not.toContain(webhook.secret);
      expect(lines.join('\n')).toContain(`/webhooks/${webhook.id}/[redacted]`);

      // A signature webhook never answers on the url-secret route, even with its own secret.
      const signature = await setup();
      const viaPath = await post(
        `${signature.webhook.url}/${encodeURIComponent(signature.webhook.secret)}`,
        body,
      );
      expect(viaPath.status).toBe(401);
      expect(await executionCount(signature.workflow.id)).toBe(0);
    } finally {
      await logged.close();
    }
  });
});

describe('limits and access', () => {
  it('shares the rate limit across API instances: the 4th call on another instance gets 429 with Retry-After', async () => {
    const second = await startApiServer({ databaseUrl: api.database.url, secretKey });
    try {
      const { client, workflow, webhook } = await setup({ rateLimitPerHour: 3 });
      // The counter's windows are whole clock hours: do not start the four calls right before one ends.
      const secondsLeft = 3600 - ((Date.now() / 1000) % 3600);
      if (secondsLeft < 15) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 500));
      const body = JSON.stringify({ query: 'limited' });
      const signed = () => ({ 'x-webhook-signature': signSimpleWebhook(webhook.secret, body) });
      // Strangers do not use up the limit.
      for (let i = 0; i < 3; i++)
        expect((await post(webhook.url, body, { 'x-webhook-signature': '00' })).status).toBe(401);
      for (let i = 0; i < 3; i++) expect((await post(webhook.url, body, signed())).status).toBe(202);
      const limited = await post(webhook.url.replace(api.url, second.url), body, signed());
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(3600);
      expect(await executionCount(workflow.id)).toBe(3);
      const outcomes = (await client.webhooks.logs.query({ id: webhook.id })).items.map((i) => i.outcome);
      expect(outcomes[0]).toBe('rate-limited');
    } finally {
      await second.close();
    }
  });

  it('counts refused calls against the limit and answers a repeated message before the limit', async () => {
    const { client, workflow, webhook } = await setup({ rateLimitPerHour: 2 });
    const secondsLeft = 3600 - ((Date.now() / 1000) % 3600);
    if (secondsLeft < 15) await new Promise((resolve) => setTimeout(resolve, secondsLeft * 1000 + 500));
    const good = JSON.stringify({ query: 'counted' });
    const bad = JSON.stringify({ notQuery: 1 });
    const delivered = standardHeaders(webhook.secret, good);
    expect((await post(webhook.url, good, delivered)).status).toBe(202);
    // Fails the input schema: no run, but it uses up the second call of the hour.
    expect((await post(webhook.url, bad, standardHeaders(webhook.secret, bad))).status).toBe(400);
    // Over the limit: refused as such, whatever else is wrong with the call.
    expect((await post(webhook.url, good, standardHeaders(webhook.secret, good))).status).toBe(429);
    expect((await post(webhook.url, bad, standardHeaders(webhook.secret, bad))).status).toBe(429);
    // A sender's retry of the delivered message is still answered with its run.
    const retry = await post(webhook.url, good, delivered);
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ duplicate: true });
    expect(await executionCount(workflow.id)).toBe(1);
    const outcomes = (await client.webhooks.logs.query({ id: webhook.id })).items.map((i) => i.outcome);
    expect(outcomes).toEqual(['duplicate', 'rate-limited', 'rate-limited', 'invalid-input', 'accepted']);
  });

  it('stops honouring a changed webhook on another instance within moments (each instance caches webhooks)', async () => {
    const second = await startApiServer({ databaseUrl: api.database.url, secretKey });
    try {
      const { client, workflow, webhook } = await setup();
      const onSecond = webhook.url.replace(api.url, second.url);
      const body = JSON.stringify({ query: 'cached' });
      const signedWith = (secret: string) => ({ 'x-webhook-signature': signSimpleWebhook(secret, body) });
      // The change reaches the other instance's cache by NOTIFY, a few milliseconds after its commit.
      const answers = (secret: string, status: number) =>
        expect
          .poll(async () => (await post(onSecond, body, signedWith(secret))).status, {
            timeout: 5_000,
            interval: 20,
          })
          .toBe(status);
      expect((await post(onSecond, body, signedWith(webhook.secret))).status).toBe(202);
      // A new secret without grace: the old one fails on the other instance from now on.
      const rotated = await client.webhooks.regenerateSecret.mutate({ id: webhook.id, graceSeconds: 0 });
      await answers(webhook.secret, 401);
      expect((await post(onSecond, body, signedWith(rotated.secret))).status).toBe(202);
      await client.webhooks.update.mutate({ id: webhook.id, enabled: false });
      await answers(rotated.secret, 404);
      await client.webhooks.update.mutate({ id: webhook.id, enabled: true });
      await answers(rotated.secret, 202);
      // Deleting the workflow deletes its webhooks.
      await client.workflows.delete.mutate({ id: workflow.id });
      await answers(rotated.secret, 404);
    } finally {
      await second.close();
    }
  });

  it('refuses addresses outside the IP allowlist with 403 and admits those inside', async () => {
    const { client, workflow, webhook } = await setup({ ipAllowlist: ['10.0.0.0/8', '2001:db8::/32'] });
    const body = JSON.stringify({ query: 'from where?' });
    const signed = { 'x-webhook-signature': signSimpleWebhook(webhook.secret, body) };
    expect((await post(webhook.url, body, signed)).status).toBe(403);
    // A forged X-Forwarded-For is not believed (TRUST_PROXY is off).
    expect((await post(webhook.url, body, { ...signed, 'x-forwarded-for': '10.1.2.3' })).status).toBe(403);
    expect(await executionCount(workflow.id)).toBe(0);
    // Behind a trusted proxy (TRUST_PROXY) the forwarded client address is the one checked.
    const proxied = await startApiServer({ databaseUrl: api.database.url, secretKey, trustProxy: true });
    try {
      const viaProxy = webhook.url.replace(api.url, proxied.url);
      expect((await post(viaProxy, body, { ...signed, 'x-forwarded-for': '10.1.2.3' })).status).toBe(202);
      expect((await post(viaProxy, body, { ...signed, 'x-forwarded-for': '192.0.2.1' })).status).toBe(403);
    } finally {
      await proxied.close();
    }
    expect(await executionCount(workflow.id)).toBe(1);
    await client.webhooks.update.mutate({ id: webhook.id, ipAllowlist: ['10.0.0.0/8', '127.0.0.0/8'] });
    expect((await post(webhook.url, body, signed)).status).toBe(202);
    const [latest, refusedForwarded, acceptedForwarded, refused] = (
      await client.webhooks.logs.query({ id: webhook.id })
    ).items;
    expect(latest!.outcome).toBe('accepted');
    expect(refusedForwarded).toMatchObject({ outcome: 'forbidden-ip', ip: '192.0.2.1' });
    expect(acceptedForwarded).toMatchObject({ outcome: 'accepted', ip: '10.1.2.3' });
    expect(refused).toMatchObject({ outcome: 'forbidden-ip', status: 403, ip: '127.0.0.1' });
  });

  it('answers disabled and unknown webhooks with the same 404 after the same work: one read, no log row, no log line', async () => {
    const { client, workflow, webhook } = await setup({ enabled: false });
    const body = JSON.stringify({ query: 'off' });
    const signed = { 'x-webhook-signature': signSimpleWebhook(webhook.secret, body) };
    const disabled = await post(webhook.url, body, signed);
    const unknown = await post(`${api.url}/webhooks/${crypto.randomUUID()}`, body, signed);
    const notAnId = await post(`${api.url}/webhooks/not-an-id`, body, signed);
    expect(disabled.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(notAnId.status).toBe(404);
    expect(disabled.body).toEqual(unknown.body);
    expect(notAnId.body).toEqual(unknown.body);
    expect(await executionCount(workflow.id)).toBe(0);
    expect((await client.webhooks.logs.query({ id: webhook.id })).items).toEqual([]);

    // The same work, not just the same bytes (timing would otherwise tell a prober which ids exist):
    // a server of its own whose pool reports every statement and whose log lines are kept.
    const statements: string[] = [];
    const lines: Record<string, unknown>[] = [];
    const database = connectDatabase(api.database.url, {
      max: 2,
      idleInTransactionTimeoutMs: 0,
      onQuery: (statement) => void statements.push(statement),
    });
    const app = await buildApiServer({
      database,
      logger: pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) }),
      bodyLimitBytes: 1024 * 1024,
      trustProxy: false,
      secureCookies: false,
      secretKeys: createSecretKeyring({ current: secretKey }),
    });
    try {
      const workOf = async (id: string) => {
        statements.length = 0;
        lines.length = 0;
        const answer = await app.inject({
          method: 'POST',
          url: `/webhooks/${id}`,
          headers: { 'content-type': 'application/json', ...signed },
          payload: body,
        });
        return {
          status: answer.statusCode,
          body: answer.body,
          statements: [...statements],
          // The request line names the id and its time: what else was logged is what counts.
          lines: lines.map(({ level, msg }) => ({ level, msg })),
        };
      };
      // Twice each: a second call of a known id would be served from the cache, an unknown one not.
      const disabledWork = [await workOf(webhook.id), await workOf(webhook.id)];
      const unknownWork = [await workOf(crypto.randomUUID()), await workOf(crypto.randomUUID())];
      expect(disabledWork).toEqual(unknownWork);
      expect(disabledWork[0]!.statements).toHaveLength(1);
      expect(disabledWork[0]!.statements[0]).toMatch(/from "workflow_webhooks"/);
      expect(disabledWork[0]!.lines).toEqual([{ level: 30, msg: 'request' }]);
    } finally {
      await app.close();
      await database.close();
    }
    expect((await client.webhooks.logs.query({ id: webhook.id })).items).toEqual([]);
  });

  it('answers bodies over the limit with 413 and no run', async () => {
    const { client, workflow, webhook } = await setup();
    const body = JSON.stringify({ query: 'x'.repeat(BODY_LIMIT + 10) });
    const sent = await post(webhook.url, body, {
      'x-webhook-signature': signSimpleWebhook(webhook.secret, body),
    });
    expect(sent.status).toBe(413);
    expect(await executionCount(workflow.id)).toBe(0);
    expect((await client.webhooks.logs.query({ id: webhook.id })).items.map((i) => i.outcome)).toEqual([
      'too-large',
    ]);
  });
});

describe('payloads and input', () => {
  it('maps the payload to the run input with JSONata ($headers, $query)', async () => {
    const { client, webhook } = await setup({
      mapping: '{ "query": issue.title & " (" & $headers."x-event" & ", " & $query.from & ")" }',
    });
    const body = JSON.stringify({ issue: { title: 'Broken build' }, noise: true });
    const sent = await post(`${webhook.url}?from=gh`, body, {
      'x-event': 'issues',
      'x-webhook-signature': signSimpleWebhook(webhook.secret, body),
    });
    expect(sent.status).toBe(202);
    const run = await client.runs.get.query({ id: sent.body.executionId as string });
    expect(run.input).toEqual({ query: 'Broken build (issues, gh)' });
  });

  it('rejects input that fails the input schema with 400 naming the path, before any run exists', async () => {
    const { client, workflow, webhook } = await setup();
    const body = JSON.stringify({ query: 42 });
    const sent = await post(webhook.url, body, {
      'x-webhook-signature': signSimpleWebhook(webhook.secret, body),
    });
    expect(sent.status).toBe(400);
    expect(sent.body.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'input.query' })]),
    );
    const unsafe = '{"__proto__":{"polluted":true},"query":"x"}';
    const refused = await post(webhook.url, unsafe, {
      'x-webhook-signature': signSimpleWebhook(webhook.secret, unsafe),
    });
    expect(refused.status).toBe(400);
    expect(await executionCount(workflow.id)).toBe(0);
    const [log] = (await client.webhooks.logs.query({ id: webhook.id, limit: 1 })).items;
    expect(log).toMatchObject({ outcome: 'invalid-input', status: 400, executionId: null });
    // A message id that failed is not taken: a corrected retry with the same id runs.
    const fixed = JSON.stringify({ query: 'fixed' });
    const headers = standardHeaders(webhook.secret, body, 'msg_fix');
    expect((await post(webhook.url, body, headers)).status).toBe(400);
    expect((await post(webhook.url, fixed, standardHeaders(webhook.secret, fixed, 'msg_fix'))).status).toBe(
      202,
    );
  });

  it('answers 409 when a blocking budget is used up, and 400 naming the tag when the pinned tag is gone', async () => {
    const { client, workflow, webhook } = await setup();
    const budget = await client.budgets.create.mutate({
      scope: workflow.id,
      monthlyLimitMicros: 1_000,
      alertAt: [],
      blockWhenExceeded: true,
    });
    await api.database.sql`update budgets set spent_micros = monthly_limit_micros where id = ${budget.id}`;
    const body = JSON.stringify({ query: 'over budget' });
    const sign = { 'x-webhook-signature': signSimpleWebhook(webhook.secret, body) };
    const blocked = await post(webhook.url, body, sign);
    expect(blocked.status).toBe(409);
    expect(blocked.body.error).toMatch(/budget/);
    await client.budgets.delete.mutate({ id: budget.id });

    await client.webhooks.update.mutate({ id: webhook.id, versionTag: 'production' });
    const untagged = await post(webhook.url, body, sign);
    expect(untagged.status).toBe(400);
    expect(untagged.body.issues).toEqual([expect.objectContaining({ path: 'webhook.versionTag' })]);
    expect(await executionCount(workflow.id)).toBe(0);
    const outcomes = (await client.webhooks.logs.query({ id: webhook.id })).items.map((i) => i.outcome);
    expect(outcomes).toEqual(['invalid-input', 'blocked']);
  });

  it('logs calls with signatures and cookies redacted and the body kept', async () => {
    const { client, webhook } = await setup();
    const body = JSON.stringify({ query: 'logged' });
    const headers = standardHeaders(webhook.secret, body);
    await post(webhook.url, body, { ...headers, cookie: 'swarm_session=abc', authorization: 'Bearer xyz' });
    const [log] = (await client.webhooks.logs.query({ id: webhook.id })).items;
    expect(log).toMatchObject({
      source: 'http',
      outcome: 'accepted',
      status: 202,
      messageId: headers['webhook-id'],
      body,
      bodyTruncated: false,
      ip: '127.0.0.1',
    });
    expect(log!.executionId).toEqual(expect.any(String));
    expect(log!.headers).toMatchObject({
      'webhook-signature': '[redacted]',
      cookie: '[redacted]',
      authorization: '[redacted]',
      'content-type': 'application/json',
    });
    expect(JSON.stringify(log)).not.toContain(headers['webhook-signature']!.slice(3));
  });
});

describe('send test and replay', () => {
  it('runs a test payload and replays a logged call as new runs with their sources', async () => {
    const { client, webhook } = await setup({ mapping: '{ "query": text }' });
    const tested = await client.webhooks.test.mutate({ id: webhook.id, payload: { text: 'test button' } });
    expect((await client.runs.get.query({ id: tested.executionId })).input).toEqual({ query: 'test button' });
    await expectApiError(
      client.webhooks.test.mutate({ id: webhook.id, payload: { text: 7 } }),
      'BAD_REQUEST',
      {
        paths: ['input.query'],
      },
    );

    const body = JSON.stringify({ text: 'delivered' });
    const delivered = await post(webhook.url, body, {
      'x-webhook-signature': signSimpleWebhook(webhook.secret, body),
    });
    const logs = (await client.webhooks.logs.query({ id: webhook.id })).items;
    const original = logs.find((l) => l.executionId === delivered.body.executionId)!;
    const replayed = await client.webhooks.replay.mutate({ logId: original.id });
    expect(replayed.executionId).not.toBe(delivered.body.executionId);
    expect((await client.runs.get.query({ id: replayed.executionId })).input).toEqual({ query: 'delivered' });

    const after = (await client.webhooks.logs.query({ id: webhook.id })).items;
    expect(after[0]).toMatchObject({
      source: 'replay',
      replayOf: original.id,
      executionId: replayed.executionId,
    });
    expect(
      after
        .filter((l) => l.source === 'test')
        .map((l) => l.outcome)
        .sort(),
    ).toEqual(['accepted', 'invalid-input']);
  });

  it('refuses to replay a call whose logged body was truncated', async () => {
    const { client, webhook } = await setup({ mapping: '{ "query": $substring(text, 0, 5) }' });
    const body = JSON.stringify({ text: 'y'.repeat(70 * 1024) });
    const sent = await post(webhook.url, body, {
      'x-webhook-signature': signSimpleWebhook(webhook.secret, body),
    });
    expect(sent.status).toBe(202);
    const [log] = (await client.webhooks.logs.query({ id: webhook.id })).items;
    expect(log!.bodyTruncated).toBe(true);
    await expectApiError(client.webhooks.replay.mutate({ logId: log!.id }), 'BAD_REQUEST', {
      message: /64 KiB/,
    });
  });
});

describe('?wait', () => {
  it('returns the output of a run that ends in time, and falls back to 202 for a slow one', async () => {
    const { webhook } = await setup();
    const body = JSON.stringify({ query: 'wait for me' });
    const sign = (b: string) => ({ 'x-webhook-signature': signSimpleWebhook(webhook.secret, b) });
    const done = await post(`${webhook.url}?wait=5`, body, sign(body));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ executionId: expect.any(String), status: 'succeeded' });
    expect(JSON.stringify(done.body.output)).toContain('wait for me');

    expect((await post(`${webhook.url}?wait=0`, body, sign(body))).status).toBe(400);
    expect((await post(`${webhook.url}?wait=31`, body, sign(body))).status).toBe(400);
    expect((await post(`${webhook.url}?wait=soon`, body, sign(body))).status).toBe(400);

    const slowHook = await setup({}, slow);
    const slowBody = '{}';
    const pending = await post(`${slowHook.webhook.url}?wait=1`, slowBody, {
      'x-webhook-signature': signSimpleWebhook(slowHook.webhook.secret, slowBody),
    });
    expect(pending.status).toBe(202);
    expect(pending.body).toEqual({ executionId: expect.any(String) });
    await slowHook.client.runs.cancel.mutate({ id: pending.body.executionId as string });
  });
});
