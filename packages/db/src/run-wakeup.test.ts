/**
 * The coalesced run wake-up against a real Postgres: what a LISTENing runner hears, and when. A
 * notice that must not arrive is proven absent by a marker NOTIFY sent after it: Postgres delivers
 * a session's notices in commit order, so once the marker is heard everything before it was too.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRunWakeup,
  parseRunsReady,
  RUNS_READY_CHANNEL,
  transactionAnnouncingRuns,
} from './run-wakeup.ts';
import { useTestDatabase } from './testing/vitest.ts';

const database = useTestDatabase();
const MARKER = 'marker';
const LONG_WINDOW_MS = 60 * 60 * 1000;

/** Everything heard on the channel, and a way to wait for the next notices. */
const heard: string[] = [];
let waiters: Array<() => void> = [];
let unlisten: (() => Promise<void>) | null = null;

beforeAll(async () => {
  const handle = await database.sql.listen(RUNS_READY_CHANNEL, (payload) => {
    heard.push(payload);
    for (const wake of waiters) wake();
    waiters = [];
  });
  unlisten = () => handle.unlisten();
});

afterAll(async () => {
  await unlisten?.();
});

async function heardAtLeast(count: number): Promise<void> {
  while (heard.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
}

/** Sends a marker and returns what was heard before it (and clears the list). */
async function heardBeforeMarker(): Promise<string[]> {
  const before = heard.length;
  await database.sql`select pg_notify(${RUNS_READY_CHANNEL}, ${MARKER})`;
  let end = heard.indexOf(MARKER, before);
  while (end < 0) {
    await heardAtLeast(heard.length + 1);
    end = heard.indexOf(MARKER, before);
  }
  const notices = heard.slice(0, end);
  heard.splice(0, heard.length);
  return notices;
}

describe('createRunWakeup', () => {
  it('notifies in the transaction on the leading edge, delivered only once it commits', async () => {
    await heardBeforeMarker();
    const wakeup = createRunWakeup(database.sql, { coalesceMs: LONG_WINDOW_MS });
    await database.sql`create table if not exists wakeup_probe (id int primary key)`;
    // The listener reads the probe row when the notice arrives: it must already be committed.
    let visibleWhenHeard: boolean | null = null;
    const probe = await database.sql.listen(RUNS_READY_CHANNEL, (payload) => {
      if (payload !== '2') return;
      void database.sql`select count(*)::int as n from wakeup_probe where id = 1`.then(([row]) => {
        visibleWhenHeard = row?.n === 1;
      });
    });
    try {
      const notified = await database.db.transaction(async (tx) => {
        await tx.execute(sql`insert into wakeup_probe (id) values (1)`);
        return wakeup.announceInTransaction(tx, 2);
      });
      expect(notified).toBe(true);
      expect(await heardBeforeMarker()).toEqual(['2']);
      while (visibleWhenHeard === null) await new Promise((resolve) => setImmediate(resolve));
      expect(visibleWhenHeard).toBe(true);
    } finally {
      await probe.unlisten();
    }
  });

  it('sends nothing for a transaction that rolls back', async () => {
    await heardBeforeMarker();
    const wakeup = createRunWakeup(database.sql, { coalesceMs: LONG_WINDOW_MS });
    await expect(
      database.db.transaction(async (tx) => {
        expect(await wakeup.announceInTransaction(tx, 3)).toBe(true);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await heardBeforeMarker()).toEqual([]);
  });

  it('coalesces calls within the window into one trailing NOTIFY carrying their count', async () => {
    await heardBeforeMarker();
    // Long enough that the calls below all fall within the window, even on a loaded machine.
    const wakeup = createRunWakeup(database.sql, { coalesceMs: 2_000 });
    expect(await database.db.transaction((tx) => wakeup.announceInTransaction(tx, 1))).toBe(true);
    wakeup.announceCommitted(2);
    wakeup.announceCommitted(3);
    wakeup.announceCommitted();
    await heardAtLeast(2);
    expect(await heardBeforeMarker()).toEqual(['1', '6']);
    await wakeup.flush();
    expect(await heardBeforeMarker()).toEqual([]);
  });

  it('flush sends what is owed at once, and nothing when nothing is', async () => {
    await heardBeforeMarker();
    const wakeup = createRunWakeup(database.sql, { coalesceMs: LONG_WINDOW_MS });
    await wakeup.flush();
    expect(await heardBeforeMarker()).toEqual([]);
    expect(await database.db.transaction((tx) => wakeup.announceInTransaction(tx))).toBe(true);
    // Within the window: not in the transaction, owed after its commit instead.
    expect(await database.db.transaction((tx) => wakeup.announceInTransaction(tx, 4))).toBe(false);
    wakeup.announceCommitted(4);
    wakeup.announceCommitted(1);
    await wakeup.flush();
    expect(await heardBeforeMarker()).toEqual(['1', '5']);
    // The trailing timer was cleared by the flush: nothing more follows.
    await wakeup.flush();
    expect(await heardBeforeMarker()).toEqual([]);
  });

  it('reads a payload as a count of runs, anything odd as one', () => {
    expect(parseRunsReady('7')).toBe(7);
    expect(parseRunsReady('0')).toBe(1);
    expect(parseRunsReady('x')).toBe(1);
    expect(parseRunsReady('-3')).toBe(1);
  });
});

describe('transactionAnnouncingRuns', () => {
  it('announces the runs a committed transaction reported, in it or after it', async () => {
    await heardBeforeMarker();
    const wakeup = createRunWakeup(database.sql, { coalesceMs: LONG_WINDOW_MS });
    const first = await transactionAnnouncingRuns(database.db, wakeup, async (_tx, runsReady) => {
      await runsReady();
      // Within the window: owed until the commit, then until the window ends (or a flush).
      await runsReady(2);
      return 'first';
    });
    expect(first).toBe('first');
    await transactionAnnouncingRuns(database.db, wakeup, async (_tx, runsReady) => runsReady(4));
    expect(await heardBeforeMarker()).toEqual(['1']);
    await wakeup.flush();
    expect(await heardBeforeMarker()).toEqual(['6']);
  });

  it('announces nothing when no run was reported or the transaction rolled back', async () => {
    await heardBeforeMarker();
    const wakeup = createRunWakeup(database.sql, { coalesceMs: LONG_WINDOW_MS });
    await transactionAnnouncingRuns(database.db, wakeup, async () => 'no runs');
    await expect(
      transactionAnnouncingRuns(database.db, wakeup, async (_tx, runsReady) => {
        await runsReady();
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    // Runs that did commit after it are still announced (after their commit: the rolled-back
    // notice used up the window).
    await transactionAnnouncingRuns(database.db, wakeup, async (_tx, runsReady) => runsReady(2));
    await wakeup.flush();
    expect(await heardBeforeMarker()).toEqual(['2']);
  });
});
