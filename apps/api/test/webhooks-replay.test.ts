/**
 * Webhooks end to end over real HTTP, what a call becomes: mapping payloads to run input, input
 * checks, budgets and pinned tags, the call log, "send test", replay of a logged call, and `?wait`
 * for a run's output (an in-process runner executes the runs).
 */

import { signSimpleWebhook } from '@swarm/webhooks';
import { describe, expect, it } from 'vitest';
import { expectApiError } from './expect-error.ts';
import { standardHeaders } from './standard-webhooks.ts';
import { post, slow, useWebhookApi } from './webhooks-harness.ts';

const { api, setup, executionCount } = useWebhookApi({ runner: true });

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
