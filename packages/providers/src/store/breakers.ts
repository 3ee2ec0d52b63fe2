/**
 * Circuit breakers per provider/model that every runner process shares, kept in Postgres.
 *
 * - Outcomes are counted in per-minute buckets (`provider_health_buckets`). A closed circuit opens
 *   when, over the window (default 60 s, rounded out to whole minute buckets), failures reach
 *   `failureThreshold` (default 5) AND make up at least `failureRate` (default 50%) of the counted
 *   calls. The threshold is the volume floor (no opening on 1 failure of 1 call), the rate keeps a
 *   busy model with a few errors closed. Failures from before the circuit last closed don't count.
 * - Failures of classes that say nothing about the provider's health never count: the caller's
 *   fault (`invalid_request`, `auth`, `context_window`, `content_policy`), `cancelled`, and
 *   `circuit_open` (our own refusal). Nor does a call the caller abandoned for being slower than
 *   its own `latencyThresholdMs`, or timed out under a budget shorter than the default per-attempt
 *   timeout (`abandoned`): one workflow's impatience is its policy, and counting it would refuse
 *   the model to every workflow that has no threshold.
 * - Open → half-open after `coolDownMs` (default 30 s) by the database clock. The first `check`
 *   after that claims the probe with a compare-and-set UPDATE; exactly one caller across all
 *   processes gets `probe: true`, everyone else is refused until the probe is reported. Probe
 *   success → closed; probe failure → open with a new opened_at; a cancelled probe → open with
 *   the old opened_at (the next caller probes). A probe never reported is re-offered after
 *   `probeTimeoutMs` (default 120 s).
 * - `check` results are cached per process for `cacheMs` (default 1 s; 0 turns it off), except a
 *   granted probe, which is never cached.
 * - Every state change writes a `provider_events` row (kind `breaker`) in the same transaction.
 * - With `healthFlushMs` set, successes are tallied in memory and written at most that often, all
 *   models in one statement (`flush()`/`close()` write what is left). A failure or a probe outcome
 *   writes the pending tallies at once, with itself, before the window is counted: the decision to
 *   open sees this process's own recent outcomes. Other processes and the health page see
 *   successes up to `healthFlushMs` late, which moves no breaker (successes never open one).
 *
 * When every candidate is refused, the router tries the one whose circuit opened longest ago:
 * `check` returns `openedAt` for that; `leastRecentlyOpened` (router.ts) picks it.
 */
import {
  breakerWindowCounts,
  claimBreakerProbe,
  type Db,
  type HealthTally,
  openBreaker,
  readBreaker,
  reclaimStaleBreakerProbe,
  recordHealthTallies,
  settleBreakerProbe,
} from '@swarm/db';
import type { ErrorClass } from '@swarm/engine';
import type { BreakerDecision, CircuitBreakers } from '../ports.ts';
import type { ModelRef } from '../types.ts';

/** Failures that are not the provider's fault, or not a call at all: never counted. */
export const NOT_COUNTED_ERROR_CLASSES: ReadonlySet<ErrorClass> = new Set<ErrorClass>([
  'invalid_request',
  'auth',
  'cancelled',
  'content_policy',
  'context_window',
  'circuit_open',
]);

export interface BreakerOptions {
  /** Window over which failures are counted. Default 60 s (rounded out to minute buckets). */
  windowMs?: number | undefined;
  /** Failures in the window needed to open. Default 5. */
  failureThreshold?: number | undefined;
  /** Share of counted calls in the window that must have failed to open, 0–1. Default 0.5. */
  failureRate?: number | undefined;
  /** Time an open circuit waits before one probe is let through. Default 30 s. */
  coolDownMs?: number | undefined;
  /** Time after which an unreported probe is handed to another caller. Default 120 s. */
  probeTimeoutMs?: number | undefined;
  /** How long a `check` answer is reused in this process. Default 1 s, at most 1 s; 0 disables. */
  cacheMs?: number | undefined;
  /**
   * Successes are written to the health buckets at most this often (ms), all models in one
   * statement. Default 0: every outcome is written at once.
   */
  healthFlushMs?: number | undefined;
  /** A background flush of the health tallies failed (they are kept for the next one). */
  onFlushError?: ((error: unknown) => void) | undefined;
}

/** Breakers that may hold health tallies in memory: the owner calls `close()` on shutdown. */
export interface PostgresBreakers extends CircuitBreakers {
  /** Writes the pending health tallies now. */
  flush(): Promise<void>;
  /** Writes the pending tallies; from then on every outcome is written at once. */
  close(): Promise<void>;
}

export const DEFAULT_BREAKER_OPTIONS = {
  windowMs: 60_000,
  failureThreshold: 5,
  failureRate: 0.5,
  coolDownMs: 30_000,
  probeTimeoutMs: 120_000,
  cacheMs: 1_000,
  healthFlushMs: 0,
} as const satisfies Required<Omit<BreakerOptions, 'onFlushError'>>;

const CLOSED: BreakerDecision = { allowed: true, probe: false, state: 'closed', openedAt: null };

const keyOf = (ref: ModelRef) => `${ref.provider}\u0000${ref.model}`;

export function createPostgresBreakers(db: Db, options: BreakerOptions = {}): PostgresBreakers {
  const settings = {
    windowMs: options.windowMs ?? DEFAULT_BREAKER_OPTIONS.windowMs,
    failureThreshold: options.failureThreshold ?? DEFAULT_BREAKER_OPTIONS.failureThreshold,
    failureRate: options.failureRate ?? DEFAULT_BREAKER_OPTIONS.failureRate,
    coolDownMs: options.coolDownMs ?? DEFAULT_BREAKER_OPTIONS.coolDownMs,
    probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_BREAKER_OPTIONS.probeTimeoutMs,
  };
  if (!(settings.failureThreshold >= 1)) throw new RangeError('failureThreshold must be at least 1');
  if (!(settings.failureRate > 0 && settings.failureRate <= 1)) {
    throw new RangeError('failureRate must be above 0 and at most 1');
  }
  const cacheMs = Math.min(Math.max(options.cacheMs ?? DEFAULT_BREAKER_OPTIONS.cacheMs, 0), 1_000);
  const timing = { coolDownMs: settings.coolDownMs, probeTimeoutMs: settings.probeTimeoutMs };

  const decisions = new Map<string, { until: number; decision: BreakerDecision }>();
  /** Breaker version of each probe this process was granted, to settle it with compare-and-set. */
  const probes = new Map<string, number>();

  const healthFlushMs = Math.max(0, options.healthFlushMs ?? DEFAULT_BREAKER_OPTIONS.healthFlushMs);
  let closed = false;
  /** Outcomes not yet written, per model and local minute (so a tally never spans two buckets). */
  let pending = new Map<string, HealthTally & { lastAt: number }>();
  let flushTimer: ReturnType<typeof setTimeout> | null = null;

  function tally(ref: ModelRef, outcome: { ok: boolean; latencyMs: number }) {
    const key = `${keyOf(ref)}\u0000${Math.floor(Date.now() / 60_000)}`;
    const entry = pending.get(key) ?? {
      provider: ref.provider,
      model: ref.model,
      ageMs: 0,
      successes: 0,
      failures: 0,
      latencyMsSum: 0,
      latencyCount: 0,
      lastAt: 0,
    };
    if (outcome.ok) {
      entry.successes += 1;
      entry.latencyMsSum += Math.max(0, Math.round(outcome.latencyMs));
      entry.latencyCount += 1;
    } else {
      entry.failures += 1;
    }
    entry.lastAt = performance.now();
    pending.set(key, entry);
  }

  /** The flush under way: flushes run one after another, so a window count after one sees them all. */
  let writing: Promise<void> = Promise.resolve();
  function flushHealth(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = null;
    const run = writing.then(writePending);
    writing = run.catch(() => {});
    return run;
  }

  async function writePending(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    const now = performance.now();
    try {
      await recordHealthTallies(
        db,
        [...batch.values()].map(({ lastAt, ...entry }) => ({ ...entry, ageMs: now - lastAt })),
      );
    } catch (error) {
      // Best effort, but a short outage loses nothing: the tallies go out with the next flush,
      // which the next outcome schedules (not a timer of its own: the pool may be gone for good).
      for (const [key, entry] of batch) {
        const newer = pending.get(key);
        if (newer) {
          newer.successes += entry.successes;
          newer.failures += entry.failures;
          newer.latencyMsSum += entry.latencyMsSum;
          newer.latencyCount += entry.latencyCount;
        } else pending.set(key, entry);
      }
      throw error;
    }
  }

  function scheduleFlush() {
    if (flushTimer || closed || pending.size === 0) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      flushHealth().catch((error: unknown) => options.onFlushError?.(error));
    }, healthFlushMs);
    // Pending tallies must not keep a process alive; close() writes them on a clean shutdown.
    flushTimer.unref?.();
  }

  function remember(key: string, decision: BreakerDecision): BreakerDecision {
    if (cacheMs > 0) decisions.set(key, { until: performance.now() + cacheMs, decision });
    return decision;
  }

  function grantProbe(key: string, version: number, openedAt: Date | null): BreakerDecision {
    probes.set(key, version);
    decisions.delete(key);
    return { allowed: true, probe: true, state: 'half_open', openedAt };
  }

  return {
    async check(ref) {
      const key = keyOf(ref);
      const cached = decisions.get(key);
      if (cached && cached.until > performance.now()) return cached.decision;

      const breaker = await readBreaker(db, ref, timing);
      if (!breaker || breaker.state === 'closed') return remember(key, CLOSED);
      if (breaker.coolDownElapsed) {
        const claimed = await claimBreakerProbe(db, ref, settings.coolDownMs);
        if (claimed) return grantProbe(key, claimed.row.version, claimed.row.openedAt);
      } else if (breaker.probeExpired) {
        const reclaimed = await reclaimStaleBreakerProbe(db, ref, settings.probeTimeoutMs);
        if (reclaimed) return grantProbe(key, reclaimed.version, reclaimed.openedAt);
      }
      // Open and cooling down, or someone else holds the probe (possibly just won it from us).
      const state = breaker.state === 'open' && breaker.coolDownElapsed ? 'half_open' : breaker.state;
      return remember(key, { allowed: false, probe: false, state, openedAt: breaker.openedAt });
    },

    async record(ref, outcome) {
      const key = keyOf(ref);
      const counted =
        outcome.ok ||
        (outcome.abandoned !== true && !NOT_COUNTED_ERROR_CLASSES.has(outcome.errorClass ?? 'unknown'));
      if (counted) {
        tally(ref, outcome);
        if (outcome.ok && !outcome.probe && healthFlushMs > 0 && !closed) scheduleFlush();
        else await flushHealth();
      }

      if (outcome.probe) {
        const version = probes.get(key);
        // A probe this process was not granted (or that was re-offered elsewhere) settles nothing.
        if (version === undefined) return;
        probes.delete(key);
        decisions.delete(key);
        // The provider answered a client error: it is up, so the probe succeeded. A cancelled or
        // abandoned (latency threshold) probe told us nothing and is handed back.
        const toldNothing = outcome.errorClass === 'cancelled' || outcome.abandoned === true;
        const result = outcome.ok || !counted ? (toldNothing ? 'release' : 'close') : 'reopen';
        await settleBreakerProbe(db, ref, version, result, { errorClass: outcome.errorClass });
        return;
      }

      if (outcome.ok || !counted) return;
      const window = await breakerWindowCounts(db, ref, settings.windowMs);
      const calls = window.failures + window.successes;
      if (
        window.state === 'closed' &&
        window.failures >= settings.failureThreshold &&
        window.failures >= settings.failureRate * calls
      ) {
        const opened = await openBreaker(db, ref, window.version, {
          errorClass: outcome.errorClass,
          failures: window.failures,
          successes: window.successes,
        });
        if (opened) decisions.delete(key);
      }
    },

    flush: flushHealth,

    async close() {
      closed = true;
      await flushHealth();
    },
  };
}
