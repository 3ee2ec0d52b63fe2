/**
 * Sender presets end to end over real HTTP: deliveries signed by GitHub's own library
 * (`@octokit/webhooks-methods`) and Stripe's (`stripe`'s generateTestHeaderString), and the way
 * Slack and Shopify document theirs. One run per delivery; a redelivery (the sender's own delivery
 * id) starts none; every refusal answers 401 and writes no run; Slack's handshake is answered with
 * its challenge; an event outside the filter is answered 200 `ignored`; all of it in the call log.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { sign as githubSign } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { expectApiError } from './expect-error.ts';
import { post, useWebhookApi } from './webhooks-harness.ts';

const { api, clock, setup, executionCount } = useWebhookApi();
const stripe = new Stripe('sk_test_unused');

const hex = (secret: string, ...parts: string[]) => {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac;
};

async function runInput(executionId: string): Promise<unknown> {
  const [row] = await api.database.sql<{ input: unknown }[]>`
    select input from executions where id = ${executionId}`;
  return row!.input;
}

describe('GitHub', () => {
  const secret = 'gh-webhook-secret-typed-into-github';
  const body = JSON.stringify({ action: 'opened', number: 7, pull_request: { title: 'Fix it' } });

  it("takes deliveries signed by GitHub's library: one run each, none for a redelivery, 401 for every forgery", async () => {
    const { client, workflow, webhook } = await setup({
      auth: 'github',
      secret,
      // The event header reaches the mapping.
      mapping: '{ "query": $headers."x-github-event" & "." & action & " #" & $string(number) }',
    });
    const delivery = randomUUID();
    const headers = {
      'x-github-event': 'pull_request',
      'x-github-delivery': delivery,
      'x-hub-signature-256': await githubSign(secret, body),
      'user-agent': 'GitHub-Hookshot/abc123',
    };
    const first = await post(webhook.url, body, headers);
    expect(first.status).toBe(202);
    expect(await runInput(first.body.executionId as string)).toEqual({ query: 'pull_request.opened #7' });

    // GitHub's "Redeliver" sends the same X-GitHub-Delivery.
    const again = await post(webhook.url, body, headers);
    expect(again).toMatchObject({
      status: 200,
      body: { executionId: first.body.executionId, duplicate: true },
    });
    const second = await post(webhook.url, body, { ...headers, 'x-github-delivery': randomUUID() });
    expect(second.status).toBe(202);
    expect(await executionCount(workflow.id)).toBe(2);

    const forged: Record<string, string>[] = [
      { ...headers, 'x-github-delivery': randomUUID() }, // tampered body below
      {
        ...headers,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await githubSign('wrong', body),
      },
      { 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID() },
      // Our own schemes are not accepted on a preset webhook.
      { 'x-webhook-signature': hex(secret, body).digest('hex') },
    ];
    const tampered = await post(webhook.url, body.replace('Fix it', 'Pwn it'), forged[0]!);
    expect(tampered.status).toBe(401);
    for (const forgery of forged.slice(1)) expect((await post(webhook.url, body, forgery)).status).toBe(401);
    expect(await executionCount(workflow.id)).toBe(2);

    const { items } = await client.webhooks.logs.query({ id: webhook.id });
    const byOutcome = (outcome: string) => items.filter((item) => item.outcome === outcome);
    expect(byOutcome('rejected-signature')).toHaveLength(4);
    expect(byOutcome('rejected-signature').map((item) => item.error)).toContain(
      'missing X-Hub-Signature-256 header',
    );
    expect(byOutcome('duplicate')).toHaveLength(1);
    const accepted = byOutcome('accepted').find((item) => item.messageId === delivery);
    expect(accepted).toMatchObject({ event: 'pull_request', status: 202 });
    expect(accepted!.headers['x-hub-signature-256']).toBe('[redacted]');
    expect(accepted!.headers['x-github-event']).toBe('pull_request');
  });

  it('answers events outside the filter with 200 ignored, logged, and no run', async () => {
    const { client, workflow, webhook } = await setup({
      auth: 'github',
      secret,
      eventFilter: ['pull_request.opened'],
      mapping: '{ "query": action }',
    });
    const send = async (event: string, payload: string) =>
      post(webhook.url, payload, {
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': await githubSign(secret, payload),
      });
    expect(await send('push', '{"ref":"refs/heads/main"}')).toMatchObject({
      status: 200,
      body: { ignored: true, event: 'push' },
    });
    expect((await send('pull_request', '{"action":"closed"}')).body).toMatchObject({ ignored: true });
    expect((await send('pull_request', body)).status).toBe(202);
    expect(await executionCount(workflow.id)).toBe(1);
    const ignored = (await client.webhooks.logs.query({ id: webhook.id })).items.filter(
      (item) => item.outcome === 'ignored',
    );
    expect(ignored.map((item) => item.event).sort()).toEqual(['pull_request', 'push']);
  });

  it('"Send test" sends a request signed the way GitHub signs, through the same checks', async () => {
    const { client, workflow, webhook } = await setup({
      auth: 'github',
      eventFilter: ['pull_request'],
      mapping: '{ "query": $headers."x-github-event" }',
    });
    // No secret pasted: we generated one to paste into GitHub, shown once.
    expect(webhook.secret).toMatch(/^whsec_/);
    const { executionId } = await client.webhooks.test.mutate({
      id: webhook.id,
      payload: { action: 'opened' },
      event: 'pull_request',
    });
    expect(await runInput(executionId)).toEqual({ query: 'pull_request' });
    await expectApiError(
      client.webhooks.test.mutate({ id: webhook.id, payload: {}, event: 'push' }),
      'BAD_REQUEST',
      { paths: ['event'] },
    );
    expect(await executionCount(workflow.id)).toBe(1);
    const [logged] = (await client.webhooks.logs.query({ id: webhook.id })).items;
    expect(logged).toMatchObject({ source: 'test', event: 'pull_request', outcome: 'accepted' });
    expect(logged!.headers['x-hub-signature-256']).toBe('[redacted]');
  });
});

describe('Stripe', () => {
  const secret = 'whsec_from_the_stripe_dashboard_0123456789';
  const event = (id: string, type = 'invoice.paid') =>
    JSON.stringify({ id, object: 'event', type, data: { object: { id: 'in_1', amount_paid: 1200 } } });

  it("takes events signed by stripe's generateTestHeaderString: one run per event id, 401 for stale or forged", async () => {
    const { client, workflow, webhook } = await setup({
      auth: 'stripe',
      secret,
      eventFilter: ['invoice.*'],
      mapping: '{ "query": type & " " & $string(data.object.amount_paid) }',
    });
    const payload = event('evt_1NG8Du2eZvKYlo2CUI79vXWy');
    const sign = (timestamp?: number) =>
      stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp ? { timestamp } : {}) });
    const first = await post(webhook.url, payload, { 'stripe-signature': sign() });
    expect(first.status).toBe(202);
    expect(await runInput(first.body.executionId as string)).toEqual({ query: 'invoice.paid 1200' });
    // Stripe retries an event with a fresh signature; the event id is what stays.
    const retry = await post(webhook.url, payload, {
      'stripe-signature': sign(Math.floor(Date.now() / 1000) - 5),
    });
    expect(retry).toMatchObject({
      status: 200,
      body: { duplicate: true, executionId: first.body.executionId },
    });

    const stale = sign(Math.floor(Date.now() / 1000) - 301);
    const wrong = stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_someone_else' });
    for (const [body, header] of [
      [payload, stale],
      [payload, wrong],
      [event('evt_other'), sign()],
    ] as const)
      expect((await post(webhook.url, body, { 'stripe-signature': header })).status).toBe(401);
    expect((await post(webhook.url, payload)).status).toBe(401);

    const other = event('evt_2', 'customer.created');
    expect(
      await post(webhook.url, other, {
        'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: other, secret }),
      }),
    ).toMatchObject({ status: 200, body: { ignored: true, event: 'customer.created' } });
    expect(await executionCount(workflow.id)).toBe(1);

    const items = (await client.webhooks.logs.query({ id: webhook.id })).items;
    expect(items.filter((item) => item.outcome === 'rejected-signature')).toHaveLength(4);
    expect(items.find((item) => item.outcome === 'accepted')).toMatchObject({
      messageId: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
      event: 'invoice.paid',
    });
  });

  it('takes a rolled secret with a grace period: the old one keeps verifying until it ends', async () => {
    const { client, workflow, webhook } = await setup({ auth: 'stripe', secret, mapping: '{ "query": id }' });
    const rolled = 'whsec_rolled_in_the_stripe_dashboard_987';
    await expectApiError(client.webhooks.regenerateSecret.mutate({ id: webhook.id }), 'BAD_REQUEST', {
      paths: ['secret'],
    });
    await client.webhooks.regenerateSecret.mutate({ id: webhook.id, secret: rolled, graceSeconds: 3600 });
    const now = Date.now();
    clock.set(now);
    const at = Math.floor(now / 1000);
    for (const [id, key] of [
      ['evt_old', secret],
      ['evt_new', rolled],
    ] as const) {
      const payload = event(id);
      const header = stripe.webhooks.generateTestHeaderString({ payload, secret: key, timestamp: at });
      expect((await post(webhook.url, payload, { 'stripe-signature': header })).status).toBe(202);
    }
    clock.set(now + 3601 * 1000);
    const late = event('evt_late');
    const header = stripe.webhooks.generateTestHeaderString({ payload: late, secret, timestamp: at + 3601 });
    expect((await post(webhook.url, late, { 'stripe-signature': header })).status).toBe(401);
    expect(await executionCount(workflow.id)).toBe(2);
  });

  it('validates pasted secrets and filters by path', async () => {
    const { client, workflow } = await setup();
    await expectApiError(
      client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'stripe' }),
      'BAD_REQUEST',
      {
        paths: ['secret'],
      },
    );
    await expectApiError(
      client.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'stripe',
        secret: 'sk_live_not_a_webhook_secret',
      }),
      'BAD_REQUEST',
      { paths: ['secret'] },
    );
    await expectApiError(
      client.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'signature',
        secret: 'whsec_mine_please',
      }),
      'BAD_REQUEST',
      { paths: ['secret'] },
    );
    await expectApiError(
      client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'signature', eventFilter: ['push'] }),
      'BAD_REQUEST',
      { paths: ['eventFilter'] },
    );
    await expectApiError(
      client.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'github',
        eventFilter: ['pull request'],
      }),
      'BAD_REQUEST',
      { paths: ['eventFilter[0]'] },
    );
    // Write-only: the pasted secret is never listed, and stored encrypted.
    const created = await client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'stripe', secret });
    expect(JSON.stringify(await client.webhooks.list.query({ workflowId: workflow.id }))).not.toContain(
      secret,
    );
    const [stored] = await api.database.sql<{ secret: string }[]>`
      select secret from workflow_webhooks where id = ${created.id}`;
    expect(stored!.secret).not.toContain('from_the_stripe');
  });
});

describe('Slack', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const slackHeaders = (body: string, at = Math.floor(Date.now() / 1000)) => ({
    'x-slack-request-timestamp': String(at),
    'x-slack-signature': `v0=${hex(secret, `v0:${at}:`, body).digest('hex')}`,
  });

  it("answers the url_verification challenge without a run, and takes each event once across Slack's retries", async () => {
    const { client, workflow, webhook } = await setup({
      auth: 'slack',
      secret,
      mapping: '{ "query": event.text }',
    });
    const handshake = JSON.stringify({
      token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    expect(await post(webhook.url, handshake, slackHeaders(handshake))).toMatchObject({
      status: 200,
      body: { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' },
    });
    expect((await post(webhook.url, handshake)).status).toBe(401);

    const callback = JSON.stringify({
      type: 'event_callback',
      event_id: 'Ev08MFMKH6',
      event: { type: 'app_mention', text: 'hello swarm' },
    });
    const first = await post(webhook.url, callback, slackHeaders(callback));
    expect(first.status).toBe(202);
    const retry = await post(webhook.url, callback, {
      ...slackHeaders(callback),
      'x-slack-retry-num': '1',
      'x-slack-retry-reason': 'http_timeout',
    });
    expect(retry).toMatchObject({ status: 200, body: { duplicate: true } });
    const stale = slackHeaders(callback, Math.floor(Date.now() / 1000) - 301);
    expect((await post(webhook.url, callback, stale)).status).toBe(401);
    const tampered = callback.replace('hello', 'goodbye').replace('Ev08MFMKH6', 'Ev08MFMKH7');
    expect((await post(webhook.url, tampered, slackHeaders(callback))).status).toBe(401);
    expect(await executionCount(workflow.id)).toBe(1);
    const outcomes = (await client.webhooks.logs.query({ id: webhook.id })).items.map((item) => item.outcome);
    expect(outcomes.sort()).toEqual([
      'accepted',
      'challenge',
      'duplicate',
      'rejected-signature',
      'rejected-signature',
      'rejected-signature',
    ]);
  });
});

describe('Shopify', () => {
  it('takes a delivery once per X-Shopify-Webhook-Id and refuses a wrong HMAC', async () => {
    const secret = 'shopify-webhook-signing-key-from-settings';
    const { workflow, webhook } = await setup({
      auth: 'shopify',
      secret,
      mapping: '{ "query": $headers."x-shopify-topic" }',
    });
    const body = JSON.stringify({ id: 820982911946154500, email: 'jon@example.com' });
    const headers = {
      'x-shopify-topic': 'orders/create',
      'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      'x-shopify-hmac-sha256': hex(secret, body).digest('base64'),
    };
    const first = await post(webhook.url, body, headers);
    expect(first.status).toBe(202);
    expect(await runInput(first.body.executionId as string)).toEqual({ query: 'orders/create' });
    expect((await post(webhook.url, body, headers)).body).toMatchObject({ duplicate: true });
    const wrong = { ...headers, 'x-shopify-hmac-sha256': hex('other', body).digest('base64') };
    expect((await post(webhook.url, body, wrong)).status).toBe(401);
    expect(await executionCount(workflow.id)).toBe(1);
  });
});

describe('export', () => {
  it("leaves sender-preset webhooks out of an export: their secret is the service's, pasted again", async () => {
    const { client, token } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'Exported' });
    await client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'signature' });
    await client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'github', secret: 'gh-secret-123' });
    const response = await fetch(`${api.url}/api/workflows/${workflow.id}/export?webhooks=true`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { webhooks: { auth: string }[] };
    expect(doc.webhooks.map((webhook) => webhook.auth)).toEqual(['signature']);
  });
});
