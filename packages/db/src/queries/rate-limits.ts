/** Shared fixed-window counters (see schema/rate-limits.ts). */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { rateLimitCounters } from '../schema/index.ts';

/**
 * The start of the fixed window of `windowSeconds` (aligned to the epoch) that holds `at`. Without
 * `at` it is read off the database clock, so every API instance agrees on it; `at` is for callers
 * whose clock was stopped by a test.
 */
export function rateWindowStart(windowSeconds: number, at?: Date | undefined) {
  const epoch = at ? sql`${at.getTime() / 1000}::float8` : sql`extract(epoch from now())`;
  return sql`to_timestamp(floor(${epoch} / ${windowSeconds}) * ${windowSeconds})`;
}

/**
 * Counts one hit against `key` in the current window of `windowSeconds` (see `rateWindowStart`)
 * and returns the count so far, including this hit.
 */
export async function hitRateLimit(
  db: DbOrTx,
  key: string,
  windowSeconds: number,
  at?: Date | undefined,
): Promise<number> {
  const windowStart = rateWindowStart(windowSeconds, at);
  const [row] = await db
    .insert(rateLimitCounters)
    .values({ key, windowStart, count: 1 })
    .onConflictDoUpdate({
      target: [rateLimitCounters.key, rateLimitCounters.windowStart],
      set: { count: sql`${rateLimitCounters.count} + 1` },
    })
    .returning({ count: rateLimitCounters.count });
  return row!.count;
}

/** Forgets the counts for `key` (a successful login clears its failures). */
export async function resetRateLimit(db: DbOrTx, key: string): Promise<void> {
  await db.delete(rateLimitCounters).where(sql`${rateLimitCounters.key} = ${key}`);
}
