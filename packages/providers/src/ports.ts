/**
 * What the fallback router needs from the outside world, as interfaces: prices, circuit breakers,
 * the model map, latency statistics and an event log. The Postgres-backed implementations live in
 * `@swarm/providers/store` (src/store/: `pricing.ts`, `breakers.ts`, …) over `@swarm/db`; the router
 * only sees these.
 */
import type { ErrorClass, ProviderId } from '@swarm/engine';
import type { Attempt, ModelRef } from './types.ts';

/** A provider_pricing row: prices per 1M tokens in integer micro-dollars ($0.075/M = 75000). */
export interface Price {
  id: string;
  provider: ProviderId;
  /** Canonical model name (aliases and dated snapshots resolve to it). */
  model: string;
  effectiveFrom: Date;
  inputPerMillionMicros: number;
  outputPerMillionMicros: number;
  /** Null: cache reads cost the input price. */
  cachedInputPerMillionMicros: number | null;
  /** Null: cache writes cost the input price. */
  cacheWritePerMillionMicros: number | null;
  /** Null: reasoning tokens cost the output price. */
  reasoningPerMillionMicros: number | null;
}

export interface PriceBook {
  /** The price in effect at `at` for a model (resolving aliases), or null when it has none. */
  priceFor(ref: ModelRef, at: Date): Promise<Price | null>;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerDecision {
  /** Whether this caller may send a request now. */
  allowed: boolean;
  /** True when this caller won the single half-open probe (compare-and-set in the database). */
  probe: boolean;
  state: BreakerState;
  /** When the circuit last opened; used to pick the least recently opened when all are open. */
  openedAt: Date | null;
}

export interface BreakerOutcome {
  ok: boolean;
  errorClass: ErrorClass | null;
  latencyMs: number;
  probe: boolean;
  /**
   * The caller gave up on the call by its own policy (the node's `latencyThresholdMs`, or a
   * timeout under a budget shorter than the default per-attempt timeout), not
   * because the provider failed: never counted toward the shared circuit; a probe so abandoned is
   * handed back like a cancelled one.
   */
  abandoned?: boolean | undefined;
}

export interface CircuitBreakers {
  check(ref: ModelRef): Promise<BreakerDecision>;
  /**
   * Reports an attempt's outcome. Only failures of classes that say something about the provider's
   * health count (not `invalid_request`, `auth`, `cancelled`, `content_policy`, `context_window`),
   * and never a call the caller abandoned under its own policy (`abandoned`: slower than this
   * node's latency threshold or its shortened timeout), which says nothing about the provider to
   * anyone else.
   */
  record(ref: ModelRef, outcome: BreakerOutcome): Promise<void>;
}

export interface ModelMap {
  /** Equivalent models on other providers, in preference order (from the editable table). */
  equivalents(ref: ModelRef): Promise<ModelRef[]>;
}

export interface LatencyStats {
  /** Recent average latency of successful calls, or null without data. */
  recentLatencyMs(ref: ModelRef): Promise<number | null>;
}

export type ProviderEvent =
  | {
      kind: 'fallback';
      from: ModelRef;
      to: ModelRef;
      errorClass: ErrorClass | 'latency';
      executionId?: string | undefined;
    }
  | { kind: 'breaker'; ref: ModelRef; from: BreakerState; to: BreakerState };

export interface ProviderEventLog {
  record(event: ProviderEvent): Promise<void>;
}

export type { Attempt };
