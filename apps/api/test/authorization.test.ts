/**
 * The authorization sweep: walks every procedure of the router — read from the router itself, so
 * procedures added later are covered (or fail here until given a case) — and proves an anonymous
 * caller is refused and user B gets NOT_FOUND for user A's ids.
 */

import { appRouter } from '@swarm/api-router';
import type { SwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

// With a secret key, so provider credentials can be stored.
const api = useApiServer({ secretKey: generateSecretKey() });

const PUBLIC = new Set(['health', 'auth.signup', 'auth.login']);

type ProcedureType = 'query' | 'mutation' | 'subscription';
const procedures = Object.entries(
  appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureType } }>,
).map(([path, procedure]) => ({ path, type: procedure._def.type }));

/** Calls any procedure by path through a real HTTP client (a subscription: until its first event). */
function call(client: SwarmClient, path: string, type: ProcedureType, input: unknown): Promise<unknown> {
  let target: unknown = client;
  for (const part of path.split('.')) target = (target as Record<string, unknown>)[part];
  const proc = target as {
    query(i: unknown): Promise<unknown>;
    mutate(i: unknown): Promise<unknown>;
    subscribe(
      i: unknown,
      handlers: { onData(d: unknown): void; onError(e: unknown): void; onComplete(): void },
    ): { unsubscribe(): void };
  };
  if (type === 'subscription') {
    return new Promise((resolve, reject) => {
      const subscription = proc.subscribe(input, {
        onData: (data) => {
          subscription.unsubscribe();
          resolve(data);
        },
        onError: reject,
        onComplete: () => resolve(undefined),
      });
    });
  }
  return type === 'query' ? proc.query(input) : proc.mutate(input);
}

interface World {
  a: {
    workflowId: string;
    tagId: string;
    apiTokenId: string;
    email: string;
    /** A's run with a provider fallback logged against it. */
    fallbackExecutionId: string;
    /** A's run started through the API (queued: no runner here). */
    executionId: string;
    /** A's committed version, tagged `production`. */
    versionId: string;
    /** A's (paused) cron schedule of the workflow. */
    scheduleId: string;
    /** A's monthly budget for the workflow. */
    budgetId: string;
    /** A's webhook, with its secret and one logged (refused) call. */
    webhookId: string;
    webhookSecret: string;
    webhookLogId: string;
    /** A's notification channel (a signed webhook) and its subscription to run failures. */
    channelId: string;
    channelSecret: string;
    subscriptionId: string;
  };
  b: { workflowId: string; tagId: string };
}

/** A's stored OpenAI key; B must never see it, nor its hint. */
const A_PROVIDER_KEY = 'sk-A-secret-provider-key-HnTQ';

/** A's OpenAI-compatible credential (priced model `a-secret-model`); B must not see or touch it. */
const A_COMPATIBLE = 'a-secret-endpoint';

/** A valid one-node export document, for the import cases. */
const transferDocument = {
  version: '1.0',
  metadata: { name: 'imported by B' },
  workflow: { nodes: [{ id: 'in', type: 'input' }], edges: [] },
};

/**
 * What B sends to each procedure, built from A's ids. `notFound`: B must get NOT_FOUND.
 * `ownView`: the call succeeds but must show none of A's ids.
 */
type Case = { input: (w: World) => unknown; expect: 'notFound' | 'ownView' };
const cases: Record<string, Case> = {
  'auth.logout': { input: () => undefined, expect: 'ownView' },
  'auth.me': { input: () => undefined, expect: 'ownView' },
  'auth.createApiToken': { input: () => ({ name: 'b token' }), expect: 'ownView' },
  'auth.listApiTokens': { input: () => undefined, expect: 'ownView' },
  'auth.revokeApiToken': { input: (w) => ({ id: w.a.apiTokenId }), expect: 'notFound' },
  'workflows.list': { input: () => ({}), expect: 'ownView' },
  'workflows.get': { input: (w) => ({ id: w.a.workflowId }), expect: 'notFound' },
  'workflows.create': { input: () => ({ name: 'b workflow' }), expect: 'ownView' },
  'workflows.update': { input: (w) => ({ id: w.a.workflowId, name: 'hijacked' }), expect: 'notFound' },
  'workflows.delete': { input: (w) => ({ id: w.a.workflowId }), expect: 'notFound' },
  'workflows.clone': { input: (w) => ({ id: w.a.workflowId }), expect: 'notFound' },
  'workflows.validate': { input: () => ({ definition: { nodes: [], edges: [] } }), expect: 'ownView' },
  'tags.list': { input: () => undefined, expect: 'ownView' },
  'tags.create': { input: () => ({ name: 'another tag of B', color: '#123456' }), expect: 'ownView' },
  'tags.update': { input: (w) => ({ id: w.a.tagId, name: 'hijacked' }), expect: 'notFound' },
  'tags.delete': { input: (w) => ({ id: w.a.tagId }), expect: 'notFound' },
  'tags.attach': { input: (w) => ({ workflowId: w.a.workflowId, tagId: w.b.tagId }), expect: 'notFound' },
  'tags.detach': { input: (w) => ({ workflowId: w.a.workflowId, tagId: w.a.tagId }), expect: 'notFound' },
  'providers.health': { input: () => ({}), expect: 'ownView' },
  'providers.events': { input: (w) => ({ executionId: w.a.fallbackExecutionId }), expect: 'notFound' },
  'providers.pricing.list': { input: () => ({}), expect: 'ownView' },
  'providers.pricing.upsert': {
    input: () => ({
      provider: 'mock',
      model: 'b-model',
      inputPerMillionMicros: 1,
      outputPerMillionMicros: 1,
    }),
    expect: 'ownView',
  },
  'providers.modelMap.list': { input: () => undefined, expect: 'ownView' },
  'providers.modelMap.upsert': {
    input: () => ({ from: { provider: 'mock', model: 'b-from' }, to: [{ provider: 'mock', model: 'b-to' }] }),
    expect: 'ownView',
  },
  'providers.credentials.list': { input: () => undefined, expect: 'ownView' },
  'providers.credentials.set': {
    input: () => ({ provider: 'gemini', apiKey: 'b-own-gemini-key-0000' }),
    expect: 'ownView',
  },
  'providers.credentials.delete': { input: () => ({ provider: 'openai' }), expect: 'notFound' },
  'providers.compatible.list': { input: () => undefined, expect: 'ownView' },
  'providers.compatible.set': {
    input: () => ({ name: 'b-endpoint', baseUrl: 'https://93.184.216.34/b/v1', apiKey: 'b-own-key-0000' }),
    expect: 'ownView',
  },
  'providers.compatible.delete': { input: () => ({ name: A_COMPATIBLE }), expect: 'notFound' },
  'providers.compatible.prices.list': { input: () => undefined, expect: 'ownView' },
  'providers.compatible.prices.set': {
    input: () => ({
      credential: A_COMPATIBLE,
      model: 'a-secret-model',
      inputPerMillionMicros: 1,
      outputPerMillionMicros: 1,
    }),
    expect: 'notFound',
  },
  'providers.compatible.prices.delete': {
    input: () => ({ credential: A_COMPATIBLE, model: 'a-secret-model' }),
    expect: 'notFound',
  },
  'nodeTypes.list': { input: () => undefined, expect: 'ownView' },
  'runs.start': { input: (w) => ({ workflowId: w.a.workflowId, input: {} }), expect: 'notFound' },
  'runs.list': { input: () => ({}), expect: 'ownView' },
  'runs.get': { input: (w) => ({ id: w.a.executionId }), expect: 'notFound' },
  'runs.cancel': { input: (w) => ({ id: w.a.executionId }), expect: 'notFound' },
  'runs.rerun': { input: (w) => ({ id: w.a.executionId, fromNodeId: 'x' }), expect: 'notFound' },
  'runs.events': { input: (w) => ({ id: w.a.executionId }), expect: 'notFound' },
  'runs.testNode': {
    input: (w) => ({ workflowId: w.a.workflowId, nodeId: 'x', input: {}, upstream: {} }),
    expect: 'notFound',
  },
  'runs.nodeTestData': { input: (w) => ({ workflowId: w.a.workflowId, nodeId: 'x' }), expect: 'notFound' },
  'pins.list': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'pins.set': { input: (w) => ({ workflowId: w.a.workflowId, nodeId: 'x', output: 1 }), expect: 'notFound' },
  'pins.remove': { input: (w) => ({ workflowId: w.a.workflowId, nodeId: 'x' }), expect: 'notFound' },
  'transfer.export': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'transfer.import': {
    input: (w) => ({ document: transferDocument, mode: 'replace', targetWorkflowId: w.a.workflowId }),
    expect: 'notFound',
  },
  'versions.list': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'versions.get': { input: (w) => ({ versionId: w.a.versionId }), expect: 'notFound' },
  'versions.create': {
    input: (w) => ({ workflowId: w.a.workflowId, commitMessage: 'hijacked' }),
    expect: 'notFound',
  },
  'versions.restore': {
    input: (w) => ({ workflowId: w.a.workflowId, versionId: w.a.versionId }),
    expect: 'notFound',
  },
  'versions.compare': {
    input: (w) => ({ workflowId: w.a.workflowId, from: w.a.versionId, to: 'draft' }),
    expect: 'notFound',
  },
  'versions.compareSides': {
    input: (w) => ({ workflowId: w.a.workflowId, from: w.a.versionId, to: 'draft' }),
    expect: 'notFound',
  },
  'versions.compareDefinition': {
    input: (w) => ({ workflowId: w.a.workflowId, from: 'draft', definition: { nodes: [], edges: [] } }),
    expect: 'notFound',
  },
  'versions.tag': { input: (w) => ({ versionId: w.a.versionId, tag: 'hijacked' }), expect: 'notFound' },
  'versions.untag': { input: (w) => ({ versionId: w.a.versionId, tag: 'production' }), expect: 'notFound' },
  'schedules.list': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'schedules.get': { input: (w) => ({ id: w.a.scheduleId }), expect: 'notFound' },
  'schedules.create': {
    input: (w) => ({ workflowId: w.a.workflowId, cron: '0 9 * * *', timezone: 'UTC' }),
    expect: 'notFound',
  },
  'schedules.update': { input: (w) => ({ id: w.a.scheduleId, enabled: true }), expect: 'notFound' },
  'schedules.delete': { input: (w) => ({ id: w.a.scheduleId }), expect: 'notFound' },
  'schedules.pause': { input: (w) => ({ id: w.a.scheduleId }), expect: 'notFound' },
  'schedules.resume': { input: (w) => ({ id: w.a.scheduleId }), expect: 'notFound' },
  'schedules.history': { input: (w) => ({ id: w.a.scheduleId }), expect: 'notFound' },
  'schedules.preview': { input: () => ({ cron: '0 9 * * *', timezone: 'UTC' }), expect: 'ownView' },
  'analytics.summary': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'analytics.trends': { input: (w) => ({ interval: 'day', workflowId: w.a.workflowId }), expect: 'notFound' },
  'analytics.expensiveWorkflows': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'analytics.usage': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'budgets.list': { input: () => undefined, expect: 'ownView' },
  'budgets.create': {
    input: (w) => ({ scope: w.a.workflowId, monthlyLimitMicros: 1_000_000 }),
    expect: 'notFound',
  },
  'budgets.update': { input: (w) => ({ id: w.a.budgetId, monthlyLimitMicros: 1 }), expect: 'notFound' },
  'budgets.delete': { input: (w) => ({ id: w.a.budgetId }), expect: 'notFound' },
  'budgets.alerts': { input: () => ({}), expect: 'ownView' },
  'webhooks.list': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'notFound' },
  'webhooks.create': {
    input: (w) => ({ workflowId: w.a.workflowId, auth: 'signature' }),
    expect: 'notFound',
  },
  'webhooks.update': { input: (w) => ({ id: w.a.webhookId, enabled: false }), expect: 'notFound' },
  'webhooks.delete': { input: (w) => ({ id: w.a.webhookId }), expect: 'notFound' },
  'webhooks.regenerateSecret': { input: (w) => ({ id: w.a.webhookId, graceSeconds: 0 }), expect: 'notFound' },
  'webhooks.logs': { input: (w) => ({ id: w.a.webhookId }), expect: 'notFound' },
  'webhooks.test': { input: (w) => ({ id: w.a.webhookId, payload: {} }), expect: 'notFound' },
  'webhooks.previewMapping': { input: () => ({ mapping: '$', payload: {} }), expect: 'ownView' },
  'webhooks.replay': { input: (w) => ({ logId: w.a.webhookLogId }), expect: 'notFound' },
  'notifications.channels': { input: () => undefined, expect: 'ownView' },
  'notifications.createChannel': {
    input: () => ({ kind: 'email', name: 'B mail', address: 'b@example.com' }),
    expect: 'ownView',
  },
  'notifications.updateChannel': {
    input: (w) => ({ id: w.a.channelId, enabled: false }),
    expect: 'notFound',
  },
  'notifications.deleteChannel': { input: (w) => ({ id: w.a.channelId }), expect: 'notFound' },
  'notifications.sendTest': { input: (w) => ({ channelId: w.a.channelId }), expect: 'notFound' },
  'notifications.subscriptions': { input: () => undefined, expect: 'ownView' },
  'notifications.subscribe': {
    input: (w) => ({ channelId: w.a.channelId, workflowId: null, events: ['run_failed'] }),
    expect: 'notFound',
  },
  'notifications.unsubscribe': { input: (w) => ({ id: w.a.subscriptionId }), expect: 'notFound' },
  'notifications.deliveries': { input: (w) => ({ channelId: w.a.channelId }), expect: 'ownView' },
};
/** Mixed ownership: B's own workflow with A's tag must be refused just the same. */
const crossCases: Record<string, Case> = {
  'notifications.subscribe': {
    input: (w) => ({ channelId: w.a.channelId, workflowId: w.b.workflowId, events: ['run_failed'] }),
    expect: 'notFound',
  },
  'tags.attach': { input: (w) => ({ workflowId: w.b.workflowId, tagId: w.a.tagId }), expect: 'notFound' },
  'tags.detach': { input: (w) => ({ workflowId: w.b.workflowId, tagId: w.a.tagId }), expect: 'notFound' },
  // Without an execution id B sees the global breaker changes, never A's fallbacks.
  'providers.events': { input: () => ({}), expect: 'ownView' },
  // Unfiltered, B's analytics and budgets show B's own figures only.
  'analytics.summary': { input: () => ({}), expect: 'ownView' },
  'analytics.expensiveWorkflows': { input: () => ({}), expect: 'ownView' },
  // B's own runs, filtered by A's workflow: nothing.
  'runs.list': { input: (w) => ({ workflowId: w.a.workflowId }), expect: 'ownView' },
  'runs.start': { input: (w) => ({ workflowId: w.b.workflowId, input: {} }), expect: 'ownView' },
  'transfer.import': {
    input: (w) => ({ document: transferDocument, mode: 'merge', targetWorkflowId: w.a.workflowId }),
    expect: 'notFound',
  },
  // B's own workflow with A's version: refused just the same.
  'versions.restore': {
    input: (w) => ({ workflowId: w.b.workflowId, versionId: w.a.versionId }),
    expect: 'notFound',
  },
  'versions.compare': {
    input: (w) => ({ workflowId: w.b.workflowId, from: 'draft', to: w.a.versionId }),
    expect: 'notFound',
  },
  'versions.compareSides': {
    input: (w) => ({ workflowId: w.b.workflowId, from: 'draft', to: w.a.versionId }),
    expect: 'notFound',
  },
  'versions.compareDefinition': {
    input: (w) => ({ workflowId: w.b.workflowId, from: w.a.versionId, definition: { nodes: [], edges: [] } }),
    expect: 'notFound',
  },
};
/** Pinning A's version (by id or by A's tag) to B's own workflow. */
const pinCases: Record<string, Case> = {
  'runs.start': {
    input: (w) => ({ workflowId: w.b.workflowId, input: {}, versionId: w.a.versionId }),
    expect: 'notFound',
  },
};

async function buildWorld() {
  const a = await api.signUp();
  const b = await api.signUp();
  const aWorkflow = await a.client.workflows.create.mutate({ name: 'A secret workflow' });
  const aTag = await a.client.tags.create.mutate({ name: 'A secret tag', color: '#ff0000' });
  await a.client.tags.attach.mutate({ workflowId: aWorkflow.id, tagId: aTag.id });
  const aToken = await a.client.auth.createApiToken.mutate({ name: 'A token' });
  await a.client.providers.credentials.set.mutate({ provider: 'openai', apiKey: A_PROVIDER_KEY });
  await a.client.providers.compatible.set.mutate({
    name: A_COMPATIBLE,
    baseUrl: 'https://93.184.216.34/a-secret-path/v1',
    apiKey: A_PROVIDER_KEY,
    headers: { 'x-a-secret-header': 'a-secret-header-value' },
  });
  await a.client.providers.compatible.prices.set.mutate({
    credential: A_COMPATIBLE,
    model: 'a-secret-model',
    inputPerMillionMicros: 100,
    outputPerMillionMicros: 200,
  });
  const [aExecution] = await api.database.sql<{ id: string }[]>`
    insert into executions (workflow_id, owner_id, definition, trigger, input)
    values (${aWorkflow.id}, ${a.user.id}, '{"nodes":[],"edges":[]}'::jsonb, 'manual', '{}'::jsonb)
    returning id`;
  await api.database.sql`
    insert into provider_events (kind, provider, model, error_class, execution_id)
    values ('fallback', 'openai', 'gpt-4o', 'rate_limit', ${aExecution!.id})`;
  const aRun = await a.client.runs.start.mutate({ workflowId: aWorkflow.id, input: {} });
  const aVersion = await a.client.versions.create.mutate({ workflowId: aWorkflow.id, commitMessage: 'A v1' });
  await a.client.versions.tag.mutate({ versionId: aVersion.id, tag: 'production' });
  const aSchedule = await a.client.schedules.create.mutate({
    workflowId: aWorkflow.id,
    cron: '0 9 * * *',
    timezone: 'UTC',
    enabled: false,
  });
  const aBudget = await a.client.budgets.create.mutate({
    scope: aWorkflow.id,
    monthlyLimitMicros: 5_000_000,
    alertAt: [50],
    blockWhenExceeded: false,
  });
  const aWebhook = await a.client.webhooks.create.mutate({ workflowId: aWorkflow.id, auth: 'signature' });
  // An unsigned call: logged (refused), no run.
  await fetch(aWebhook.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const [aWebhookLog] = (await a.client.webhooks.logs.query({ id: aWebhook.id })).items;
  const aChannel = await a.client.notifications.createChannel.mutate({
    kind: 'webhook',
    name: 'A hook',
    url: 'https://hooks.example.com/a-secret-path',
  });
  const aSubscription = await a.client.notifications.subscribe.mutate({
    channelId: aChannel.channel.id,
    workflowId: aWorkflow.id,
    events: ['run_failed'],
  });
  await a.client.notifications.sendTest.mutate({ channelId: aChannel.channel.id });
  const bWorkflow = await b.client.workflows.create.mutate({ name: 'B workflow' });
  const bTag = await b.client.tags.create.mutate({ name: 'B tag', color: '#00ff00' });
  const world: World = {
    a: {
      workflowId: aWorkflow.id,
      tagId: aTag.id,
      apiTokenId: aToken.apiToken.id,
      email: a.user.email,
      fallbackExecutionId: aExecution!.id,
      executionId: aRun.executionId,
      versionId: aVersion.id,
      scheduleId: aSchedule.id,
      budgetId: aBudget.id,
      webhookId: aWebhook.id,
      webhookSecret: aWebhook.secret,
      webhookLogId: aWebhookLog!.id,
      channelId: aChannel.channel.id,
      channelSecret: aChannel.signingSecret!,
      subscriptionId: aSubscription.id,
    },
    b: { workflowId: bWorkflow.id, tagId: bTag.id },
  };
  return { world, a, b };
}

describe('authorization sweep over every procedure', () => {
  it('has an ownership case for every procedure that needs a user', () => {
    const missing = procedures.filter((p) => !PUBLIC.has(p.path) && !cases[p.path]).map((p) => p.path);
    expect(missing, 'add an entry to `cases` for each new procedure').toEqual([]);
  });

  it('refuses anonymous callers everywhere but health, signup and login', async () => {
    const { world } = await buildWorld();
    const anonymous = api.anonymous();
    for (const { path, type } of procedures) {
      if (PUBLIC.has(path)) continue;
      await expectApiError(call(anonymous, path, type, cases[path]!.input(world)), 'UNAUTHORIZED').catch(
        (e: Error) => {
          throw new Error(`${path}: ${e.message}`);
        },
      );
    }
  });

  it("gives user B NOT_FOUND for user A's ids, and never shows B anything of A's", async () => {
    const { world, a, b } = await buildWorld();
    const secrets = [
      world.a.workflowId,
      world.a.tagId,
      world.a.apiTokenId,
      world.a.email,
      'A secret',
      world.a.fallbackExecutionId,
      world.a.executionId,
      world.a.versionId,
      world.a.scheduleId,
      world.a.webhookId,
      world.a.webhookSecret,
      world.a.webhookLogId,
      world.a.channelId,
      world.a.channelSecret,
      world.a.subscriptionId,
      'a-secret-path',
      A_PROVIDER_KEY.slice(-4),
      A_COMPATIBLE,
      'a-secret-path',
      'a-secret-header',
      'a-secret-model',
    ];
    const checked: string[] = [];
    for (const { path, type } of procedures) {
      for (const table of [cases, crossCases, pinCases]) {
        const c = table[path];
        if (!c || PUBLIC.has(path)) continue;
        const label = `${path} ${JSON.stringify(c.input(world))}`;
        if (c.expect === 'notFound') {
          await expectApiError(call(b.client, path, type, c.input(world)), 'NOT_FOUND').catch((e: Error) => {
            throw new Error(`${label}: ${e.message}`);
          });
        } else if (path !== 'auth.logout') {
          const answer = JSON.stringify(await call(b.client, path, type, c.input(world)));
          for (const secret of secrets) expect(answer, label).not.toContain(secret);
        }
        checked.push(path);
      }
    }
    expect(new Set(checked).size).toBe(procedures.length - PUBLIC.size);

    // A's resources came through untouched.
    const workflow = await a.client.workflows.get.query({ id: world.a.workflowId });
    expect(workflow.name).toBe('A secret workflow');
    expect(workflow.tags.map((t) => t.id)).toEqual([world.a.tagId]);
    expect((await a.client.auth.listApiTokens.query())[0]?.revokedAt).toBeNull();
    expect((await a.client.tags.list.query()).map((t) => t.name)).toEqual(['A secret tag']);
    expect((await a.client.providers.credentials.list.query()).map((c) => c.hint)).toEqual(['HnTQ']);
    expect((await a.client.providers.compatible.list.query()).map((c) => c.name)).toEqual([A_COMPATIBLE]);
    expect((await a.client.providers.compatible.prices.list.query()).map((p) => p.model)).toEqual([
      'a-secret-model',
    ]);
    const versions = await a.client.versions.list.query({ workflowId: world.a.workflowId });
    expect(versions.items.map((v) => [v.id, v.commitMessage, v.tags])).toEqual([
      [world.a.versionId, 'A v1', ['production']],
    ]);
    const run = await a.client.runs.get.query({ id: world.a.executionId });
    expect(run).toMatchObject({ status: 'queued', cancelRequestedAt: null });
    expect((await a.client.runs.list.query({})).items.map((r) => r.id).sort()).toEqual(
      [world.a.executionId, world.a.fallbackExecutionId].sort(),
    );
    const webhooks = await a.client.webhooks.list.query({ workflowId: world.a.workflowId });
    expect(webhooks.items.map((h) => [h.id, h.enabled, h.previousSecretExpiresAt])).toEqual([
      [world.a.webhookId, true, null],
    ]);
  });
});
