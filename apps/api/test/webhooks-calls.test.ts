/**
 * Webhooks end to end over real HTTP, the calls themselves: managing webhooks, signed and
 * url-secret deliveries (signed by the `standardwebhooks` reference library or the simple hex
 * scheme), repeated message ids, group commit and secret rotation. Every refusal is checked to
 * have created no run, and the log to say what happened without secrets.
 */

import { createSwarmClient } from '@swarm/client';
import { pruneWebhookLogs } from '@swarm/db';
import { signSimpleWebhook } from '@swarm/webhooks';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { startApiServer } from '../src/server.ts';
import { expectApiError } from './expect-error.ts';
import { standardHeaders } from './standard-webhooks.ts';
import { post, secretKey, useWebhookApi } from './webhooks-harness.ts';

const { api, clock, setup, executionCount } = useWebhookApi();

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
    // The server's clock stands still at `now`: the stale and future calls are exactly one second
    // outside the window however long the test takes.
    const now = Date.now();
    clock.set(now);
    const attempts: Array<[string, string, Record<string, string>]> = [
      ['tampered body', JSON.stringify({ query: 'Q' }), standardHeaders(webhook.secret, body)],
      ['wrong secret', body, standardHeaders('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', body)],
      // Whole seconds on the wire: one second past the ±300 s window (the exact edge is unit-tested).
      ['stale', body, standardHeaders(webhook.secret, body, 'msg_stale', new Date(now - 301_000))],
      ['future', body, standardHeaders(webhook.secret, body, 'msg_future', new Date(now + 301_000))],
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

  it('refuses the old secret once its grace ends, though the webhook and its secrets are cached', async () => {
    const { client, webhook } = await setup();
    const body = JSON.stringify({ query: 'grace ends' });
    const sign = (secret: string) => ({ 'x-webhook-signature': signSimpleWebhook(secret, body) });
    const start = Date.now();
    clock.set(start);
    const rotated = await client.webhooks.regenerateSecret.mutate({ id: webhook.id, graceSeconds: 60 });
    expect((await post(webhook.url, body, sign(webhook.secret))).status).toBe(202);

    clock.set(start + 59_000);
    expect((await post(webhook.url, body, sign(webhook.secret))).status).toBe(202);
    clock.set(start + 61_000);
    expect((await post(webhook.url, body, sign(webhook.secret))).status).toBe(401);
    expect((await post(webhook.url, body, sign(rotated.secret))).status).toBe(202);
    // An earlier clock (only a test's goes back) is answered for that time, not from memory.
    clock.set(start + 30_000);
    expect((await post(webhook.url, body, sign(webhook.secret))).status).toBe(202);
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
