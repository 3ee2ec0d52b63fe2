/** Shared fixed-window counters (see schema/rate-limits.ts). */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { rateLimitCounters } from '../schema/index.ts';

/**
 * Counts one hit against `key` in the current window of `windowSeconds` and returns the count so
 * far, including this hit. The window is computed from the database clock, so every API instance
 * agrees on it. Old windows are pruned opportunistically.
 */
export async function hitRateLimit(db: DbOrTx, key: string, windowSeconds: number): Promise<number> {
  const windowStart = sql`to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds})`;
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
