/**
 * The invalidation feed against a real server: notices from another connection drop one key or a
 * whole topic once the writer commits (never on rollback), a load overtaken by a notice or that
 * failed is not kept, entries expire, nothing is cached before start() or after stop(), and a
 * reconnect of the listening connection clears every cache.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectDatabase, type Database } from './client.ts';
import { announceInvalidation, createInvalidationFeed, type InvalidationFeed } from './invalidation.ts';
import { useTestDatabase } from './testing/vitest.ts';

const database = useTestDatabase();
/** The writer: another pool, as the API would be. */
let writer: Database;
/** The reader's own pool, so terminating its listener touches nothing else. */
let reader: Database;
const feeds: InvalidationFeed[] = [];

beforeAll(() => {
  writer = connectDatabase(database.url, { max: 2 });
  reader = connectDatabase(database.url, { max: 2 });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(feeds.splice(0).map((feed) => feed.stop()));
});
afterAll(async () => {
  await writer?.close();
  await reader?.close();
});

/** A feed whose notices can be awaited: `nextNotice()` resolves with the next one that arrives. */
function feedWithNotices() {
  const waiting: Array<(notice: string) => void> = [];
  const feed = createInvalidationFeed(reader.sql, {
    onNotice: (topic, key) => waiting.shift()?.(key === undefined ? topic : `${topic}:${key}`),
  });
  feeds.push(feed);
  const nextNotice = () => new Promise<string>((resolve) => waiting.push(resolve));
  return { feed, nextNotice };
}

/** A loader that counts its calls per key and answers `key#n`. */
function countingLoader() {
  const loads = new Map<string, number>();
  const load = async (key: string) => {
    const n = (loads.get(key) ?? 0) + 1;
    loads.set(key, n);
    return `${key}#${n}`;
  };
  return { load, loads: (key: string) => loads.get(key) ?? 0 };
}

async function announce(topic: string, key?: string) {
  await writer.db.transaction((tx) => announceInvalidation(tx, topic, key));
}

describe('invalidation feed', () => {
  it('loads every time before start(), then caches and shares concurrent misses', async () => {
    const { feed } = feedWithNotices();
    const { load, loads } = countingLoader();
    const cache = feed.cache('things', { ttlMs: 60_000, load });
    expect(await cache.get('a')).toBe('a#1');
    expect(await cache.get('a')).toBe('a#2');

    await feed.start();
    const [first, second] = await Promise.all([cache.get('a'), cache.get('a')]);
    expect([first, second]).toEqual(['a#3', 'a#3']);
    expect(await cache.get('a')).toBe('a#3');
    expect(loads('a')).toBe(3);
  });

  it("drops one key on a keyed notice, the whole topic on a topic notice, and leaves other topics' entries", async () => {
    const { feed, nextNotice } = feedWithNotices();
    const things = countingLoader();
    const others = countingLoader();
    const cache = feed.cache('things', { ttlMs: 60_000, load: things.load });
    const other = feed.cache('others', { ttlMs: 60_000, load: others.load });
    await feed.start();
    await Promise.all([cache.get('a'), cache.get('b'), other.get('a')]);

    const keyed = nextNotice();
    await announce('things', 'a');
    expect(await keyed).toBe('things:a');
    expect(await cache.get('a')).toBe('a#2');
    expect(await cache.get('b')).toBe('b#1');
    expect(await other.get('a')).toBe('a#1');

    const whole = nextNotice();
    await announce('things');
    expect(await whole).toBe('things');
    expect(await cache.get('a')).toBe('a#3');
    expect(await cache.get('b')).toBe('b#2');
    expect(await other.get('a')).toBe('a#1');
  });

  it('keys may contain the separator', async () => {
    const { feed, nextNotice } = feedWithNotices();
    const { load } = countingLoader();
    const cache = feed.cache('things', { ttlMs: 60_000, load });
    await feed.start();
    await cache.get('x:y');
    const notice = nextNotice();
    await announce('things', 'x:y');
    await notice;
    expect(await cache.get('x:y')).toBe('x:y#2');
  });

  it('announces only when the writing transaction commits', async () => {
    const { feed, nextNotice } = feedWithNotices();
    const { load } = countingLoader();
    const cache = feed.cache('things', { ttlMs: 60_000, load });
    await feed.start();
    await Promise.all([cache.get('a'), cache.get('b')]);

    const notice = nextNotice();
    await expect(
      writer.db.transaction(async (tx) => {
        await announceInvalidation(tx, 'things', 'a');
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await announce('things', 'b');
    // Notices arrive in commit order: had the rolled-back one been sent, it would come first.
    expect(await notice).toBe('things:b');
    expect(await cache.get('a')).toBe('a#1');
    expect(await cache.get('b')).toBe('b#2');
  });

  it('does not keep a load that a notice overtook, nor a load that failed', async () => {
    const { feed, nextNotice } = feedWithNotices();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    const cache = feed.cache('things', {
      ttlMs: 60_000,
      load: async (key) => {
        calls += 1;
        if (calls === 1) {
          await gate;
          return `${key}:stale`;
        }
        if (calls === 2) throw new Error('database away');
        return `${key}:fresh`;
      },
    });
    await feed.start();

    const overtaken = cache.get('a');
    const notice = nextNotice();
    await announce('things', 'a');
    await notice;
    release();
    expect(await overtaken).toBe('a:stale');

    await expect(cache.get('a')).rejects.toThrow('database away');
    expect(await cache.get('a')).toBe('a:fresh');
    expect(await cache.get('a')).toBe('a:fresh');
    expect(calls).toBe(3);
  });

  it('reloads an entry once its ttl has passed', async () => {
    const { feed } = feedWithNotices();
    const { load } = countingLoader();
    const cache = feed.cache('things', { ttlMs: 5_000, load });
    await feed.start();
    const start = performance.now();
    const clock = vi.spyOn(performance, 'now').mockReturnValue(start);
    expect(await cache.get('a')).toBe('a#1');
    clock.mockReturnValue(start + 4_999);
    expect(await cache.get('a')).toBe('a#1');
    clock.mockReturnValue(start + 5_000);
    expect(await cache.get('a')).toBe('a#2');
  });

  it('clears every cache when the listening connection reconnects, and keeps listening', async () => {
    const { feed, nextNotice } = feedWithNotices();
    const { load, loads } = countingLoader();
    const cache = feed.cache('things', { ttlMs: 60_000, load });
    await feed.start();
    await cache.get('a');
    await cache.get('a');
    expect(loads('a')).toBe(1);

    const terminated = await database.sql<{ ok: boolean }[]>`
      select pg_terminate_backend(pid) as ok from pg_stat_activity
      where datname = current_database() and query ilike 'listen%swarm_invalidate%'`;
    expect(terminated.map((row) => row.ok)).toEqual([true]);
    // A notice missed while disconnected is what the clearing is for; wait for the re-LISTEN's effect.
    await vi.waitFor(
      async () => {
        await cache.get('a');
        expect(loads('a')).toBeGreaterThan(1);
      },
      { timeout: 10_000, interval: 20 },
    );
    const cached = await cache.get('a');
    expect(await cache.get('a')).toBe(cached);

    const notice = nextNotice();
    await announce('things', 'a');
    await notice;
    expect(await cache.get('a')).not.toBe(cached);
  });

  it('stops caching after stop()', async () => {
    const { feed } = feedWithNotices();
    const { load, loads } = countingLoader();
    const cache = feed.cache('things', { ttlMs: 60_000, load });
    await feed.start();
    await cache.get('a');
    await cache.get('a');
    await feed.stop();
    await cache.get('a');
    await cache.get('a');
    expect(loads('a')).toBe(3);
  });
});
