/**
 * Who watches a run live, so run events are NOTIFYed only for runs somebody watches. Nearly every
 * run (cron, webhooks, API) has no viewer, and each NOTIFY costs a commit in every listening backend
 * of the database (Postgres 15 signals all of them, whatever the channel) and serialises commits.
 *
 * A viewer (a `runs.events` subscription) opens a watch: a `run_watchers` row of its own, renewed
 * while it is open and deleted when it ends; a row past `expires_at` counts as gone (a viewer whose
 * process died) and maintenance prunes it (`pruneExpiredRunWatchers`). Writers send a run's event
 * only while a live row exists (`notifyRunEventsIfWatched`). The row says nothing about where the
 * viewer is: the NOTIFY reaches every listening process, so a viewer on one API instance hears a
 * runner anywhere, and several viewers of one run each hold their own row.
 *
 * Why no change is missed. A writer updates the `executions` row (taking its row lock until commit)
 * and, in a LATER statement of the same READ COMMITTED transaction, checks for watchers. A viewer
 * listens first, then registers in one transaction that reads the `executions` row FOR SHARE (which
 * conflicts with the writer's FOR NO KEY UPDATE lock; FOR KEY SHARE would not) and inserts its row,
 * and reads the run's state only after that transaction committed. So for any write, either:
 * - the writer's UPDATE came first: the viewer's FOR SHARE waits for the writer's commit, and the
 *   viewer's read, later still, sees the write; or
 * - the viewer's FOR SHARE came first: the writer's UPDATE waits until the viewer's row is committed,
 *   and the writer's check, a later statement with a newer snapshot, sees it and NOTIFYs.
 * The check must be its own statement: folded into the UPDATE (a CTE), it would read the snapshot
 * taken before the UPDATE waited, and miss the watcher it waited for.
 * A renewal that finds its row lapsed (renewals failed for a while, or a crash emptied the UNLOGGED
 * table) registers the same way and then has the viewer re-read.
 */

import { randomUUID } from 'node:crypto';
import { NotFoundError } from '@swarm/engine';
import { and, eq, sql } from 'drizzle-orm';
import { type Db, type DbOrTx, inTransaction } from '../client.ts';
import { executions, runWatchers } from '../schema/index.ts';

/** A watch lives this long without renewal: two renewals in a row may fail before notices stop. */
export const RUN_WATCH_TTL_MS = 90_000;
/** How often an open watch renews its row. */
export const RUN_WATCH_RENEW_MS = 30_000;

/**
 * Sends each notice (as JSON) on `channel` if (and only if) someone watches its run, all in one
 * statement. Must run after the statement that updated the runs' `executions` rows, in the same
 * transaction (see the header); in a transaction that is not READ COMMITTED the check could not see
 * a watcher committed after the transaction's snapshot, so there it always sends.
 */
export async function notifyRunEventsIfWatched(
  tx: DbOrTx,
  channel: string,
  notices: readonly { executionId: string }[],
) {
  const rows = JSON.stringify(
    notices.map((notice) => ({ id: notice.executionId, payload: JSON.stringify(notice) })),
  );
  await tx.execute(sql`
    select pg_notify(${channel}, n.payload)
      from jsonb_to_recordset(${rows}::jsonb) as n(id uuid, payload text)
     where current_setting('transaction_isolation') <> 'read committed'
        or exists (select 1 from ${runWatchers}
          where ${runWatchers.executionId} = n.id and ${runWatchers.expiresAt} > now())`);
}

/**
 * Registers (or renews) watcher `watcherId` of run `executionId` for `ttlMs`, if `ownerId` owns the
 * run (else NOT_FOUND). Reads the run FOR SHARE in the same transaction, so reads made after this
 * resolves see every change whose writer did not see the watcher. Resolves `renewed: true` when the
 * watcher's row was still live (nothing could have been missed since it was registered).
 */
export async function registerRunWatcher(
  db: DbOrTx,
  watch: { executionId: string; ownerId: string; watcherId: string; ttlMs?: number | undefined },
): Promise<{ renewed: boolean }> {
  const ttlMs = watch.ttlMs ?? RUN_WATCH_TTL_MS;
  return inTransaction(db, async (tx) => {
    const [run] = await tx
      .select({ id: executions.id })
      .from(executions)
      .where(and(eq(executions.id, watch.executionId), eq(executions.ownerId, watch.ownerId)))
      .for('share');
    if (!run) throw new NotFoundError('run');
    const rows = await tx.execute<{ renewed: boolean | null }>(sql`
      with prior as (
        select ${runWatchers.expiresAt} > now() as live from ${runWatchers}
        where ${runWatchers.executionId} = ${watch.executionId} and ${runWatchers.watcherId} = ${watch.watcherId})
      insert into ${runWatchers} (execution_id, watcher_id, expires_at)
      values (${watch.executionId}, ${watch.watcherId}, now() + ${ttlMs} * interval '1 millisecond')
      on conflict (execution_id, watcher_id) do update set expires_at = excluded.expires_at
      returning (select live from prior) as renewed`);
    return { renewed: rows[0]?.renewed === true };
  });
}

/** Ends watcher `watcherId` of run `executionId` (nothing happens if it is gone already). */
export async function removeRunWatcher(db: DbOrTx, executionId: string, watcherId: string) {
  await db
    .delete(runWatchers)
    .where(and(eq(runWatchers.executionId, executionId), eq(runWatchers.watcherId, watcherId)));
}

export interface RunWatch {
  readonly watcherId: string;
  /**
   * Registers again now (the run event listener reconnected: the server may have restarted and
   * emptied the table). Calls `onLapsed` if the row was gone; errors go to `onError`.
   */
  renew(): Promise<void>;
  /** Stops renewing and removes the watcher (best effort: a row left behind expires). */
  close(): Promise<void>;
}

export interface RunWatchOptions {
  executionId: string;
  ownerId: string;
  /**
   * Called after a renewal found the watcher's row lapsed (or the run gone) and registered again:
   * notices may have been skipped meanwhile, so the viewer should re-read the run now.
   */
  onLapsed: () => void;
  /** A renewal or the removal failed; the watch keeps going (the next renewal tries again). */
  onError: (error: unknown) => void;
  renewMs?: number | undefined;
  ttlMs?: number | undefined;
}

/**
 * Opens a watch of a run: registers a new watcher (NOT_FOUND unless `ownerId` owns the run) and
 * renews it every `renewMs` until `close()`. Listen for the run's events BEFORE opening, and read
 * the run's state only AFTER this resolves: then no change falls between the reads and the notices.
 */
export async function openRunWatch(db: Db, options: RunWatchOptions): Promise<RunWatch> {
  const watcher = {
    executionId: options.executionId,
    ownerId: options.ownerId,
    watcherId: randomUUID(),
    ttlMs: options.ttlMs,
  };
  await registerRunWatcher(db, watcher);

  let closed = false;
  // Renewals run one at a time (a timer tick and a resync may coincide), and close waits for them.
  let pending: Promise<void> = Promise.resolve();
  const renew = () => {
    pending = pending.then(async () => {
      if (closed) return;
      try {
        const { renewed } = await registerRunWatcher(db, watcher);
        if (!renewed) options.onLapsed();
      } catch (error) {
        // The run was deleted while watched: the viewer's re-read reports it.
        if (error instanceof NotFoundError) options.onLapsed();
        else options.onError(error);
      }
    });
    return pending;
  };
  const timer = setInterval(renew, options.renewMs ?? RUN_WATCH_RENEW_MS);
  timer.unref();

  return {
    watcherId: watcher.watcherId,
    renew,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await pending;
      await removeRunWatcher(db, watcher.executionId, watcher.watcherId).catch(options.onError);
    },
  };
}
