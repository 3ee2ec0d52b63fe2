import { beforeAll, describe, expect, it } from 'vitest';
import { analyticsSummary } from './index.ts';
import { filter, NOW, useSeededLedger } from './test-ledger.ts';

const { database, seeded } = useSeededLedger();
let owner: string;
let wf2: string;
beforeAll(() => {
  ({ owner, wf2 } = seeded);
});

describe('analytics totals', () => {
  it('counts today, this week (from Monday), this month and all time in UTC', async () => {
    const { totals } = await analyticsSummary(database.db, owner, filter({}), { now: NOW });
    expect(totals.todayStart).toEqual(new Date('2026-11-25T00:00:00Z'));
    expect(totals.weekStart).toEqual(new Date('2026-11-23T00:00:00Z'));
    expect(totals.monthStart).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(totals.today).toEqual({
      costMicros: 1000,
      attempts: 3,
      pricedAttempts: 1,
      unpricedAttempts: 1,
      // The failed auth call reported no usage: it cost nothing we know of, so it is not among the
      // attempts of unknown cost (only the unpriced one is).
      noUsageAttempts: 0,
      failedNoUsageAttempts: 1,
      unknownCostAttempts: 1,
    });
    expect(totals.thisWeek).toMatchObject({ costMicros: 7032, attempts: 6, unpricedAttempts: 1 });
    expect(totals.thisMonth).toMatchObject({ costMicros: 15032, attempts: 7 });
    expect(totals.allTime).toMatchObject({ costMicros: 31032, attempts: 8, pricedAttempts: 6 });
  });

  it('moves the boundaries with the time zone (Los Angeles, across the end of DST on November 1)', async () => {
    const { totals } = await analyticsSummary(
      database.db,
      owner,
      filter({ timeZone: 'America/Los_Angeles' }),
      { now: NOW },
    );
    expect(totals.todayStart).toEqual(new Date('2026-11-24T08:00:00Z'));
    expect(totals.weekStart).toEqual(new Date('2026-11-23T08:00:00Z'));
    expect(totals.monthStart).toEqual(new Date('2026-11-01T07:00:00Z'));
    expect(totals.today).toMatchObject({ costMicros: 1032, attempts: 4 });
    expect(totals.thisWeek).toMatchObject({ costMicros: 3032, attempts: 5 });
    expect(totals.thisMonth).toMatchObject({ costMicros: 7032, attempts: 6 });
    expect(totals.allTime).toMatchObject({ costMicros: 31032, attempts: 8 });
  });

  it('handles a half-hour offset (Kolkata)', async () => {
    const { totals } = await analyticsSummary(database.db, owner, filter({ timeZone: 'Asia/Kolkata' }), {
      now: NOW,
    });
    expect(totals.todayStart).toEqual(new Date('2026-11-24T18:30:00Z'));
    expect(totals.today).toMatchObject({ costMicros: 1032, attempts: 4 });
    expect(totals.thisWeek).toMatchObject({ costMicros: 7032 });
    expect(totals.thisMonth).toMatchObject({ costMicros: 15032 });
  });

  it('filters by workflow', async () => {
    const { totals } = await analyticsSummary(database.db, owner, filter({ workflowId: wf2 }), { now: NOW });
    expect(totals.today).toMatchObject({
      costMicros: 0,
      attempts: 1,
      noUsageAttempts: 0,
      failedNoUsageAttempts: 1,
      unknownCostAttempts: 0,
    });
    expect(totals.allTime).toMatchObject({ costMicros: 12000, attempts: 3 });
  });
});
