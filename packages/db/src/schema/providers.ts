/**
 * What the provider layer keeps in Postgres so every runner agrees on it: list prices with
 * effective dates, model aliases and cross-provider equivalents, circuit breakers with their
 * per-minute health buckets, and the log of fallbacks and breaker changes.
 */
import type { FallbackCause, ProviderId } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { createdAt, primaryId, timestampMs, updatedAt } from './columns.ts';

/** Micro-dollars per 1M tokens; bigint because $10,000/M (1e10) does not fit in an int. */
const perMillionMicros = (name: string) => bigint(name, { mode: 'number' });

/**
 * Prices per 1M tokens in integer micro-dollars. Rows are never updated (a trigger refuses it): a
 * price change is a new row with a later `effective_from`, so an attempt priced in the past keeps
 * the price it was charged. Null cache/reasoning prices fall back to the input/output price.
 */
export const providerPricing = pgTable(
  'provider_pricing',
  {
    id: primaryId(),
    provider: text('provider').$type<ProviderId>().notNull(),
    /** Canonical model name; dated snapshots reach it through `model_aliases`. */
    model: text('model').notNull(),
    effectiveFrom: timestampMs('effective_from').notNull(),
    inputPerMillionMicros: perMillionMicros('input_per_million_micros').notNull(),
    outputPerMillionMicros: perMillionMicros('output_per_million_micros').notNull(),
    cachedInputPerMillionMicros: perMillionMicros('cached_input_per_million_micros'),
    cacheWritePerMillionMicros: perMillionMicros('cache_write_per_million_micros'),
    reasoningPerMillionMicros: perMillionMicros('reasoning_per_million_micros'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('provider_pricing_provider_model_effective_key').on(t.provider, t.model, t.effectiveFrom),
    check('provider_pricing_input_nonnegative', sql`${t.inputPerMillionMicros} >= 0`),
    check('provider_pricing_output_nonnegative', sql`${t.outputPerMillionMicros} >= 0`),
    check('provider_pricing_cached_input_nonnegative', sql`${t.cachedInputPerMillionMicros} >= 0`),
    check('provider_pricing_cache_write_nonnegative', sql`${t.cacheWritePerMillionMicros} >= 0`),
    check('provider_pricing_reasoning_nonnegative', sql`${t.reasoningPerMillionMicros} >= 0`),
  ],
);

/**
 * Explicit names a provider answers with (dated snapshots, `-latest`, `models/…`) for a canonical
 * model. One level only: an alias never points at another alias. No pattern matching — a snapshot
 * with its own price (gpt-4o-2024-05-13) is a priced model, not an alias.
 */
export const modelAliases = pgTable(
  'model_aliases',
  {
    provider: text('provider').$type<ProviderId>().notNull(),
    alias: text('alias').notNull(),
    model: text('model').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.alias] }),
    check('model_aliases_not_self', sql`${t.alias} <> ${t.model}`),
  ],
);

/** Editable cross-provider equivalents: for one source model, the models to fall back to, in order. */
export const modelMap = pgTable(
  'model_map',
  {
    fromProvider: text('from_provider').$type<ProviderId>().notNull(),
    fromModel: text('from_model').notNull(),
    position: integer('position').notNull(),
    toProvider: text('to_provider').$type<ProviderId>().notNull(),
    toModel: text('to_model').notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.fromProvider, t.fromModel, t.position] }),
    uniqueIndex('model_map_from_to_key').on(t.fromProvider, t.fromModel, t.toProvider, t.toModel),
    check('model_map_position_nonnegative', sql`${t.position} >= 0`),
    check('model_map_not_self', sql`(${t.fromProvider}, ${t.fromModel}) <> (${t.toProvider}, ${t.toModel})`),
  ],
);

export const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;
export type BreakerStateValue = (typeof BREAKER_STATES)[number];

/**
 * One circuit per provider/model, shared by every runner. Transitions are compare-and-set
 * updates on `state` and `version`, timed by the database clock (never a runner's).
 */
export const providerBreakers = pgTable(
  'provider_breakers',
  {
    provider: text('provider').$type<ProviderId>().notNull(),
    model: text('model').notNull(),
    state: text('state').$type<BreakerStateValue>().notNull().default('closed'),
    /**
     * Bumped by every transition; each transition is an UPDATE … WHERE version = the one read, so
     * a stale caller changes nothing. The half-open probe's winner holds the version it claimed.
     */
    version: integer('version').notNull().default(1),
    /** When the circuit last opened (kept after it closes, for the health page). */
    openedAt: timestampMs('opened_at'),
    /** When the current half-open probe was handed out; a probe never settled is re-offered later. */
    probeClaimedAt: timestampMs('probe_claimed_at'),
    /**
     * When the circuit last closed, as the health bucket it closed in, with that bucket's counts
     * at that moment: failures from before the close must not reopen it straight away.
     */
    countFromBucket: timestampMs('count_from_bucket'),
    baselineFailures: integer('baseline_failures').notNull().default(0),
    baselineSuccesses: integer('baseline_successes').notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.model] }),
    check('provider_breakers_state_valid', sql`${t.state} in ('closed', 'open', 'half_open')`),
    check('provider_breakers_open_has_time', sql`${t.state} = 'closed' or ${t.openedAt} is not null`),
  ],
);

/** Outcomes per provider/model per minute: breaker windows, latency averages, the health page. */
export const providerHealthBuckets = pgTable(
  'provider_health_buckets',
  {
    provider: text('provider').$type<ProviderId>().notNull(),
    model: text('model').notNull(),
    bucketStart: timestampMs('bucket_start').notNull(),
    successes: integer('successes').notNull().default(0),
    failures: integer('failures').notNull().default(0),
    /** Latency of successful calls only. */
    latencyMsSum: bigint('latency_ms_sum', { mode: 'number' }).notNull().default(0),
    latencyCount: integer('latency_count').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.provider, t.model, t.bucketStart] }),
    index('provider_health_buckets_bucket_start_idx').on(t.bucketStart),
    check(
      'provider_health_buckets_counts_nonnegative',
      sql`${t.successes} >= 0 and ${t.failures} >= 0 and ${t.latencyMsSum} >= 0 and ${t.latencyCount} >= 0`,
    ),
  ],
);

export const PROVIDER_EVENT_KINDS = ['fallback', 'breaker'] as const;
export type ProviderEventKind = (typeof PROVIDER_EVENT_KINDS)[number];

/** Every fallback and breaker change, newest read first. */
export const providerEvents = pgTable(
  'provider_events',
  {
    id: primaryId(),
    /** Insertion order: events of one call can share a millisecond, and ids are random. */
    seq: bigint('seq', { mode: 'number' }).notNull().generatedAlwaysAsIdentity(),
    occurredAt: timestampMs('occurred_at').notNull().defaultNow(),
    kind: text('kind').$type<ProviderEventKind>().notNull(),
    /** The model the event is about: the one fallen back from, or the breaker's. */
    provider: text('provider').$type<ProviderId>().notNull(),
    model: text('model').notNull(),
    /** Fallbacks: the cause (an error class, or `latency`); breaker changes: the deciding failure's. */
    errorClass: text('error_class').$type<FallbackCause>(),
    /** No foreign key yet: executions arrive with the engine issue. */
    executionId: uuid('execution_id'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    uniqueIndex('provider_events_seq_key').on(t.seq),
    index('provider_events_occurred_at_idx').on(t.occurredAt),
    index('provider_events_execution_id_idx')
      .on(t.executionId, t.seq)
      .where(sql`${t.executionId} is not null`),
    check('provider_events_kind_valid', sql`${t.kind} in ('fallback', 'breaker')`),
  ],
);
