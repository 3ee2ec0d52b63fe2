import { describe, expect, it } from 'vitest';
import { claimExecution } from '../executions/index.ts';
import { retryFailedScheduledRun, retryMissedScheduledRuns, scheduleHistory } from './index.ts';
import { at, useScheduleTestKit } from './test-kit.ts';

const { database, jobs, scheduled, fire, runsOf, finishRun } = useScheduleTestKit();

describe('retries of failed scheduled runs', () => {
  it('retries with exponential backoff up to the limit, once per failure however often the finish is replayed', async () => {
    const { schedule, ownerId } = await scheduled(
      { cron: '0 * * * *', timezone: 'UTC', retryLimit: 2, retryDelaySeconds: 10 },
      at('2026-09-01T00:00:30Z'),
    );
    await fire(at('2026-09-01T01:00:00Z'));
    const startAfter = async (executionId: string) => {
      const [job] = await database.sql<{ start_after: Date }[]>`
        select start_after from pgboss.job where name = 'run' and data->>'executionId' = ${executionId}`;
      return new Date(job!.start_after).toISOString();
    };

    const [first] = await runsOf(schedule.id);
    await finishRun(first!.id, 'failed');
    const t1 = at('2026-09-01T01:00:20Z');
    const retry1 = await retryFailedScheduledRun(database.db, jobs.sender, {
      executionId: first!.id,
      now: t1,
    });
    expect(retry1).toMatchObject({ triggerAttempt: 2 });
    expect(await startAfter(retry1!.executionId)).toBe('2026-09-01T01:00:30.000Z'); // + 10 s
    // The finish processed again: no second retry.
    expect(
      await retryFailedScheduledRun(database.db, jobs.sender, { executionId: first!.id, now: t1 }),
    ).toBeNull();
    expect(await retryMissedScheduledRuns(database.db, jobs.sender, { now: t1 })).toEqual([]);

    await finishRun(retry1!.executionId, 'failed');
    const retry2 = await retryFailedScheduledRun(database.db, jobs.sender, {
      executionId: retry1!.executionId,
      now: at('2026-09-01T01:01:00Z'),
    });
    expect(retry2).toMatchObject({ triggerAttempt: 3 });
    expect(await startAfter(retry2!.executionId)).toBe('2026-09-01T01:01:20.000Z'); // + 20 s

    await finishRun(retry2!.executionId, 'failed');
    // Two retries used up.
    expect(
      await retryFailedScheduledRun(database.db, jobs.sender, {
        executionId: retry2!.executionId,
        now: at('2026-09-01T01:02:00Z'),
      }),
    ).toBeNull();
    const runs = await runsOf(schedule.id);
    expect(runs.map((r) => [r.trigger_attempt, r.status])).toEqual([
      [1, 'failed'],
      [2, 'failed'],
      [3, 'failed'],
    ]);
    // All attempts hang off the one occurrence in the history.
    const history = await scheduleHistory(database.db, ownerId, schedule.id);
    expect(history.items).toHaveLength(1);
    expect(history.items[0]!.runs.map((r) => r.triggerAttempt)).toEqual([1, 2, 3]);
  });

  it('a cancelled run is not retried; a failure whose retry was never created is picked up by the sweep', async () => {
    const { schedule } = await scheduled(
      { cron: '0 * * * *', timezone: 'UTC', overlap: 'allow', retryLimit: 1 },
      at('2026-09-02T00:00:30Z'),
    );
    await fire(at('2026-09-02T01:00:00Z'));
    await fire(at('2026-09-02T02:00:00Z'));
    const [cancelled, failed] = await runsOf(schedule.id);
    await finishRun(cancelled!.id, 'cancelled');
    await finishRun(failed!.id, 'failed');
    const now = at('2026-09-02T02:05:00Z');
    expect(
      await retryFailedScheduledRun(database.db, jobs.sender, { executionId: cancelled!.id, now }),
    ).toBeNull();
    // The runner "died" before retrying `failed`: the sweep does it, once.
    const swept = await retryMissedScheduledRuns(database.db, jobs.sender, { now });
    expect(swept.map((r) => [r.failedExecutionId, r.triggerAttempt])).toEqual([[failed!.id, 2]]);
    expect(await retryMissedScheduledRuns(database.db, jobs.sender, { now })).toEqual([]);
  });

  it('a run abandoned after too many claims (a poison run) is not retried, not even by the sweep', async () => {
    const { schedule } = await scheduled(
      { cron: '0 * * * *', timezone: 'UTC', retryLimit: 2 },
      at('2026-09-03T00:00:30Z'),
    );
    await fire(at('2026-09-03T01:00:00Z'));
    const [run] = await runsOf(schedule.id);
    expect((await claimExecution(database.db, run!.id)).outcome).toBe('claimed');
    expect(await claimExecution(database.db, run!.id, { maxClaims: 1 })).toMatchObject({
      outcome: 'abandoned',
      scheduled: true,
    });
    const now = at('2026-09-03T01:05:00Z');
    expect(await retryFailedScheduledRun(database.db, jobs.sender, { executionId: run!.id, now })).toBeNull();
    expect(await retryMissedScheduledRuns(database.db, jobs.sender, { now })).toEqual([]);
    expect((await runsOf(schedule.id)).map((r) => r.status)).toEqual(['failed']);
  });
});
