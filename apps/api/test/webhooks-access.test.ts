/**
 * Webhooks end to end over real HTTP, limits and access: the rate limit shared by API instances,
 * each instance's webhook cache, IP allowlists (also behind a trusted proxy), the identical 404 of
 * disabled and unknown webhooks, and the body limit.
 */

import { connectDatabase } from '@swarm/db';
import { createSecretKeyring } from '@swarm/providers/store';
import { signSimpleWebhook } from '@swarm/webhooks';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApiServer, startApiServer } from '../src/server.ts';
import { standardHeaders } from './standard-webhooks.ts';
import { BODY_LIMIT, post, secretKey, useWebhookApi } from './webhooks-harness.ts';

const { api, clock, setup, executionCount } = useWebhookApi();

describe('limits and access', () => {
  it('shares the rate limit across API instances: the 4th call on another instance gets 429 with Retry-After', async () => {
    // Both instances' clocks stop here, so all four calls count in one hourly window, even when
    // the hour would have ended during the test.
    clock.set(Date.now());
    const second = await startApiServer({ databaseUrl: api.database.url, secretKey, now: clock.now });
    try {
      const { client, workflow, webhook } = await setup({ rateLimitPerHour: 3 });
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
    clock.set(Date.now()); // one hourly window for every call (see above)
    const { client, workflow, webhook } = await setup({ rateLimitPerHour: 2 });
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
