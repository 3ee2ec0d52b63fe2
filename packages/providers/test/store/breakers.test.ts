/**
 * Circuit breakers shared by "replicas": two breaker instances on two connection pools to one
 * database, as two runner processes would have. Time is moved by shifting the breaker's
 * timestamps in the database, never by sleeping.
 */
import { connectDatabase, type Database, healthCounts, listProviderEvents, readBreaker } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import type { ErrorClass } from '@swarm/engine';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BreakerDecision, CircuitBreakers } from '../../src/ports.ts';
import { leastRecentlyOpened } from '../../src/router.ts';
import { createPostgresBreakers } from '../../src/store/breakers.ts';
import type { ModelRef } from '../../src/types.ts';

const database = useTestDatabase();
let second: Database;

beforeAll(() => {
  second = connectDatabase(database.url, { max: 5 });
});
afterAll(async () => {
  await second?.close();
});

const options = { cacheMs: 0, failureThreshold: 5, failureRate: 0.5, coolDownMs: 30_000, windowMs: 60_000 };

function replicas(): [CircuitBreakers, CircuitBreakers] {
  return [createPostgresBreakers(database.db, options), createPostgresBreakers(second.db, options)];
}

let refCount = 0;
/** A model of its own per test, so tests don't share breaker rows or buckets. */
function freshRef(): ModelRef {
  refCount += 1;
  return { provider: 'openai', model: `breaker-test-${refCount}` };
}

const failure = (errorClass: ErrorClass = 'server') => ({
  ok: false,
  errorClass,
  latencyMs: 50,
  probe: false,
});
const success = { ok: true, errorClass: null, latencyMs: 50, probe: false } as const;

async function fail(
  breakers: CircuitBreakers,
  ref: ModelRef,
  times: number,
  errorClass: ErrorClass = 'server',
) {
  for (let i = 0; i < times; i++) await breakers.record(ref, failure(errorClass));
}

/** Moves the breaker's clock: as if it had opened (and its probe been claimed) `ms` earlier. */
async function ageBreaker(ref: ModelRef, ms: number) {
  await database.sql`
    update provider_breakers
    set opened_at = opened_at - ${ms} * interval '1 millisecond',
        probe_claimed_at = probe_claimed_at - ${ms} * interval '1 millisecond'
    where provider = ${ref.provider} and model = ${ref.model}`;
}

async function transitions(ref: ModelRef) {
  const events = await listProviderEvents(database.db, {
    kind: 'breaker',
    provider: ref.provider,
    model: ref.model,
  });
  return events.reverse().map((event) => `${event.detail.from}→${event.detail.to}`);
}

/** Many callers on both replicas at once, right after the cool-down: how many got the probe. */
async function stampede(a: CircuitBreakers, b: CircuitBreakers, ref: ModelRef) {
  const calls: Promise<{ replica: 'a' | 'b'; decision: BreakerDecision }>[] = [];
  for (let i = 0; i < 12; i++) {
    calls.push(a.check(ref).then((decision) => ({ replica: 'a' as const, decision })));
    calls.push(b.check(ref).then((decision) => ({ replica: 'b' as const, decision })));
  }
  const results = await Promise.all(calls);
  return { results, probes: results.filter((r) => r.decision.probe) };
}

describe('postgres circuit breakers', () => {
  it('opens after the failure threshold and every replica sees it open', async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    await fail(a, ref, 2);
    await fail(b, ref, 2);
    expect((await a.check(ref)).state).toBe('closed');
    expect((await b.check(ref)).allowed).toBe(true);

    await fail(b, ref, 1);
    const fromA = await a.check(ref);
    const fromB = await b.check(ref);
    expect(fromA).toMatchObject({ allowed: false, probe: false, state: 'open' });
    expect(fromB).toMatchObject({ allowed: false, probe: false, state: 'open' });
    expect(fromA.openedAt).toBeInstanceOf(Date);
    expect(fromB.openedAt?.getTime()).toBe(fromA.openedAt?.getTime());
    expect(await transitions(ref)).toEqual(['closed→open']);
    const [opened] = await listProviderEvents(database.db, { kind: 'breaker', model: ref.model });
    expect(opened).toMatchObject({ errorClass: 'server', detail: { failures: 5, successes: 0 } });
  });

  it('stays closed when failures are a small share of the traffic', async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    for (let i = 0; i < 12; i++) await a.record(ref, success);
    await fail(b, ref, 6); // 6 of 18 = 33% < 50%
    expect(await b.check(ref)).toMatchObject({ allowed: true, state: 'closed' });
    await fail(a, ref, 6); // 12 of 24 = 50%
    expect(await b.check(ref)).toMatchObject({ allowed: false, state: 'open' });
  });

  it('does not count client errors, cancellations or content refusals as failures', async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    for (const errorClass of [
      'invalid_request',
      'auth',
      'cancelled',
      'content_policy',
      'context_window',
    ] as const) {
      await fail(a, ref, 3, errorClass);
      await fail(b, ref, 3, errorClass);
    }
    expect(await a.check(ref)).toMatchObject({ allowed: true, state: 'closed' });
    expect(await healthCounts(database.db, ref, 60_000)).toEqual({ successes: 0, failures: 0 });
    expect(await transitions(ref)).toEqual([]);
    // The same number of provider-side failures does open it.
    await fail(a, ref, 5, 'overloaded');
    expect((await b.check(ref)).state).toBe('open');
  });

  it('after the cool-down lets exactly one caller across all replicas probe; success closes it for both', async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    await fail(a, ref, 5);
    expect((await b.check(ref)).state).toBe('open');

    // Still cooling down: nobody gets through.
    const early = await stampede(a, b, ref);
    expect(early.probes).toHaveLength(0);
    expect(early.results.every((r) => !r.decision.allowed)).toBe(true);

    await ageBreaker(ref, 31_000);
    const { results, probes } = await stampede(a, b, ref);
    expect(probes).toHaveLength(1);
    expect(results.filter((r) => r.decision.allowed)).toHaveLength(1);
    expect(probes[0]?.decision.state).toBe('half_open');
    // While the probe is out, everyone else is still refused.
    expect(await a.check(ref)).toMatchObject({ allowed: false, probe: false, state: 'half_open' });
    expect(await b.check(ref)).toMatchObject({ allowed: false, probe: false, state: 'half_open' });

    const winner = probes[0]?.replica === 'a' ? a : b;
    await winner.record(ref, { ...success, probe: true });
    expect(await a.check(ref)).toMatchObject({ allowed: true, state: 'closed', openedAt: null });
    expect(await b.check(ref)).toMatchObject({ allowed: true, state: 'closed' });
    expect(await transitions(ref)).toEqual(['closed→open', 'open→half_open', 'half_open→closed']);

    // The failures that opened it are history: one new failure does not reopen it.
    await fail(b, ref, 1);
    expect((await a.check(ref)).state).toBe('closed');
    await fail(b, ref, 4);
    expect((await a.check(ref)).state).toBe('open');
  });

  it('reopens with a new opened_at when the probe fails, and the cool-down starts over', async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    await fail(a, ref, 5);
    const firstOpen = (await a.check(ref)).openedAt!;
    await ageBreaker(ref, 31_000);
    const { probes } = await stampede(a, b, ref);
    expect(probes).toHaveLength(1);
    const winner = probes[0]?.replica === 'a' ? a : b;
    await winner.record(ref, { ...failure('timeout'), probe: true });

    const reopened = await b.check(ref);
    expect(reopened).toMatchObject({ allowed: false, probe: false, state: 'open' });
    expect(reopened.openedAt!.getTime()).toBeGreaterThan(firstOpen.getTime() - 31_000);
    expect((await stampede(a, b, ref)).probes).toHaveLength(0);
    expect(await transitions(ref)).toEqual(['closed→open', 'open→half_open', 'half_open→open']);

    await ageBreaker(ref, 31_000);
    expect((await stampede(a, b, ref)).probes).toHaveLength(1);
  });

  it('treats a probe that reached the provider with a client error as a success, and hands back a cancelled one', async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    await fail(a, ref, 5);
    await ageBreaker(ref, 31_000);
    expect((await a.check(ref)).probe).toBe(true);
    await a.record(ref, { ...failure('cancelled'), probe: true });
    // Released: still open, same opened_at, so the next caller may probe at once.
    const next = await b.check(ref);
    expect(next).toMatchObject({ allowed: true, probe: true });
    await b.record(ref, { ...failure('invalid_request'), probe: true });
    expect((await a.check(ref)).state).toBe('closed');
    expect(await transitions(ref)).toEqual([
      'closed→open',
      'open→half_open',
      'half_open→open',
      'open→half_open',
      'half_open→closed',
    ]);
  });

  it("never counts a call abandoned under the caller's latency threshold, and hands back such a probe", async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    const abandoned = { ...failure('timeout'), abandoned: true };
    for (let i = 0; i < 8; i++) await a.record(ref, abandoned);
    expect((await b.check(ref)).state).toBe('closed');
    expect((await healthCounts(database.db, ref, 60_000)).failures).toBe(0);

    await fail(a, ref, 5, 'timeout');
    await ageBreaker(ref, 31_000);
    expect((await a.check(ref)).probe).toBe(true);
    await a.record(ref, { ...abandoned, probe: true });
    // Released, not reopened: the next caller may probe at once.
    expect(await b.check(ref)).toMatchObject({ allowed: true, probe: true });
  });

  it('re-offers a probe never reported, and ignores the lost prober when it reports late', async () => {
    const [a, b] = replicas();
    const ref = freshRef();
    await fail(a, ref, 5);
    await ageBreaker(ref, 31_000);
    expect((await a.check(ref)).probe).toBe(true);
    expect((await b.check(ref)).probe).toBe(false);

    await ageBreaker(ref, 121_000); // past the 120 s probe timeout
    expect((await b.check(ref)).probe).toBe(true);
    // The first prober's late failure must not reopen the circuit the second one is probing.
    await a.record(ref, { ...failure(), probe: true });
    expect(
      (await readBreaker(database.db, ref, { coolDownMs: 30_000, probeTimeoutMs: 120_000 }))?.state,
    ).toBe('half_open');
    await b.record(ref, { ...success, probe: true });
    expect((await a.check(ref)).state).toBe('closed');
  });

  it('picks the least recently opened circuit when every one refuses', () => {
    const at = (iso: string | null): { name: string; decision: BreakerDecision } => ({
      name: iso ?? 'never',
      decision: { allowed: false, probe: false, state: 'open', openedAt: iso ? new Date(iso) : null },
    });
    expect(
      leastRecentlyOpened([
        at('2026-01-01T00:00:03Z'),
        at('2026-01-01T00:00:01Z'),
        at('2026-01-01T00:00:02Z'),
      ])?.name,
    ).toBe('2026-01-01T00:00:01Z');
    expect(leastRecentlyOpened([])).toBeNull();
  });
});

describe('health tallies kept in memory (healthFlushMs)', () => {
  const tallying = (healthFlushMs: number) =>
    createPostgresBreakers(database.db, { ...options, healthFlushMs });

  it('holds successes back, but writes them with the first failure so the window counts them', async () => {
    const a = tallying(60_000);
    const ref = freshRef();
    for (let i = 0; i < 12; i++) await a.record(ref, success);
    expect(await healthCounts(database.db, ref, 60_000)).toEqual({ successes: 0, failures: 0 });

    // 6 failures of 18 calls (33%): closed. Had the successes stayed in memory, 5 of 5 would open it.
    await fail(a, ref, 6);
    expect(await healthCounts(database.db, ref, 60_000)).toEqual({ successes: 12, failures: 6 });
    expect(await a.check(ref)).toMatchObject({ allowed: true, state: 'closed' });
    expect(await transitions(ref)).toEqual([]);
    await a.close();
  });

  it('writes every model in one flush, on its own timer too, and at once after close()', async () => {
    const a = tallying(60_000);
    const [first, second] = [freshRef(), freshRef()];
    await a.record(first, success);
    await a.record(second, success);
    await a.record(second, success);
    await a.flush();
    expect(await healthCounts(database.db, first, 60_000)).toEqual({ successes: 1, failures: 0 });
    expect(await healthCounts(database.db, second, 60_000)).toEqual({ successes: 2, failures: 0 });

    const timed = tallying(20);
    await timed.record(first, success);
    await vi.waitFor(
      async () =>
        expect(await healthCounts(database.db, first, 60_000)).toEqual({ successes: 2, failures: 0 }),
      { timeout: 10_000, interval: 20 },
    );

    await a.close();
    await a.record(second, success);
    expect(await healthCounts(database.db, second, 60_000)).toEqual({ successes: 3, failures: 0 });
  });
});
