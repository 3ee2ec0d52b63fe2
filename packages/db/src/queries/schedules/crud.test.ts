import { describe, expect, it } from 'vitest';
import { pauseSchedule, resumeSchedule, updateSchedule } from './index.ts';
import { at, useScheduleTestKit } from './test-kit.ts';

const { database, scheduled, fire, fires } = useScheduleTestKit();

describe('pause, resume and edits', () => {
  it('pause clears the next occurrence; resume computes it from now without catching up', async () => {
    const { schedule, ownerId } = await scheduled(
      { cron: '0 * * * *', timezone: 'UTC' },
      at('2026-10-01T00:00:30Z'),
    );
    const paused = await pauseSchedule(database.db, ownerId, schedule.id);
    expect(paused).toMatchObject({ enabled: false, nextFireAt: null });
    expect(await fire(at('2026-10-01T05:00:00Z'))).toEqual([]);
    const resumed = await resumeSchedule(database.db, ownerId, schedule.id, {
      now: at('2026-10-01T05:10:00Z'),
    });
    expect(resumed).toMatchObject({ enabled: true, nextFireAt: at('2026-10-01T06:00:00Z') });
    expect(await fires(schedule.id)).toEqual([]);
  });

  it('a new cron recomputes the next occurrence; bad edits name the field and change nothing', async () => {
    const { schedule, ownerId } = await scheduled(
      { cron: '0 * * * *', timezone: 'UTC' },
      at('2026-10-01T00:00:30Z'),
    );
    const changed = await updateSchedule(
      database.db,
      ownerId,
      schedule.id,
      { cron: '30 9 * * *', timezone: 'Europe/Berlin' },
      { now: at('2026-10-01T00:00:30Z') },
    );
    expect(changed.nextFireAt?.toISOString()).toBe('2026-10-01T07:30:00.000Z');
    await expect(
      updateSchedule(database.db, ownerId, schedule.id, { cron: '61 * * * *' }),
    ).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      issues: [expect.objectContaining({ path: expect.stringMatching(/^cron/) })],
    });
    await expect(
      updateSchedule(database.db, ownerId, schedule.id, { timezone: 'Mars/Olympus' }),
    ).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: 'timezone' })],
    });
    await expect(updateSchedule(database.db, ownerId, schedule.id, { retryLimit: 11 })).rejects.toMatchObject(
      {
        issues: [expect.objectContaining({ path: 'retryLimit' })],
      },
    );
    const [row] = await database.sql<{ cron: string; timezone: string; retry_limit: number }[]>`
      select cron, timezone, retry_limit from workflow_schedules where id = ${schedule.id}`;
    expect(row).toEqual({ cron: '30 9 * * *', timezone: 'Europe/Berlin', retry_limit: 2 });
  });
});
