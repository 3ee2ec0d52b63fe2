/**
 * Caches for rarely changing rows read on hot paths (a session per API call, a user's budgets and
 * model map per LLM call), kept correct across processes: the transaction that changes such rows
 * calls `announceInvalidation(tx, topic, key)`, which NOTIFYs at commit, and every process's feed
 * drops the matching entries. Each read from the database costs a commit; a cache hit costs none.
 *
 * Staleness is bounded three ways: a notice drops entries at once; after the listener reconnects
 * (notices may have been missed) every cache is cleared; and every entry expires after its `ttlMs`
 * anyway.
 */
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { DbOrTx } from './client.ts';

export const INVALIDATION_CHANNEL = 'swarm_invalidate';

/** Every cached entry of `topic` (or only `key`'s) is dropped in every process once `tx` commits. */
export async function announceInvalidation(tx: DbOrTx, topic: string, key?: string): Promise<void> {
  const payload = key === undefined ? topic : `${topic}:${key}`;
  await tx.execute(sql`select pg_notify(${INVALIDATION_CHANNEL}, ${payload})`);
}

export interface Cache<V> {
  /** The cached value of `key`, loading it when missing or expired (concurrent misses share one load). */
  get(key: string): Promise<V>;
  /** Drops `key` (or everything) in this process only. */
  invalidate(key?: string): void;
}

export interface InvalidationFeed {
  /** Resolves once the LISTEN is in place. Until then caches load every time. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Drops `topic`'s entries (or only `key`'s) in this process now. The process that made a change
   * calls it after the commit, so its own next read is fresh at once; other processes follow when
   * the notice arrives (milliseconds).
   */
  invalidate(topic: string, key?: string): void;
  /** A cache of `topic` whose entries live at most `ttlMs`. */
  cache<V>(topic: string, options: { ttlMs: number; load: (key: string) => Promise<V> }): Cache<V>;
}

interface Entry<V> {
  value: Promise<V>;
  expiresAt: number;
}

export interface InvalidationFeedOptions {
  onError?: ((error: unknown) => void) | undefined;
  /** Called after a notice has dropped its entries (tests wait on it; logs may count it). */
  onNotice?: ((topic: string, key: string | undefined) => void) | undefined;
}

export function createInvalidationFeed(
  client: postgres.Sql,
  options: InvalidationFeedOptions = {},
): InvalidationFeed {
  const caches = new Map<string, Set<Cache<unknown>>>();
  let handle: { unlisten(): Promise<void> } | null = null;
  /** Between start() and stop(). postgres.js re-LISTENs after a reconnect even once we unlistened. */
  let active = false;
  let listening = false;

  const invalidateAll = () => {
    for (const set of caches.values()) for (const cache of set) cache.invalidate();
  };

  return {
    async start() {
      if (active) return;
      active = true;
      try {
        handle = await client.listen(
          INVALIDATION_CHANNEL,
          (payload) => {
            const separator = payload.indexOf(':');
            const topic = separator < 0 ? payload : payload.slice(0, separator);
            const key = separator < 0 ? undefined : payload.slice(separator + 1);
            for (const cache of caches.get(topic) ?? []) cache.invalidate(key);
            options.onNotice?.(topic, key);
          },
          () => {
            // First LISTEN, or a reconnect after which notices may have been missed. After stop(),
            // postgres.js may still re-LISTEN on a reconnect (its unlisten forgets re-made
            // listeners): that must not turn caching back on.
            invalidateAll();
            listening = active;
          },
        );
      } catch (error) {
        active = false;
        throw error;
      }
    },
    async stop() {
      const current = handle;
      handle = null;
      active = false;
      listening = false;
      invalidateAll();
      await current?.unlisten().catch((error: unknown) => options.onError?.(error));
    },
    invalidate(topic, key) {
      for (const cache of caches.get(topic) ?? []) cache.invalidate(key);
    },
    cache<V>(topic: string, cacheOptions: { ttlMs: number; load: (key: string) => Promise<V> }): Cache<V> {
      const entries = new Map<string, Entry<V>>();
      let sweepAt = 0;
      const cache: Cache<V> = {
        get(key) {
          const now = performance.now();
          const hit = entries.get(key);
          if (hit && hit.expiresAt > now) return hit.value;
          // Expired entries of keys never asked for again would stay forever (every session token
          // ever seen): drop them all once per `ttlMs`, on a miss.
          if (now >= sweepAt) {
            sweepAt = now + cacheOptions.ttlMs;
            for (const [stale, entry] of entries) if (entry.expiresAt <= now) entries.delete(stale);
          }
          const value = cacheOptions.load(key);
          if (!listening) return value;
          // An invalidation while this load runs deletes the entry, so a value read before the change
          // committed is never kept; a failed load is not kept either.
          entries.set(key, { value, expiresAt: now + cacheOptions.ttlMs });
          value.catch(() => {
            if (entries.get(key)?.value === value) entries.delete(key);
          });
          return value;
        },
        invalidate(key) {
          if (key === undefined) entries.clear();
          else entries.delete(key);
        },
      };
      const set = caches.get(topic) ?? new Set();
      caches.set(topic, set);
      set.add(cache as Cache<unknown>);
      return cache;
    },
  };
}
