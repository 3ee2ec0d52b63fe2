/** Housekeeping deletes run by the runner's maintenance job. */
import { lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { rateLimitCounters, runWatchers, sessions } from '../schema/index.ts';

/** Deletes sessions past their expiry and rate-limit windows older than a day; returns the counts. */
export async function pruneExpiredAuthState(db: DbOrTx) {
  const expiredSessions = await db
    .delete(sessions)
    .where(lt(sessions.expiresAt, sql`now()`))
    .returning({ id: sessions.id });
  const oldWindows = await db
    .delete(rateLimitCounters)
    .where(lt(rateLimitCounters.windowStart, sql`now() - interval '1 day'`))
    .returning({ key: rateLimitCounters.key });
  return { sessions: expiredSessions.length, rateLimitWindows: oldWindows.length };
}

/**
 * Deletes run watchers past their expiry: viewers whose process ended without removing them. Writers
 * already ignore them; this only keeps the table small.
 */
export async function pruneExpiredRunWatchers(db: DbOrTx): Promise<number> {
  const rows = await db
    .delete(runWatchers)
    .where(lt(runWatchers.expiresAt, sql`now()`))
    .returning({ executionId: runWatchers.executionId });
  return rows.length;
}
