import { describe, expect, it } from 'vitest';
import { pruneScheduleFires } from './index.ts';
import { at, useScheduleTestKit } from './test-kit.ts';

const { database, scheduled, fire, fires, runsOf, finishRun } = useScheduleTestKit();

describe('history retention', () => {
  it('prunes occurrences beyond the newest N or older than the age limit, never one whose run is active', async () => {
    const { schedule } = await scheduled(
      { cron: '0 * * * *', timezone: 'UTC', overlap: 'allow', missed: 'all', missedWindowSeconds: 86_400 },
      at('2026-10-05T00:00:30Z'),
    );
    // Six hourly occurrences; the runs of all but the first finish.
    await fire(at('2026-10-05T06:00:00Z'));
    const runs = await runsOf(schedule.id);
    for (const run of runs.slice(1)) await finishRun(run.id, 'succeeded');
    const pruned = await pruneScheduleFires(database.db, {
      now: at('2026-10-05T06:00:00Z'),
      maxAgeMs: 90 * 86_400_000,
      maxPerSchedule: 2,
    });
    // Kept: the newest two, and 01:00 whose run is still queued.
    expect(pruned).toBe(3);
    expect((await fires(schedule.id)).map((f) => f.at)).toEqual([
      '2026-10-05T01:00:00.000Z',
      '2026-10-05T05:00:00.000Z',
      '2026-10-05T06:00:00.000Z',
    ]);
    // By age: everything older than two hours goes except the active one.
    expect(
      await pruneScheduleFires(database.db, {
        now: at('2026-10-05T07:30:00Z'),
        maxAgeMs: 7_200_000,
        maxPerSchedule: 10,
      }),
    ).toBe(1);
    // The runs themselves stay.
    const [left] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from executions where id = any(${runs.map((r) => r.id)}::uuid[])`;
    expect(left!.n).toBe(6);
  });
});
