/**
 * Provider health shared by every runner: per-minute outcome buckets, circuit breaker rows moved by
 * compare-and-set, and the event log of fallbacks and breaker changes. Every time comes from the
 * database's now(), so runners with skewed clocks still agree.
 */

import { type FallbackCause, type ProviderId, redactSecretsDeep } from '@swarm/engine';
import { and, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import {
  type BreakerStateValue,
  type ProviderEventKind,
  providerBreakers,
  providerEvents,
  providerHealthBuckets,
} from '../schema/index.ts';
import type { ModelKey } from './providers.ts';

/** A duration as a SQL interval; the cast keeps Postgres from guessing the parameter's type. */
const millis = (ms: number) => sql`(${ms}::double precision * interval '1 millisecond')`;
const currentBucket = sql`date_trunc('minute', now())`;
/** The minute bucket holding `now() - windowMs`: windows are rounded out to whole buckets. */
const windowStartBucket = (windowMs: number) => sql`date_trunc('minute', now() - ${millis(windowMs)})`;

const bucketOf = (ref: ModelKey) =>
  and(eq(providerHealthBuckets.provider, ref.provider), eq(providerHealthBuckets.model, ref.model));
const breakerOf = (ref: ModelKey) =>
  and(eq(providerBreakers.provider, ref.provider), eq(providerBreakers.model, ref.model));

// ---------------------------------------------------------------------------------------------
// Health buckets

/** Counts one outcome in the current minute bucket; latency is kept for successes only. */
export async function recordHealthOutcome(
  db: DbOrTx,
  ref: ModelKey,
  outcome: { ok: boolean; latencyMs: number },
): Promise<void> {
  const ok = outcome.ok ? 1 : 0;
  await recordHealthTallies(db, [
    {
      provider: ref.provider,
      model: ref.model,
      ageMs: 0,
      successes: ok,
      failures: 1 - ok,
      latencyMsSum: outcome.ok ? Math.max(0, Math.round(outcome.latencyMs)) : 0,
      latencyCount: ok,
    },
  ]);
}

/** Outcomes of one model counted in memory, `ageMs` after the last of them (which picks the bucket). */
export interface HealthTally extends ModelKey {
  ageMs: number;
  successes: number;
  failures: number;
  /** Latency of the successes, summed. */
  latencyMsSum: number;
  latencyCount: number;
}

/**
 * Adds tallies to their minute buckets in one statement: each lands in the bucket holding
 * `now() - ageMs` by the database clock. Tallies that fall in the same bucket are summed first (one
 * INSERT … ON CONFLICT may not touch a row twice).
 */
export async function recordHealthTallies(db: DbOrTx, tallies: readonly HealthTally[]): Promise<void> {
  if (tallies.length === 0) return;
  const rows = tallies.map(
    (t) =>
      sql`(${t.provider}::text, ${t.model}::text, ${Math.max(0, Math.round(t.ageMs))}::double precision, ${t.successes}::int, ${t.failures}::int, ${Math.max(0, Math.round(t.latencyMsSum))}::bigint, ${t.latencyCount}::int)`,
  );
  await db.execute(sql`
    insert into ${providerHealthBuckets} (provider, model, bucket_start, successes, failures, latency_ms_sum, latency_count)
    select provider, model, date_trunc('minute', now() - age_ms * interval '1 millisecond'),
      sum(successes), sum(failures), sum(latency_ms_sum), sum(latency_count)
    from (values ${sql.join(rows, sql`, `)}) as t(provider, model, age_ms, successes, failures, latency_ms_sum, latency_count)
    group by 1, 2, 3
    on conflict (provider, model, bucket_start) do update set
      successes = ${providerHealthBuckets}.successes + excluded.successes,
      failures = ${providerHealthBuckets}.failures + excluded.failures,
      latency_ms_sum = ${providerHealthBuckets}.latency_ms_sum + excluded.latency_ms_sum,
      latency_count = ${providerHealthBuckets}.latency_count + excluded.latency_count
  `);
}

export interface HealthCounts {
  successes: number;
  failures: number;
}

const countColumns = {
  successes: sql<number>`coalesce(sum(${providerHealthBuckets.successes}), 0)::int`,
  failures: sql<number>`coalesce(sum(${providerHealthBuckets.failures}), 0)::int`,
};

/** Successes and failures of a model in the buckets covering the last `windowMs`. */
export async function healthCounts(db: DbOrTx, ref: ModelKey, windowMs: number): Promise<HealthCounts> {
  const [row] = await db
    .select(countColumns)
    .from(providerHealthBuckets)
    .where(and(bucketOf(ref), gte(providerHealthBuckets.bucketStart, windowStartBucket(windowMs))));
  return row ?? { successes: 0, failures: 0 };
}

/** Average latency of successful calls in the buckets covering the last `windowMs`, or null. */
export async function recentAverageLatency(
  db: DbOrTx,
  ref: ModelKey,
  windowMs: number,
): Promise<number | null> {
  const [row] = await db
    .select({
      average: sql<
        number | null
      >`sum(${providerHealthBuckets.latencyMsSum})::double precision / nullif(sum(${providerHealthBuckets.latencyCount}), 0)`,
    })
    .from(providerHealthBuckets)
    .where(and(bucketOf(ref), gte(providerHealthBuckets.bucketStart, windowStartBucket(windowMs))));
  return row?.average ?? null;
}

/** Per provider/model counts and average latency over the window, with breaker state: the health page. */
export async function listProviderHealth(db: DbOrTx, windowMs: number) {
  return db
    .select({
      provider: providerHealthBuckets.provider,
      model: providerHealthBuckets.model,
      ...countColumns,
      averageLatencyMs: sql<
        number | null
      >`sum(${providerHealthBuckets.latencyMsSum})::double precision / nullif(sum(${providerHealthBuckets.latencyCount}), 0)`,
      state: sql<BreakerStateValue>`coalesce(max(${providerBreakers.state}), 'closed')`,
      openedAt: sql<Date | null>`max(${providerBreakers.openedAt})`.mapWith(providerBreakers.openedAt),
    })
    .from(providerHealthBuckets)
    .leftJoin(
      providerBreakers,
      and(
        eq(providerBreakers.provider, providerHealthBuckets.provider),
        eq(providerBreakers.model, providerHealthBuckets.model),
      ),
    )
    .where(gte(providerHealthBuckets.bucketStart, windowStartBucket(windowMs)))
    .groupBy(providerHealthBuckets.provider, providerHealthBuckets.model)
    .orderBy(providerHealthBuckets.provider, providerHealthBuckets.model);
}

/** Deletes buckets older than `olderThanMs`; returns how many. For the maintenance job. */
export async function pruneProviderHealthBuckets(db: DbOrTx, olderThanMs: number): Promise<number> {
  const rows = await db
    .delete(providerHealthBuckets)
    .where(lt(providerHealthBuckets.bucketStart, sql`now() - ${millis(olderThanMs)}`))
    .returning({ provider: providerHealthBuckets.provider });
  return rows.length;
}

// ---------------------------------------------------------------------------------------------
// Circuit breakers

export interface BreakerRow {
  provider: ProviderId;
  model: string;
  state: BreakerStateValue;
  version: number;
  openedAt: Date | null;
  probeClaimedAt: Date | null;
  updatedAt: Date;
}

const breakerColumns = {
  provider: providerBreakers.provider,
  model: providerBreakers.model,
  state: providerBreakers.state,
  version: providerBreakers.version,
  openedAt: providerBreakers.openedAt,
  probeClaimedAt: providerBreakers.probeClaimedAt,
  updatedAt: providerBreakers.updatedAt,
};

export interface BreakerView extends BreakerRow {
  /** Open, and the cool-down has passed by the database clock: a probe may be claimed. */
  coolDownElapsed: boolean;
  /** Half-open, and the probe was handed out longer than the probe timeout ago. */
  probeExpired: boolean;
}

/** A breaker with its timing judged by the database clock; null when it never opened (closed). */
export async function readBreaker(
  db: DbOrTx,
  ref: ModelKey,
  timing: { coolDownMs: number; probeTimeoutMs: number },
): Promise<BreakerView | null> {
  const [row] = await db
    .select({
      ...breakerColumns,
      coolDownElapsed: sql<boolean>`(${providerBreakers.state} = 'open' and ${providerBreakers.openedAt} <= now() - ${millis(timing.coolDownMs)})`,
      probeExpired: sql<boolean>`(${providerBreakers.state} = 'half_open' and ${providerBreakers.probeClaimedAt} <= now() - ${millis(timing.probeTimeoutMs)})`,
    })
    .from(providerBreakers)
    .where(breakerOf(ref));
  return row ?? null;
}

export async function listBreakers(db: DbOrTx): Promise<BreakerRow[]> {
  return db
    .select(breakerColumns)
    .from(providerBreakers)
    .orderBy(providerBreakers.provider, providerBreakers.model);
}

/**
 * Failures and successes that count toward opening a closed breaker: the window's buckets, minus
 * what was already counted in the bucket the breaker last closed in (so failures from before the
 * close cannot reopen it at once). `version` is the breaker's (0 when it has no row), to hand to
 * `openBreaker` as the compare-and-set guard.
 */
export async function breakerWindowCounts(
  db: DbOrTx,
  ref: ModelKey,
  windowMs: number,
): Promise<HealthCounts & { state: BreakerStateValue; version: number }> {
  const [breaker] = await db
    .select({
      state: providerBreakers.state,
      version: providerBreakers.version,
      countFromBucket: providerBreakers.countFromBucket,
      baselineFailures: providerBreakers.baselineFailures,
      baselineSuccesses: providerBreakers.baselineSuccesses,
      windowStart: sql<Date>`${windowStartBucket(windowMs)}`.mapWith(providerBreakers.countFromBucket),
    })
    .from(providerBreakers)
    .where(breakerOf(ref));
  const from = breaker?.countFromBucket ?? null;
  const counts = await db
    .select(countColumns)
    .from(providerHealthBuckets)
    .where(
      and(
        bucketOf(ref),
        gte(providerHealthBuckets.bucketStart, windowStartBucket(windowMs)),
        from ? gte(providerHealthBuckets.bucketStart, from) : undefined,
      ),
    );
  let { successes, failures } = counts[0] ?? { successes: 0, failures: 0 };
  // The close bucket is inside the window: discount what it held when the breaker closed.
  if (breaker && from && from.getTime() >= breaker.windowStart.getTime()) {
    failures = Math.max(0, failures - breaker.baselineFailures);
    successes = Math.max(0, successes - breaker.baselineSuccesses);
  }
  return { successes, failures, state: breaker?.state ?? 'closed', version: breaker?.version ?? 0 };
}

export interface BreakerTransition {
  from: BreakerStateValue;
  to: BreakerStateValue;
  row: BreakerRow;
}

/** Writes the breaker event of a transition in the caller's transaction. */
async function logTransition(
  tx: DbOrTx,
  ref: ModelKey,
  from: BreakerStateValue,
  row: BreakerRow,
  detail: { errorClass?: FallbackCause | null | undefined; [key: string]: unknown },
): Promise<BreakerTransition> {
  const { errorClass, ...rest } = detail;
  await insertProviderEvent(tx, {
    kind: 'breaker',
    provider: ref.provider,
    model: ref.model,
    errorClass: errorClass ?? null,
    detail: { from, to: row.state, ...rest },
  });
  return { from, to: row.state, row };
}

/**
 * closed → open, only if the breaker is still at `version` (0: it has no row yet). Returns the
 * transition, or null when another caller moved it first.
 */
export async function openBreaker(
  db: DbOrTx,
  ref: ModelKey,
  version: number,
  detail: { errorClass?: FallbackCause | null; failures?: number; successes?: number } = {},
): Promise<BreakerTransition | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(providerBreakers)
      .values({ ...ref, state: 'open', version: 1, openedAt: sql`now()`, updatedAt: sql`now()` })
      .onConflictDoUpdate({
        target: [providerBreakers.provider, providerBreakers.model],
        set: {
          state: 'open',
          version: sql`${providerBreakers.version} + 1`,
          openedAt: sql`now()`,
          probeClaimedAt: null,
          updatedAt: sql`now()`,
        },
        setWhere: and(eq(providerBreakers.state, 'closed'), eq(providerBreakers.version, version)),
      })
      .returning(breakerColumns);
    if (!row) return null;
    return logTransition(tx, ref, 'closed', row, detail);
  });
}

/**
 * open → half_open once the cool-down has passed: exactly one caller gets the row back (the
 * UPDATE's WHERE is re-checked on the locked row, so concurrent claims serialise and all but one
 * match nothing). The winner keeps the returned version to settle the probe with.
 */
export async function claimBreakerProbe(
  db: DbOrTx,
  ref: ModelKey,
  coolDownMs: number,
): Promise<BreakerTransition | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(providerBreakers)
      .set({
        state: 'half_open',
        version: sql`${providerBreakers.version} + 1`,
        probeClaimedAt: sql`now()`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          breakerOf(ref),
          eq(providerBreakers.state, 'open'),
          sql`${providerBreakers.openedAt} <= now() - ${millis(coolDownMs)}`,
        ),
      )
      .returning(breakerColumns);
    if (!row) return null;
    return logTransition(tx, ref, 'open', row, {});
  });
}

/**
 * A half-open probe whose caller never reported back (crashed, lost) is handed to a new caller
 * after `probeTimeoutMs`. The state stays half_open, so no event; the old caller's version no
 * longer matches, so its late report changes nothing.
 */
export async function reclaimStaleBreakerProbe(
  db: DbOrTx,
  ref: ModelKey,
  probeTimeoutMs: number,
): Promise<BreakerRow | null> {
  const [row] = await db
    .update(providerBreakers)
    .set({ version: sql`${providerBreakers.version} + 1`, probeClaimedAt: sql`now()`, updatedAt: sql`now()` })
    .where(
      and(
        breakerOf(ref),
        eq(providerBreakers.state, 'half_open'),
        sql`${providerBreakers.probeClaimedAt} <= now() - ${millis(probeTimeoutMs)}`,
      ),
    )
    .returning(breakerColumns);
  return row ?? null;
}

/**
 * Settles the half-open probe claimed at `version`:
 * - `close`: half_open → closed; counting restarts from now (see `breakerWindowCounts`).
 * - `reopen`: half_open → open with a new opened_at, so the cool-down starts again.
 * - `release`: half_open → open keeping opened_at (the probe told nothing, e.g. it was cancelled):
 *   the next caller may probe at once.
 */
export async function settleBreakerProbe(
  db: DbOrTx,
  ref: ModelKey,
  version: number,
  outcome: 'close' | 'reopen' | 'release',
  detail: { errorClass?: FallbackCause | null } = {},
): Promise<BreakerTransition | null> {
  const sameBucket = (column: SQL) =>
    sql`coalesce((select ${column} from ${providerHealthBuckets} where ${providerHealthBuckets.provider} = ${ref.provider} and ${providerHealthBuckets.model} = ${ref.model} and ${providerHealthBuckets.bucketStart} = ${currentBucket}), 0)`;
  const set =
    outcome === 'close'
      ? {
          state: 'closed' as const,
          countFromBucket: currentBucket,
          baselineFailures: sameBucket(sql`${providerHealthBuckets.failures}`),
          baselineSuccesses: sameBucket(sql`${providerHealthBuckets.successes}`),
        }
      : outcome === 'reopen'
        ? { state: 'open' as const, openedAt: sql`now()` }
        : { state: 'open' as const };
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(providerBreakers)
      .set({
        ...set,
        version: sql`${providerBreakers.version} + 1`,
        probeClaimedAt: null,
        updatedAt: sql`now()`,
      })
      .where(
        and(breakerOf(ref), eq(providerBreakers.state, 'half_open'), eq(providerBreakers.version, version)),
      )
      .returning(breakerColumns);
    if (!row) return null;
    return logTransition(tx, ref, 'half_open', row, { ...detail, probe: outcome });
  });
}

// ---------------------------------------------------------------------------------------------
// Events

export interface NewProviderEvent {
  kind: ProviderEventKind;
  provider: ProviderId;
  model: string;
  errorClass?: FallbackCause | null | undefined;
  executionId?: string | null | undefined;
  detail?: Record<string, unknown> | undefined;
}

export interface ProviderEventRow {
  id: string;
  occurredAt: Date;
  kind: ProviderEventKind;
  provider: ProviderId;
  model: string;
  errorClass: FallbackCause | null;
  executionId: string | null;
  detail: Record<string, unknown>;
}

const eventColumns = {
  id: providerEvents.id,
  occurredAt: providerEvents.occurredAt,
  kind: providerEvents.kind,
  provider: providerEvents.provider,
  model: providerEvents.model,
  errorClass: providerEvents.errorClass,
  executionId: providerEvents.executionId,
  detail: providerEvents.detail,
};

export async function insertProviderEvent(db: DbOrTx, event: NewProviderEvent): Promise<ProviderEventRow> {
  const [row] = await db
    .insert(providerEvents)
    .values({
      kind: event.kind,
      provider: event.provider,
      model: event.model,
      errorClass: event.errorClass ?? null,
      executionId: event.executionId ?? null,
      // Details are free-form (a provider's words may end up here): credential shapes never stored.
      detail: redactSecretsDeep(event.detail ?? {}),
    })
    .returning(eventColumns);
  return row!;
}

/** Newest first (insertion order). */
export async function listProviderEvents(
  db: DbOrTx,
  options: {
    limit?: number | undefined;
    executionId?: string | undefined;
    kind?: ProviderEventKind | undefined;
    provider?: ProviderId | undefined;
    model?: string | undefined;
  } = {},
): Promise<ProviderEventRow[]> {
  const where: SQL[] = [];
  if (options.executionId !== undefined) where.push(eq(providerEvents.executionId, options.executionId));
  if (options.kind !== undefined) where.push(eq(providerEvents.kind, options.kind));
  if (options.provider !== undefined) where.push(eq(providerEvents.provider, options.provider));
  if (options.model !== undefined) where.push(eq(providerEvents.model, options.model));
  return db
    .select(eventColumns)
    .from(providerEvents)
    .where(and(...where))
    .orderBy(desc(providerEvents.seq))
    .limit(Math.min(Math.max(options.limit ?? 100, 1), 1000));
}
