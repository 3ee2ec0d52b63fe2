/**
 * Waking runners when runs become ready, cheaply. pg-boss's own wake-up is a NOTIFY inside every
 * transaction that inserts a job; Postgres serialises the commits of notifying transactions on one
 * global lock, and every LISTENing backend of the database runs a transaction of its own for every
 * NOTIFY. At a few hundred runs a second that lock, not the CPU, caps how fast runs can be created.
 *
 * So the `run` queue does not notify (`notify: false` in the job catalog) and run creators announce
 * here instead, coalesced per process: the first run in a quiet period notifies inside its own
 * transaction (no extra commit; the runner wakes the moment the run is visible), and runs created
 * within the next `coalesceMs` share one trailing NOTIFY sent after their transactions committed.
 * The payload is how many runs were announced (for logs and tools; a woken runner fetches as many as
 * it has free slots anyway). A runner that is busy does not need waking: it fetches again whenever
 * a slot frees. Polling stays as the fallback for a lost notice.
 */
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db, DbOrTx, Tx } from './client.ts';

export const RUNS_READY_CHANNEL = 'swarm_runs_ready';

/** Parses a wake-up payload (a count of runs); anything odd counts as one. */
export function parseRunsReady(payload: string): number {
  const count = Number.parseInt(payload, 10);
  return Number.isSafeInteger(count) && count > 0 ? count : 1;
}

/** One NOTIFY for `count` runs, now (or at `db`'s commit when it is a transaction), uncoalesced. */
export async function announceRunsReady(db: DbOrTx, count = 1): Promise<void> {
  await db.execute(sql`select pg_notify(${RUNS_READY_CHANNEL}, ${String(count)})`);
}

export interface RunWakeup {
  /**
   * Call inside the transaction that creates `count` runnable runs (jobs due now). When nothing was
   * sent within `coalesceMs` it notifies in that transaction (the NOTIFY is delivered at commit, no
   * commit of its own) and returns true. Otherwise it returns false and the caller must call
   * `announceCommitted(count)` once the transaction committed.
   */
  announceInTransaction(tx: DbOrTx, count?: number): Promise<boolean>;
  /** After a commit, for runs `announceInTransaction` did not notify: one trailing NOTIFY per window. */
  announceCommitted(count?: number): void;
  /** Sends a trailing NOTIFY still owed now (shutdown). */
  flush(): Promise<void>;
}

export function createRunWakeup(
  client: postgres.Sql,
  options: { coalesceMs?: number; onError?: (error: unknown) => void } = {},
): RunWakeup {
  const coalesceMs = options.coalesceMs ?? 10;
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let owed = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const sendOwed = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (owed === 0) return;
    const count = owed;
    owed = 0;
    lastSentAt = performance.now();
    try {
      await client`select pg_notify(${RUNS_READY_CHANNEL}, ${String(count)})`;
    } catch (error) {
      // The runners poll as well; a lost wake-up delays these runs by at most one poll.
      options.onError?.(error);
    }
  };

  return {
    async announceInTransaction(tx, count = 1) {
      if (timer !== null || performance.now() - lastSentAt < coalesceMs) return false;
      lastSentAt = performance.now();
      await tx.execute(sql`select pg_notify(${RUNS_READY_CHANNEL}, ${String(count)})`);
      return true;
    },
    announceCommitted(count = 1) {
      owed += count;
      if (timer) return;
      const wait = coalesceMs - (performance.now() - lastSentAt);
      if (wait <= 0) void sendOwed();
      else timer = setTimeout(() => void sendOwed(), wait);
    },
    flush: sendOwed,
  };
}

/**
 * Runs `work` in a new transaction of `db`; `work` reports the runs it made runnable now through
 * `runsReady` (not runs held back by a future `startAfter`). They are announced in the transaction
 * when `wakeup` allows (no extra commit; `runsReady` sends it at once, so `work` can call it before
 * the statements that hold contended locks until the commit), else after the commit. Nothing is
 * delivered on rollback. Without a `wakeup` runners find the runs by polling.
 */
export async function transactionAnnouncingRuns<T>(
  db: Db,
  wakeup: RunWakeup | null | undefined,
  work: (tx: Tx, runsReady: (count?: number) => Promise<void>) => Promise<T>,
): Promise<T> {
  let owed = 0;
  const result = await db.transaction(async (tx) => {
    owed = 0;
    return work(tx, async (count = 1) => {
      if (!wakeup) return;
      if (!(await wakeup.announceInTransaction(tx, count))) owed += count;
    });
  });
  if (owed > 0) wakeup?.announceCommitted(owed);
  return result;
}
