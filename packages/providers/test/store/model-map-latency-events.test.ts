import { randomUUID } from 'node:crypto';
import { listModelMap, listProviderEvents } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { DomainError } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { createPostgresBreakers } from '../../src/store/breakers.ts';
import { createProviderEventLog } from '../../src/store/events.ts';
import { createLatencyStats } from '../../src/store/latency.ts';
import { createModelMap, setModelEquivalents } from '../../src/store/model-map.ts';

const database = useTestDatabase();

describe('model map', () => {
  it('ships flagship and small-tier equivalents in preference order, also for dated snapshots', async () => {
    const map = createModelMap(database.db);
    expect(await map.equivalents({ provider: 'openai', model: 'gpt-4o' })).toEqual([
      { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      { provider: 'gemini', model: 'gemini-2.5-pro' },
    ]);
    expect(await map.equivalents({ provider: 'openai', model: 'gpt-4o-2024-08-06' })).toEqual([
      { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      { provider: 'gemini', model: 'gemini-2.5-pro' },
    ]);
    expect(await map.equivalents({ provider: 'gemini', model: 'gemini-2.5-flash' })).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'anthropic', model: 'claude-haiku-4-5' },
    ]);
    expect(await map.equivalents({ provider: 'openai', model: 'unmapped-model' })).toEqual([]);
  });

  it('replaces the list for one source model, and refuses bad lists without changing anything', async () => {
    const map = createModelMap(database.db);
    const from = { provider: 'anthropic', model: 'claude-haiku-4-5' } as const;
    await setModelEquivalents(database.db, {
      from,
      to: [
        { provider: 'gemini', model: 'gemini-2.0-flash' },
        { provider: 'openai', model: 'gpt-4.1-mini' },
      ],
    });
    expect(await map.equivalents(from)).toEqual([
      { provider: 'gemini', model: 'gemini-2.0-flash' },
      { provider: 'openai', model: 'gpt-4.1-mini' },
    ]);

    const before = await listModelMap(database.db);
    const refusals = [
      { from, to: [{ provider: 'openai', model: 'gpt-4o-mini' }, from] },
      {
        from,
        to: [
          { provider: 'openai', model: 'gpt-4o-mini' },
          { provider: 'openai', model: 'gpt-4o-mini' },
        ],
      },
      { from, to: [{ provider: 'azure', model: 'gpt-4o-mini' }] },
      { from, to: [{ provider: 'openai', model: '' }] },
    ];
    const messages = [];
    for (const input of refusals) {
      const error = await setModelEquivalents(database.db, input as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      messages.push((error as DomainError).message);
    }
    expect(messages).toEqual([
      'to[1]: a model cannot be its own equivalent',
      'to[1]: openai/gpt-4o-mini is listed twice',
      expect.stringMatching(/^to\[0\]\.provider: /),
      'to[0].model: required',
    ]);
    expect(await listModelMap(database.db)).toEqual(before);

    await setModelEquivalents(database.db, { from, to: [] });
    expect(await map.equivalents(from)).toEqual([]);
  });
});

describe('latency stats', () => {
  it('averages the latency of recent successes across replicas, ignoring failures', async () => {
    const ref = { provider: 'gemini', model: 'latency-test' } as const;
    const stats = createLatencyStats(database.db, { cacheMs: 0 });
    expect(await stats.recentLatencyMs(ref)).toBeNull();
    const a = createPostgresBreakers(database.db, { cacheMs: 0 });
    const b = createPostgresBreakers(database.db, { cacheMs: 0 });
    await a.record(ref, { ok: true, errorClass: null, latencyMs: 100, probe: false });
    await b.record(ref, { ok: true, errorClass: null, latencyMs: 400, probe: false });
    await b.record(ref, { ok: false, errorClass: 'timeout', latencyMs: 30_000, probe: false });
    expect(await stats.recentLatencyMs(ref)).toBe(250);
  });
});

describe('provider event log', () => {
  it('records fallbacks with their execution and lists newest first, filtered and limited', async () => {
    const log = createProviderEventLog(database.db);
    const executionId = randomUUID();
    const other = randomUUID();
    await log.record({
      kind: 'fallback',
      from: { provider: 'openai', model: 'gpt-4o' },
      to: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      errorClass: 'rate_limit',
      executionId,
    });
    await log.record({
      kind: 'fallback',
      from: { provider: 'anthropic', model: 'claude-sonnet-4-5' },
      to: { provider: 'gemini', model: 'gemini-2.5-pro' },
      errorClass: 'latency',
      executionId,
    });
    await log.record({
      kind: 'fallback',
      from: { provider: 'openai', model: 'gpt-4o-mini' },
      to: { provider: 'gemini', model: 'gemini-2.5-flash' },
      errorClass: 'server',
      executionId: other,
    });
    await log.record({
      kind: 'breaker',
      ref: { provider: 'mock', model: 'echo' },
      from: 'closed',
      to: 'open',
    });

    const mine = await listProviderEvents(database.db, { executionId });
    expect(mine.map((e) => [e.kind, e.provider, e.model, e.errorClass, e.detail])).toEqual([
      [
        'fallback',
        'anthropic',
        'claude-sonnet-4-5',
        'latency',
        { to: { provider: 'gemini', model: 'gemini-2.5-pro' } },
      ],
      [
        'fallback',
        'openai',
        'gpt-4o',
        'rate_limit',
        { to: { provider: 'anthropic', model: 'claude-sonnet-4-5' } },
      ],
    ]);
    expect(await listProviderEvents(database.db, { executionId, limit: 1 })).toHaveLength(1);
    const [latest] = await listProviderEvents(database.db, { limit: 1 });
    expect(latest).toMatchObject({
      kind: 'breaker',
      executionId: null,
      detail: { from: 'closed', to: 'open' },
    });
    expect(await listProviderEvents(database.db, { kind: 'fallback' })).toHaveLength(3);
  });
});
