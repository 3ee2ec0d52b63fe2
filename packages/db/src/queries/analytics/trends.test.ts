import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsTrends } from './index.ts';
import { filter, NOW, useSeededLedger } from './test-ledger.ts';

const { database, seeded } = useSeededLedger();
let owner: string;
beforeAll(() => {
  ({ owner } = seeded);
});

describe('analytics trends', () => {
  it('buckets by day in the time zone, zero-filled', async () => {
    const t = await analyticsTrends(
      database.db,
      owner,
      {
        ...filter({
          from: '2026-11-22T08:00:00Z',
          to: '2026-11-26T08:00:00Z',
          timeZone: 'America/Los_Angeles',
        }),
        interval: 'day',
      },
      { now: NOW },
    );
    expect(t.points.map((p) => [p.start.toISOString(), p.costMicros, p.attempts])).toEqual([
      ['2026-11-22T08:00:00.000Z', 4000, 1],
      ['2026-11-23T08:00:00.000Z', 2000, 1],
      ['2026-11-24T08:00:00.000Z', 1032, 4],
      ['2026-11-25T08:00:00.000Z', 0, 0],
    ]);
  });

  it('buckets by hour; an hour of only unpriced attempts has no cost figure', async () => {
    const t = await analyticsTrends(
      database.db,
      owner,
      { ...filter({ from: '2026-11-25T03:00:00Z', to: NOW.toISOString() }), interval: 'hour' },
      { now: NOW },
    );
    expect(
      t.points.map((p) => [p.start.toISOString(), p.costMicros, p.attempts, p.unpricedAttempts]),
    ).toEqual([
      ['2026-11-25T03:00:00.000Z', 0, 0, 0],
      ['2026-11-25T04:00:00.000Z', 0, 0, 0],
      ['2026-11-25T05:00:00.000Z', 1000, 1, 0],
      ['2026-11-25T06:00:00.000Z', null, 2, 1],
    ]);
    expect(t.points[3]).toMatchObject({ runsSucceeded: 1, runsFailed: 1, failedAttempts: 1 });
  });
});
