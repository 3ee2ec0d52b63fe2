/**
 * The fallback router end to end: real SDK adapters answered by msw in the providers' wire formats,
 * the offline mock provider, and the Postgres-backed prices, breakers, model map and event log.
 */
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { DomainError } from '@swarm/engine';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FallbackPolicyInput, fallbackPolicySchema } from '../../src/policy.ts';
import { createAdapters } from '../../src/registry.ts';
import { CompletionFailedError, type CompletionRequest, createProviderRouter } from '../../src/router.ts';
import { createPostgresBreakers } from '../../src/store/breakers.ts';
import { createProviderEventLog } from '../../src/store/events.ts';
import { createLatencyStats } from '../../src/store/latency.ts';
import { createModelMap, setModelEquivalents } from '../../src/store/model-map.ts';
import { createPriceBook } from '../../src/store/pricing.ts';
import anthropicErrors from '../adapters/fixtures/anthropic-errors.json' with { type: 'json' };
import anthropicStream from '../adapters/fixtures/anthropic-messages-stream.json' with { type: 'json' };
import openaiErrors from '../adapters/fixtures/openai-errors.json' with { type: 'json' };
import { type SseEvent, sseResponse } from '../adapters/wire.ts';

const database = useTestDatabase();
const server = setupServer();
const calls: string[] = [];

beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => {
  server.resetHandlers();
  calls.length = 0;
});
afterAll(() => server.close());

const OPENAI = 'https://api.openai.com/v1/chat/completions';
const ANTHROPIC = 'https://api.anthropic.com/v1/messages';

function openaiAnswers(status: number, body: object, headers: Record<string, string> = {}) {
  return http.post(OPENAI, () => {
    calls.push('openai');
    return HttpResponse.json(body, { status, headers });
  });
}
const anthropicSucceeds = http.post(ANTHROPIC, () => {
  calls.push('anthropic');
  return sseResponse(anthropicStream as SseEvent[]);
});

function makeRouter(options: { sleeps?: number[]; random?: () => number; brokenBookkeeping?: boolean } = {}) {
  const db = database.db;
  const breakers = createPostgresBreakers(db, {
    cacheMs: 0,
    failureThreshold: 3,
    failureRate: 0.5,
    coolDownMs: 60_000,
  });
  const lostDatabase = async () => {
    throw new Error('write CONNECTION_CLOSED 127.0.0.1:5432');
  };
  return createProviderRouter({
    adapters: createAdapters({ openai: { apiKey: 'sk-test' }, anthropic: { apiKey: 'sk-ant-test' } }),
    prices: createPriceBook(db, { cacheMs: 0 }),
    breakers: options.brokenBookkeeping
      ? { ...breakers, check: lostDatabase, record: lostDatabase }
      : breakers,
    modelMap: createModelMap(db),
    latency: createLatencyStats(db, { cacheMs: 0 }),
    events: options.brokenBookkeeping
      ? { ...createProviderEventLog(db), record: lostDatabase }
      : createProviderEventLog(db),
    random: options.random ?? (() => 0.5),
    sleep: async (ms) => {
      options.sleeps?.push(ms);
    },
  });
}

const request: CompletionRequest = {
  system: 'Answer in one line.',
  messages: [{ role: 'user', content: 'What is the capital of France?' }],
  maxTokens: 256,
};

const openaiThenAnthropic: FallbackPolicyInput = {
  chain: [
    { provider: 'openai', model: 'gpt-4o' },
    { provider: 'anthropic', model: 'claude-haiku-4-5' },
  ],
  useModelMap: false,
  retry: { retries: 0 },
};

async function failure(call: Promise<unknown>): Promise<CompletionFailedError> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof CompletionFailedError))
    throw new Error(`expected CompletionFailedError, got ${String(error)}`);
  return error;
}

describe('fallback', () => {
  it('still answers when breaker reads and health, breaker and event writes fail (the database is restarting)', async () => {
    server.use(openaiAnswers(429, openaiErrors.rate_limit), anthropicSucceeds);
    const { result, attempts } = await makeRouter({ brokenBookkeeping: true }).complete(
      request,
      openaiThenAnthropic,
      { executionId: undefined },
    );
    expect(result.provider).toBe('anthropic');
    expect(attempts.map((a) => a.errorClass)).toEqual(['rate_limit', null]);
  });

  it('falls back from an OpenAI 429 to Anthropic and charges the cost to Anthropic', async () => {
    server.use(openaiAnswers(429, openaiErrors.rate_limit, { 'retry-after': '2' }), anthropicSucceeds);
    const { result, attempts } = await makeRouter().complete(request, openaiThenAnthropic, {
      executionId: undefined,
    });

    expect(result.provider).toBe('anthropic');
    expect(calls).toEqual(['openai', 'anthropic']);
    expect(attempts.map((a) => [a.requestedProvider, a.reason, a.errorClass, a.costStatus])).toEqual([
      ['openai', 'primary', 'rate_limit', 'no_usage'],
      ['anthropic', 'fallback:rate_limit', null, 'priced'],
    ]);
    // claude-haiku-4-5 at $1/M in, $0.10/M cache read, $1.25/M cache write, $5/M out (reasoning at the
    // output price): 25 + 3,400×0.1 + 1,200×1.25 + 310×5 = 25 + 340 + 1,500 + 1,550 micro-dollars.
    expect(attempts[1]).toMatchObject({
      servedProvider: 'anthropic',
      servedModel: 'claude-haiku-4-5-20251001',
      costMicros: 3415,
      usage: {
        inputTokens: 25,
        cacheReadTokens: 3400,
        cacheWriteTokens: 1200,
        outputTokens: 30,
        reasoningTokens: 280,
      },
    });
    expect(attempts[1]!.priceId).toBeTruthy();

    const events =
      await database.sql`select kind, provider, model, error_class, detail from provider_events where kind = 'fallback'`;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ provider: 'openai', model: 'gpt-4o', error_class: 'rate_limit' });
  });

  it('does not fall back from a deterministic invalid request', async () => {
    server.use(openaiAnswers(404, openaiErrors.model_not_found), anthropicSucceeds);
    const error = await failure(makeRouter().complete(request, openaiThenAnthropic));
    expect(error.errorClass).toBe('invalid_request');
    expect(error.attempts).toHaveLength(1);
    expect(calls).toEqual(['openai']);
  });

  it('retries a rate limit after at least the Retry-After time, then succeeds on the same model', async () => {
    let n = 0;
    server.use(
      http.post(ANTHROPIC, () => {
        calls.push('anthropic');
        n++;
        if (n === 1)
          return HttpResponse.json(anthropicErrors.rate_limit, {
            status: 429,
            headers: { 'retry-after': '3' },
          });
        return sseResponse(anthropicStream as SseEvent[]);
      }),
    );
    const sleeps: number[] = [];
    const { attempts } = await makeRouter({ sleeps }).complete(request, {
      chain: [{ provider: 'anthropic', model: 'claude-haiku-4-5' }],
      useModelMap: false,
      retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000 },
    });
    expect(attempts.map((a) => [a.reason, a.errorClass])).toEqual([
      ['primary', 'rate_limit'],
      ['retry', null],
    ]);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThanOrEqual(3_000);
  });

  it('backs off with full jitter, capped, and gives up retrying when the total wait budget is spent', async () => {
    const sleeps: number[] = [];
    const error = await failure(
      makeRouter({ sleeps, random: () => 0.999 }).complete(request, {
        chain: [{ provider: 'mock', model: 'fail:500' }],
        useModelMap: false,
        retry: { retries: 5, baseDelayMs: 100, maxDelayMs: 300, maxTotalDelayMs: 700 },
      }),
    );
    expect(error.errorClass).toBe('server');
    // ceilings 100, 200, 300, 300 … at 99.9%: 99 + 199 + 299 = 597; the next 299 would pass 700.
    expect(sleeps).toEqual([99, 199, 299]);
    expect(error.attempts.map((a) => a.reason)).toEqual(['primary', 'retry', 'retry', 'retry']);
  });

  it('moves on from a model slower than the latency threshold', async () => {
    const { result, attempts } = await makeRouter().complete(request, {
      chain: [
        { provider: 'mock', model: 'delay:30000' },
        { provider: 'mock', model: 'echo' },
      ],
      useModelMap: false,
      latencyThresholdMs: 200,
    });
    expect(result.model).toBe('echo');
    expect(attempts.map((a) => [a.requestedModel, a.reason, a.errorClass])).toEqual([
      ['delay:30000', 'primary', 'timeout'],
      ['echo', 'fallback:latency', null],
    ]);
  });

  it("does not count one workflow's latency-threshold abandonments toward the shared circuit", async () => {
    const slow = { provider: 'mock' as const, model: 'delay:1500,template:slow but fine' };
    const impatient: FallbackPolicyInput = {
      chain: [slow, { provider: 'mock', model: 'echo' }],
      useModelMap: false,
      latencyThresholdMs: 100,
    };
    // Well past the breaker's threshold (3 here, 5 by default) of abandonments, all from one router.
    for (let i = 0; i < 6; i++) {
      const { attempts } = await makeRouter().complete(request, impatient);
      expect(attempts.map((a) => [a.reason, a.errorClass])).toEqual([
        ['primary', 'timeout'],
        ['fallback:latency', null],
      ]);
    }
    // Another workflow, with no threshold, still sends its request to the slow model and is answered.
    const { result, attempts } = await makeRouter().complete(request, {
      chain: [slow, { provider: 'mock', model: 'echo' }],
      useModelMap: false,
    });
    expect(result.text).toBe('slow but fine');
    expect(attempts.map((a) => [a.requestedModel, a.reason, a.errorClass])).toEqual([
      [slow.model, 'primary', null],
    ]);
  });

  it("does not count timeouts under a node's shortened timeoutMs toward the shared circuit", async () => {
    const slow = { provider: 'mock' as const, model: 'delay:1500,template:slow but fine' };
    for (let i = 0; i < 6; i++) {
      const error = await failure(
        makeRouter().complete(request, {
          chain: [slow],
          useModelMap: false,
          timeoutMs: 100,
          retry: { retries: 0 },
        }),
      );
      expect(error.attempts.map((a) => [a.reason, a.errorClass])).toEqual([['primary', 'timeout']]);
    }
    const { result } = await makeRouter().complete(request, { chain: [slow], useModelMap: false });
    expect(result.text).toBe('slow but fine');
  });

  it('keeps to the overall deadline', async () => {
    const error = await failure(
      makeRouter().complete(request, {
        chain: [
          { provider: 'mock', model: 'delay:30000' },
          { provider: 'mock', model: 'delay:30001' },
        ],
        useModelMap: false,
        deadlineMs: 300,
      }),
    );
    expect(error.errorClass).toBe('timeout');
    expect(error.attempts.every((a) => a.errorClass === 'timeout')).toBe(true);
  });

  it('stops at once when the caller cancels', async () => {
    const controller = new AbortController();
    const call = makeRouter().complete(
      { ...request, signal: controller.signal },
      {
        chain: [
          { provider: 'mock', model: 'delay:30000' },
          { provider: 'mock', model: 'echo' },
        ],
        useModelMap: false,
      },
    );
    setImmediate(() => controller.abort());
    const error = await failure(call);
    expect(error.errorClass).toBe('cancelled');
    // Cancelled before or during the first model: the fallback is never tried.
    expect(error.attempts.filter((a) => a.requestedModel === 'echo')).toEqual([]);
  });

  it('never loops on a cyclic model map and tries each model once', async () => {
    await setModelEquivalents(database.db, {
      from: { provider: 'mock', model: 'fail:500' },
      to: [{ provider: 'mock', model: 'fail:503' }],
    });
    await setModelEquivalents(database.db, {
      from: { provider: 'mock', model: 'fail:503' },
      to: [
        { provider: 'mock', model: 'fail:500' },
        { provider: 'mock', model: 'fail:529' },
      ],
    });
    await setModelEquivalents(database.db, {
      from: { provider: 'mock', model: 'fail:529' },
      to: [{ provider: 'mock', model: 'fail:500' }],
    });
    const error = await failure(
      makeRouter().complete(request, {
        chain: [{ provider: 'mock', model: 'fail:500' }],
        retry: { retries: 0 },
      }),
    );
    expect(error.attempts.map((a) => a.requestedModel)).toEqual(['fail:500', 'fail:503', 'fail:529']);
    expect(error.errorClass).toBe('overloaded');
  });

  it('skips a model whose shared circuit is open, and records why', async () => {
    // Three server errors through one router open gpt-4o's circuit for every router on this database.
    server.use(openaiAnswers(500, openaiErrors.server), anthropicSucceeds);
    const first = makeRouter();
    for (let i = 0; i < 3; i++) {
      await first.complete(request, openaiThenAnthropic);
    }
    calls.length = 0;
    const { attempts } = await makeRouter().complete(request, openaiThenAnthropic);
    expect(calls).toEqual(['anthropic']);
    expect(attempts.map((a) => [a.requestedProvider, a.reason, a.errorClass])).toEqual([
      ['openai', 'primary', 'circuit_open'],
      ['anthropic', 'fallback:circuit_open', null],
    ]);
  });

  it('records the half-open probe with reason "probe", and its success closes the circuit', async () => {
    await database.sql`
      insert into provider_breakers (provider, model, state, opened_at)
      values ('mock', 'template:recovered', 'open', now() - interval '10 minutes')
      on conflict (provider, model) do update set state = excluded.state, opened_at = excluded.opened_at`;
    const chain: FallbackPolicyInput = {
      chain: [{ provider: 'mock', model: 'template:recovered' }],
      useModelMap: false,
    };
    const probed = await makeRouter().complete(request, chain);
    expect(probed.attempts.map((a) => [a.reason, a.errorClass])).toEqual([['probe', null]]);
    // Closed by the probe: the next call is an ordinary primary attempt.
    const next = await makeRouter().complete(request, chain);
    expect(next.attempts.map((a) => [a.reason, a.errorClass])).toEqual([['primary', null]]);
  });

  it('when every circuit is open, still tries the one that opened longest ago', async () => {
    await database.sql`
      insert into provider_breakers (provider, model, state, opened_at)
      values ('mock', 'template:newer', 'open', now() - interval '10 seconds'),
             ('mock', 'template:older', 'open', now() - interval '20 seconds')
      on conflict (provider, model) do update set state = excluded.state, opened_at = excluded.opened_at`;
    const { result, attempts } = await makeRouter().complete(request, {
      chain: [
        { provider: 'mock', model: 'template:newer' },
        { provider: 'mock', model: 'template:older' },
      ],
      useModelMap: false,
    });
    expect(result.text).toBe('older');
    expect(attempts.map((a) => [a.requestedModel, a.errorClass])).toEqual([
      ['template:newer', 'circuit_open'],
      ['template:older', 'circuit_open'],
      ['template:older', null],
    ]);
  });
});

describe('routing', () => {
  const chain = [
    { provider: 'openai' as const, model: 'gpt-4o' },
    { provider: 'openai' as const, model: 'gpt-4o-mini' },
    { provider: 'mock' as const, model: 'unpriced-model' },
  ];

  it('orders by price for "cheapest", unpriced models last', async () => {
    const policy = fallbackPolicySchema.parse({ chain, routing: 'cheapest', useModelMap: false });
    const planned = await makeRouter().planCandidates(policy, request);
    expect(planned.map((r) => r.model)).toEqual(['gpt-4o-mini', 'gpt-4o', 'unpriced-model']);
  });

  it('rotates from a random start for "load-balanced"', async () => {
    const policy = fallbackPolicySchema.parse({ chain, routing: 'load-balanced', useModelMap: false });
    expect(
      (await makeRouter({ random: () => 0.4 }).planCandidates(policy, request)).map((r) => r.model),
    ).toEqual(['gpt-4o-mini', 'unpriced-model', 'gpt-4o']);
  });

  it('orders by recent latency for "lowest-latency", unknown latency last', async () => {
    const breakers = createPostgresBreakers(database.db, { cacheMs: 0 });
    await breakers.record(chain[0]!, { ok: true, errorClass: null, latencyMs: 900, probe: false });
    await breakers.record(chain[1]!, { ok: true, errorClass: null, latencyMs: 300, probe: false });
    const policy = fallbackPolicySchema.parse({ chain, routing: 'lowest-latency', useModelMap: false });
    expect((await makeRouter().planCandidates(policy, request)).map((r) => r.model)).toEqual([
      'gpt-4o-mini',
      'gpt-4o',
      'unpriced-model',
    ]);
  });

  it('drops models whose context window cannot hold the request, unless none can', async () => {
    const policy = fallbackPolicySchema.parse({
      chain: [
        { provider: 'openai', model: 'gpt-4' },
        { provider: 'anthropic', model: 'claude-haiku-4-5' },
      ],
      useModelMap: false,
    });
    const long = { ...request, messages: [{ role: 'user' as const, content: 'x'.repeat(40_000) }] };
    expect((await makeRouter().planCandidates(policy, long)).map((r) => r.model)).toEqual([
      'claude-haiku-4-5',
    ]);
  });
});

describe('bad input', () => {
  async function refusal(call: Promise<unknown>) {
    const error = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  const echo: FallbackPolicyInput = { chain: [{ provider: 'mock', model: 'echo' }] };

  it('refuses absurd temperature and max tokens, an empty conversation, unknown providers and empty chains', async () => {
    const router = makeRouter();
    const cases: Array<[Promise<unknown>, string]> = [
      [router.complete({ ...request, temperature: -1 }, echo), 'request.temperature'],
      [router.complete({ ...request, temperature: 7 }, echo), 'request.temperature'],
      [router.complete({ ...request, maxTokens: 0 }, echo), 'request.maxTokens'],
      [router.complete({ ...request, maxTokens: 1.5 }, echo), 'request.maxTokens'],
      [router.complete({ ...request, messages: [] }, echo), 'request.messages'],
      [
        router.complete(request, { chain: [{ provider: 'openia' as 'openai', model: 'gpt-4o' }] }),
        'policy.chain[0].provider',
      ],
      [router.complete(request, { chain: [{ provider: 'openai', model: '' }] }), 'policy.chain[0].model'],
      [router.complete(request, { chain: [] }), 'policy.chain'],
    ];
    for (const [call, path] of cases) {
      const error = await refusal(call);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.issues[0]?.path).toBe(path);
      expect(error.message.startsWith(`${path}: `)).toBe(true);
    }
    expect(calls).toEqual([]);
  });

  it('names the missing key setting, and falls back to a provider that needs none', async () => {
    const router = createProviderRouter({
      adapters: createAdapters({}),
      prices: createPriceBook(database.db, { cacheMs: 0 }),
      breakers: createPostgresBreakers(database.db, { cacheMs: 0 }),
      modelMap: createModelMap(database.db),
      latency: createLatencyStats(database.db, { cacheMs: 0 }),
      events: createProviderEventLog(database.db),
    });
    const alone = await failure(
      router.complete(request, { chain: [{ provider: 'openai', model: 'gpt-4o' }], useModelMap: false }),
    );
    expect(alone.errorClass).toBe('auth');
    expect(alone.message).toMatch(/OPENAI_API_KEY/);

    const { result, attempts } = await router.complete(request, {
      chain: [
        { provider: 'anthropic', model: 'claude-haiku-4-5' },
        { provider: 'mock', model: 'echo' },
      ],
      useModelMap: false,
    });
    expect(result.provider).toBe('mock');
    expect(attempts[0]).toMatchObject({
      errorClass: 'auth',
      errorMessage: expect.stringMatching(/ANTHROPIC_API_KEY/),
    });
    expect(attempts[1]).toMatchObject({ reason: 'fallback:auth', costStatus: 'priced' });
  });
});
