/**
 * The providers router over HTTP: stored keys are never returned or logged and stay their
 * owner's, prices and the model map refuse bad input by field, and the health page and event
 * feed show the right numbers and only what the caller may see.
 */
import { Writable } from 'node:stream';
import { generateSecretKey } from '@swarm/providers/store';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const logLines: string[] = [];
const logger = pino(
  { level: 'trace' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);
const api = useApiServer({ secretKey: generateSecretKey(), logger });

const OPENAI_KEY = 'sk-proj-LeakCanary-7f3a9c2e1b8d4XyZw';

/** A run of the user's own workflow, inserted as the runner would have created it. */
async function insertExecution(ownerId: string, workflowId: string): Promise<string> {
  const [row] = await api.database.sql<{ id: string }[]>`
    insert into executions (workflow_id, owner_id, definition, trigger, input)
    values (${workflowId}, ${ownerId}, ${JSON.stringify({ nodes: [], edges: [] })}::jsonb, 'manual', '{}'::jsonb)
    returning id`;
  return row!.id;
}

describe('providers.credentials', () => {
  it('stores a key, lists only its hint, and never returns, stores or logs the value', async () => {
    const { client, user } = await api.signUp();
    const set = await client.providers.credentials.set.mutate({
      provider: 'openai',
      apiKey: `  ${OPENAI_KEY} `,
    });
    expect(set).toEqual({ provider: 'openai', hint: 'XyZw', updatedAt: expect.any(Date) });
    const list = await client.providers.credentials.list.query();
    expect(list).toEqual([{ provider: 'openai', hint: 'XyZw', updatedAt: expect.any(Date) }]);
    expect(JSON.stringify([set, list])).not.toContain(OPENAI_KEY.slice(0, 12));

    const rows = await api.database.sql`select * from credentials where owner_id = ${user.id}`;
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain(OPENAI_KEY.slice(0, 12));
    expect(JSON.stringify(rows)).not.toContain(Buffer.from(OPENAI_KEY).toString('base64').slice(0, 12));

    // A malformed key is refused by field, without echoing it.
    const pasted = 'sk-proj-LeakCanary with-a-space-1234';
    const error = await expectApiError(
      client.providers.credentials.set.mutate({ provider: 'anthropic', apiKey: pasted }),
      'BAD_REQUEST',
      { paths: ['apiKey'], message: /apiKey: printable ASCII without spaces/ },
    );
    expect(JSON.stringify({ message: error.message, data: error.data })).not.toContain('LeakCanary');
    await expectApiError(
      client.providers.credentials.set.mutate({ provider: 'mock' as 'openai', apiKey: OPENAI_KEY }),
      'BAD_REQUEST',
      { paths: ['provider'] },
    );

    expect(logLines.join('')).toContain('"url":"/trpc/providers.credentials.set"');
    expect(logLines.join('')).not.toContain('LeakCanary');
  });

  it("keeps each user's keys their own: B neither sees nor deletes A's", async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    await a.client.providers.credentials.set.mutate({
      provider: 'gemini',
      apiKey: 'AIzaSyA-owned-by-A-QQQQ',
    });
    expect(await b.client.providers.credentials.list.query()).toEqual([]);
    await expectApiError(b.client.providers.credentials.delete.mutate({ provider: 'gemini' }), 'NOT_FOUND');
    expect((await a.client.providers.credentials.list.query()).map((c) => c.hint)).toEqual(['QQQQ']);

    await a.client.providers.credentials.delete.mutate({ provider: 'gemini' });
    expect(await a.client.providers.credentials.list.query()).toEqual([]);
    await expectApiError(a.client.providers.credentials.delete.mutate({ provider: 'gemini' }), 'NOT_FOUND');
  });
});

describe('providers.pricing and providers.modelMap', () => {
  const price = {
    provider: 'openai' as const,
    model: 'gpt-pricing-test',
    inputPerMillionMicros: 1_500_000,
    outputPerMillionMicros: 6_000_000,
  };

  it('adds a price and lists it; refuses a negative price by field and a repeated date as a conflict', async () => {
    const { client } = await api.signUp();
    const effectiveFrom = new Date('2026-03-01T00:00:00.000Z');
    const added = await client.providers.pricing.upsert.mutate({ ...price, effectiveFrom });
    expect(added).toMatchObject({ ...price, effectiveFrom, cachedInputPerMillionMicros: null });

    await expectApiError(
      client.providers.pricing.upsert.mutate({ ...price, outputPerMillionMicros: -1 }),
      'BAD_REQUEST',
      { paths: ['outputPerMillionMicros'], message: /^outputPerMillionMicros: must not be negative/ },
    );
    await expectApiError(
      client.providers.pricing.upsert.mutate({ ...price, inputPerMillionMicros: 2_000_000, effectiveFrom }),
      'CONFLICT',
      { message: /already exists/ },
    );
    const listed = await client.providers.pricing.list.query({ provider: 'openai', model: price.model });
    expect(listed.map((p) => [p.effectiveFrom, p.inputPerMillionMicros])).toEqual([
      [effectiveFrom, 1_500_000],
    ]);
  });

  it('replaces and lists model equivalents; refuses a model mapped to itself by path', async () => {
    const { client } = await api.signUp();
    const from = { provider: 'openai' as const, model: 'gpt-map-test' };
    const to = [
      { provider: 'anthropic' as const, model: 'claude-map-test' },
      { provider: 'gemini' as const, model: 'gemini-map-test' },
    ];
    expect(await client.providers.modelMap.upsert.mutate({ from, to })).toEqual({ from, to });
    const listed = (await client.providers.modelMap.list.query()).filter((e) => e.from.model === from.model);
    expect(listed.map((e) => e.to)).toEqual(to);
    await expectApiError(client.providers.modelMap.upsert.mutate({ from, to: [from] }), 'BAD_REQUEST', {
      paths: ['to[0]'],
    });
    expect(
      (await client.providers.modelMap.list.query()).filter((e) => e.from.model === from.model),
    ).toHaveLength(2);
  });
});

describe('providers.health', () => {
  it('shows breaker state, error rate and latency percentiles from recent attempts', async () => {
    const { client, user } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'health' });
    const executionId = await insertExecution(user.id, workflow.id);
    const sql = api.database.sql;
    const attempt = (model: string, latencyMs: number, errorClass: string | null, minutesAgo = 1) => sql`
      insert into execution_costs (execution_id, node_id, workflow_id, owner_id, requested_provider,
        requested_model, served_provider, served_model, reason, error_class, started_at, latency_ms, cost_status)
      values (${executionId}, 'agent', ${workflow.id}, ${user.id}, 'openai', ${model}, 'openai', ${model},
        'primary', ${errorClass}, now() - ${minutesAgo} * interval '1 minute', ${latencyMs}, 'no_usage')`;

    // Ten successes at 100…1000 ms: p50 = 550, p95 = 900 + 0.55 × 100 = 955 (linear interpolation).
    for (let i = 1; i <= 10; i++) await attempt('health-a', i * 100, null);
    await attempt('health-a', 30_000, 'server'); // failures count, but not in the latency percentiles
    await attempt('health-a', 30_000, 'timeout');
    await attempt('health-a', 10, 'invalid_request'); // the caller's fault: not counted at all
    await attempt('health-a', 0, 'circuit_open'); // never sent: not counted
    await attempt('health-a', 99_999, null, 180); // outside the default hour
    await sql`insert into provider_breakers (provider, model, state, opened_at, updated_at) values
      ('openai', 'health-a', 'closed', now() - interval '2 hours', now() - interval '2 hours'),
      ('anthropic', 'health-open', 'open', now() - interval '10 seconds', now() - interval '10 seconds'),
      ('gemini', 'health-quiet', 'closed', now() - interval '3 days', now() - interval '3 days')`;

    const { windowMinutes, items } = await client.providers.health.query();
    expect(windowMinutes).toBe(60);
    const byModel = Object.fromEntries(items.map((item) => [item.model, item]));
    expect(byModel['health-a']).toEqual({
      provider: 'openai',
      model: 'health-a',
      servedModels: [],
      state: 'closed',
      openedAt: expect.any(Date),
      attempts: 12,
      failures: 2,
      abandoned: 0,
      errorRate: 2 / 12,
      p50LatencyMs: 550,
      p95LatencyMs: 955,
      lastAttemptAt: expect.any(Date),
    });
    expect(byModel['health-open']).toMatchObject({
      provider: 'anthropic',
      state: 'open',
      attempts: 0,
      errorRate: null,
      p50LatencyMs: null,
    });
    expect(byModel['health-quiet']).toBeUndefined();

    // A longer window takes the old, slow success in: eleven successes, the median moves to 600.
    const wide = await client.providers.health.query({ windowMinutes: 240 });
    expect(wide.items.find((item) => item.model === 'health-a')).toMatchObject({
      attempts: 13,
      p50LatencyMs: 600,
    });
    await expectApiError(client.providers.health.query({ windowMinutes: 0 }), 'BAD_REQUEST', {
      paths: ['windowMinutes'],
    });
  });
});

describe('providers.events', () => {
  it("shows breaker changes to everyone and fallbacks only to the run's owner", async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const workflow = await a.client.workflows.create.mutate({ name: 'events' });
    const executionId = await insertExecution(a.user.id, workflow.id);
    const sql = api.database.sql;
    await sql`insert into provider_events (kind, provider, model, error_class, execution_id, detail) values
      ('breaker', 'openai', 'events-model', 'server', null, ${JSON.stringify({ from: 'closed', to: 'open' })}::jsonb),
      ('fallback', 'openai', 'events-model', 'rate_limit', ${executionId}, ${JSON.stringify({ to: { provider: 'mock', model: 'echo' } })}::jsonb),
      ('fallback', 'openai', 'events-model', 'server', null, '{}')`;

    const mine = (await a.client.providers.events.query({ limit: 500 })).filter(
      (e) => e.model === 'events-model',
    );
    expect(mine.map((e) => [e.kind, e.executionId])).toEqual([
      ['fallback', executionId],
      ['breaker', null],
    ]);
    const theirs = await b.client.providers.events.query();
    expect(theirs.filter((e) => e.model === 'events-model').map((e) => e.kind)).toEqual(['breaker']);
    expect(JSON.stringify(theirs)).not.toContain(executionId);

    const forRun = await a.client.providers.events.query({ executionId });
    expect(forRun).toMatchObject([
      { kind: 'fallback', errorClass: 'rate_limit', detail: { to: { provider: 'mock' } } },
    ]);
    await expectApiError(b.client.providers.events.query({ executionId }), 'NOT_FOUND');
    await expectApiError(b.client.providers.events.query({ executionId: 'nope' }), 'BAD_REQUEST', {
      paths: ['executionId'],
    });
  });
});
