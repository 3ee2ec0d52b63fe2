/**
 * Firing against a real Postgres and pg-boss with a fake clock: `fireDueSchedules` is called with
 * chosen `now` values and the history rows and runs are read back. Covers DST, overlap and
 * missed-run policies, arming ahead, racing firers, firings that kill their runner, and runs that
 * cannot start.
 */
import { MAX_FIRES_PER_CATCH_UP } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { connectDatabase } from '../../client.ts';
import { createJobSender, type JobSender } from '../../jobs.ts';
import { updateWorkflow } from '../workflows.ts';
import { FIRE_CLAIM_LEASE_MS, fireDueSchedules, listSchedules, startQueuedFires } from './index.ts';
import { at, passThrough, useScheduleTestKit } from './test-kit.ts';

const { database, registry, jobs, scheduled, fire, fires, nextFireAt, runsOf, finishRun, fireOnTime } =
  useScheduleTestKit();

describe('DST in America/New_York', () => {
  it('spring forward: 02:30 does not exist on 8 March and fires once at 03:00 EDT', async () => {
    const { schedule } = await scheduled(
      { cron: '30 2 * * *', timezone: 'America/New_York', overlap: 'allow' },
      at('2026-03-06T12:00:00Z'),
    );
    expect(schedule.nextFireAt?.toISOString()).toBe('2026-03-07T07:30:00.000Z');
    await fireOnTime(schedule.id, 3);
    expect(await fires(schedule.id)).toEqual([
      { at: '2026-03-07T07:30:00.000Z', outcome: 'started', reason: null, runs: 1 }, // 02:30 EST
      { at: '2026-03-08T07:00:00.000Z', outcome: 'started', reason: null, runs: 1 }, // gap → 03:00 EDT
      { at: '2026-03-09T06:30:00.000Z', outcome: 'started', reason: null, runs: 1 }, // 02:30 EDT
    ]);
    const runs = await runsOf(schedule.id);
    expect(runs.map((r) => [r.trigger, r.status, r.trigger_attempt])).toEqual([
      ['schedule', 'queued', 1],
      ['schedule', 'queued', 1],
      ['schedule', 'queued', 1],
    ]);
  });

  it('fall back: 01:30 happens twice on 1 November and fires once, at the first (EDT) instant', async () => {
    const { schedule } = await scheduled(
      { cron: '30 1 * * *', timezone: 'America/New_York', overlap: 'allow' },
      at('2026-10-30T12:00:00Z'),
    );
    await fireOnTime(schedule.id, 3);
    // A tick during the repeated hour (01:30 EST) finds nothing due.
    await fire(at('2026-11-01T06:30:30Z'));
    expect((await fires(schedule.id)).map((f) => [f.at, f.outcome, f.runs])).toEqual([
      ['2026-10-31T05:30:00.000Z', 'started', 1],
      ['2026-11-01T05:30:00.000Z', 'started', 1],
      ['2026-11-02T06:30:00.000Z', 'started', 1],
    ]);
  });

  it('coarse ticks over the DST days still fire each occurrence exactly once', async () => {
    const { schedule } = await scheduled(
      { cron: '30 2 * * *', timezone: 'America/New_York', overlap: 'allow' },
      at('2026-03-07T12:00:00Z'),
    );
    // Every 20 s for the 30 minutes around the shifted occurrence.
    for (let t = at('2026-03-08T06:50:00Z').getTime(); t <= at('2026-03-08T07:20:00Z').getTime(); t += 20_000)
      await fire(new Date(t));
    expect((await fires(schedule.id)).map((f) => [f.at, f.outcome, f.runs])).toEqual([
      ['2026-03-08T07:00:00.000Z', 'started', 1],
    ]);
    expect((await nextFireAt(schedule.id))?.toISOString()).toBe('2026-03-09T06:30:00.000Z');
  });
});

describe('overlap policies', () => {
  it('skip: an occurrence while the previous run is still queued or running is recorded as skipped', async () => {
    const { schedule } = await scheduled(
      { cron: '* * * * *', timezone: 'UTC', overlap: 'skip' },
      at('2026-05-01T10:00:10Z'),
    );
    await fire(at('2026-05-01T10:01:00Z'));
    await fire(at('2026-05-01T10:02:00Z'));
    expect(await fires(schedule.id)).toEqual([
      { at: '2026-05-01T10:01:00.000Z', outcome: 'started', reason: null, runs: 1 },
      {
        at: '2026-05-01T10:02:00.000Z',
        outcome: 'skipped',
        reason: 'previous run still running (overlap: skip)',
        runs: 0,
      },
    ]);
    // Once the run is over, the next occurrence starts again.
    const [run] = await runsOf(schedule.id);
    await finishRun(run!.id, 'succeeded');
    await fire(at('2026-05-01T10:03:00Z'));
    expect((await fires(schedule.id)).map((f) => f.outcome)).toEqual(['started', 'skipped', 'started']);
  });

  it('queue-one: one occurrence waits (more are skipped) and starts when the active run finishes', async () => {
    const { schedule } = await scheduled(
      { cron: '* * * * *', timezone: 'UTC', overlap: 'queue-one' },
      at('2026-05-01T10:00:10Z'),
    );
    await fire(at('2026-05-01T10:01:00Z'));
    await fire(at('2026-05-01T10:02:00Z'));
    await fire(at('2026-05-01T10:03:00Z'));
    expect((await fires(schedule.id)).map((f) => [f.outcome, f.runs])).toEqual([
      ['started', 1],
      ['queued', 0],
      ['skipped', 0],
    ]);
    // Still running: the queued one waits.
    expect(
      await startQueuedFires(database.db, jobs.sender, { now: at('2026-05-01T10:03:10Z'), registry }),
    ).toEqual([]);

    const [first] = await runsOf(schedule.id);
    await finishRun(first!.id, 'succeeded');
    const started = await startQueuedFires(database.db, jobs.sender, {
      now: at('2026-05-01T10:03:20Z'),
      registry,
    });
    expect(started.map((r) => [r.fireAt.toISOString(), r.outcome])).toEqual([
      ['2026-05-01T10:02:00.000Z', 'started'],
    ]);
    const history = await fires(schedule.id);
    expect(history[1]).toMatchObject({ outcome: 'started', runs: 1 });
    expect(history[1]!.reason).toContain('after the previous run finished');
    // Started once only.
    expect(
      await startQueuedFires(database.db, jobs.sender, { now: at('2026-05-01T10:03:30Z'), registry }),
    ).toEqual([]);
    expect((await runsOf(schedule.id)).length).toBe(2);
    const [row] = await database.sql<
      { run_count: number }[]
    >`select run_count from workflow_schedules where id = ${schedule.id}`;
    expect(row!.run_count).toBe(2);
  });

  it('allow: every occurrence starts a run', async () => {
    const { schedule } = await scheduled(
      { cron: '* * * * *', timezone: 'UTC', overlap: 'allow' },
      at('2026-05-01T10:00:10Z'),
    );
    await fire(at('2026-05-01T10:01:00Z'));
    await fire(at('2026-05-01T10:02:00Z'));
    expect((await fires(schedule.id)).map((f) => [f.outcome, f.runs])).toEqual([
      ['started', 1],
      ['started', 1],
    ]);
  });
});

describe('arming ahead (look-ahead)', () => {
  it('writes an occurrence due within the look-ahead now, its job held until the occurrence', async () => {
    const { schedule } = await scheduled(
      { cron: '*/5 * * * *', timezone: 'UTC' },
      at('2026-05-01T10:00:10Z'),
    );
    const armedAt = at('2026-05-01T10:04:58.500Z');
    // Nothing is due yet without a look-ahead.
    expect(await fire(armedAt)).toEqual([]);
    const reports = await fireDueSchedules(database.db, jobs.sender, {
      now: armedAt,
      registry,
      lookAheadMs: 2000,
    });
    expect(reports.map((r) => [r.fireAt.toISOString(), r.outcome])).toEqual([
      ['2026-05-01T10:05:00.000Z', 'started'],
    ]);
    const [run] = await runsOf(schedule.id);
    expect(run?.status).toBe('queued');
    const [job] = await database.sql<{ start_after: Date }[]>`
      select start_after from pgboss.job where name = 'run' and data->>'executionId' = ${run!.id}`;
    expect(new Date(job!.start_after).toISOString()).toBe('2026-05-01T10:05:00.000Z');
    expect((await nextFireAt(schedule.id))?.toISOString()).toBe('2026-05-01T10:10:00.000Z');
    // The pass at the occurrence itself finds it done: one history row, one run.
    await fire(at('2026-05-01T10:05:00Z'));
    expect((await fires(schedule.id)).map((f) => [f.at, f.outcome, f.runs])).toEqual([
      ['2026-05-01T10:05:00.000Z', 'started', 1],
    ]);
  });
});

describe('missed runs after downtime', () => {
  // Hourly from 01:00; the scheduler comes back at 05:30 (four and a half hours late).
  const created = at('2026-06-01T00:00:30Z');
  const back = at('2026-06-01T05:30:00Z');
  const hours = ['01', '02', '03', '04', '05'].map((h) => `2026-06-01T${h}:00:00.000Z`);

  it('none: every late occurrence is recorded as missed, nothing starts', async () => {
    const { schedule } = await scheduled({ cron: '0 * * * *', timezone: 'UTC', missed: 'none' }, created);
    const reports = await fire(back);
    expect(reports.map((r) => r.outcome)).toEqual(['missed', 'missed', 'missed', 'missed', 'missed']);
    const history = await fires(schedule.id);
    expect(history.map((f) => f.at)).toEqual(hours);
    expect(history[0]!.reason).toBe('no runner was running at 2026-06-01 01:00 UTC (missed runs: none)');
    expect(history.every((f) => f.runs === 0)).toBe(true);
    expect((await nextFireAt(schedule.id))?.toISOString()).toBe('2026-06-01T06:00:00.000Z');
  });

  it('latest: only the newest late occurrence starts, saying how late', async () => {
    const { schedule } = await scheduled({ cron: '0 * * * *', timezone: 'UTC', missed: 'latest' }, created);
    await fire(back);
    const history = await fires(schedule.id);
    expect(history.map((f) => [f.outcome, f.runs])).toEqual([
      ['missed', 0],
      ['missed', 0],
      ['missed', 0],
      ['missed', 0],
      ['started', 1],
    ]);
    expect(history[4]!.reason).toBe(
      'started 30 min late: no runner was running at 2026-06-01 05:00 UTC (missed runs: latest)',
    );
    expect(history[0]!.reason).toContain('only the latest occurrence (2026-06-01 05:00) runs');
  });

  it('all: every late occurrence within the window starts; older ones are missed', async () => {
    const { schedule } = await scheduled(
      { cron: '0 * * * *', timezone: 'UTC', missed: 'all', missedWindowSeconds: 7200, overlap: 'allow' },
      created,
    );
    await fire(back);
    const history = await fires(schedule.id);
    // 04:00 (1.5 h late) and 05:00 are inside the two-hour window; 01:00–03:00 are not.
    expect(history.map((f) => [f.at, f.outcome, f.runs])).toEqual([
      [hours[0], 'missed', 0],
      [hours[1], 'missed', 0],
      [hours[2], 'missed', 0],
      [hours[3], 'started', 1],
      [hours[4], 'started', 1],
    ]);
    expect(history[0]!.reason).toContain('older than the missed-runs window of 2 h');
  });

  it('an occurrence within the grace minute is on time, not late', async () => {
    const { schedule } = await scheduled({ cron: '0 * * * *', timezone: 'UTC', missed: 'none' }, created);
    await fire(at('2026-06-01T01:00:45Z'));
    expect(await fires(schedule.id)).toEqual([{ at: hours[0], outcome: 'started', reason: null, runs: 1 }]);
  });

  it('a week of per-minute downtime writes a bounded number of rows and says how many were left out', async () => {
    const { schedule } = await scheduled(
      { cron: '* * * * *', timezone: 'UTC', missed: 'none' },
      at('2026-06-01T00:00:30Z'),
    );
    const reports = await fire(at('2026-06-08T00:00:30Z'));
    expect(reports.length).toBe(MAX_FIRES_PER_CATCH_UP);
    const history = await fires(schedule.id);
    expect(history.length).toBe(MAX_FIRES_PER_CATCH_UP);
    expect(history.at(-1)!.at).toBe('2026-06-08T00:00:00.000Z');
    expect(history[0]!.reason).toContain(`${7 * 24 * 60 - MAX_FIRES_PER_CATCH_UP} earlier occurrences`);
  });
});

describe('exactly once with racing runners', () => {
  it('three firers on three connection pools at the same instant: one history row and one run per occurrence', async () => {
    const created = at('2026-07-01T00:00:30Z');
    const schedules = [];
    for (let i = 0; i < 6; i++)
      schedules.push(
        (await scheduled({ cron: '*/10 * * * *', timezone: 'UTC', missed: 'all', overlap: 'allow' }, created))
          .schedule,
      );
    const pools = [0, 1, 2].map(() => connectDatabase(database.url, { max: 2 }));
    const senders = pools.map((pool) => createJobSender(pool));
    try {
      await Promise.all(senders.map((s) => s.start()));
      const now = at('2026-07-01T01:00:00Z');
      const results = await Promise.all(
        pools.map((pool, i) => fireDueSchedules(pool.db, senders[i]!.sender, { now, registry })),
      );
      const reported = results.flat();
      // 00:10 … 01:00: six occurrences per schedule, each reported by exactly one firer.
      expect(reported.length).toBe(6 * 6);
      for (const schedule of schedules) {
        const history = await fires(schedule.id);
        expect(history.map((f) => [f.outcome, f.runs])).toEqual(Array(6).fill(['started', 1]));
        expect((await runsOf(schedule.id)).length).toBe(6);
      }
      const [jobCount] = await database.sql<{ n: number }[]>`
        select count(*)::int as n from pgboss.job j join executions e on e.id = (j.data->>'executionId')::uuid
        where j.name = 'run' and e.schedule_fire_id is not null`;
      expect(jobCount!.n).toBe(36);
    } finally {
      await Promise.all(senders.map((s) => s.stop()));
      await Promise.all(pools.map((pool) => pool.close()));
    }
  });

  it("fires a schedule it claimed though another runner's claim statement holds the row for a moment", async () => {
    // Another runner's claim statement can lock a row it then rejects (claimed meanwhile: Postgres
    // re-checks a concurrently updated row after locking it and keeps the lock to the statement's
    // end). If that lands between this runner's claim and its firing, the firing must wait for it —
    // skipping the row left the occurrence to the claim's lease (B7, 2026-12-06: ~3 s late).
    const { schedule } = await scheduled({ cron: '0 * * * *', timezone: 'UTC' }, at('2026-09-03T00:30:00Z'));
    const holder = connectDatabase(database.url, { max: 1 });
    let releaseRow = () => {};
    const rowHeld = new Promise<void>((resolve) => {
      releaseRow = resolve;
    });
    let holding: Promise<unknown> = Promise.resolve();
    // The claim has committed when the firing's transaction opens: the other runner locks it now.
    const firer = Object.create(database.db) as typeof database.db;
    firer.transaction = (async (...args: Parameters<typeof database.db.transaction>) => {
      let locked = () => {};
      const isLocked = new Promise<void>((resolve) => {
        locked = resolve;
      });
      holding = holder.sql.begin(async (tx) => {
        await tx`select id from workflow_schedules where id = ${schedule.id} for update`;
        locked();
        await rowHeld;
      });
      await isLocked;
      return database.db.transaction(...args);
    }) as typeof database.db.transaction;
    try {
      const firing = fireDueSchedules(firer, jobs.sender, { now: at('2026-09-03T01:00:00Z'), registry });
      // Held until the firing waits for the row (or, skipping it, has already given up).
      const settled = firing.then(
        () => true,
        () => true,
      );
      while (!(await Promise.race([settled, Promise.resolve(false)]))) {
        const [waiting] = await database.sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        if (waiting!.n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      releaseRow();
      await holding;
      expect(await firing).toEqual([
        expect.objectContaining({ scheduleId: schedule.id, outcome: 'started' }),
      ]);
      expect((await fires(schedule.id)).map((f) => [f.outcome, f.runs])).toEqual([['started', 1]]);
    } finally {
      releaseRow();
      await holding.catch(() => {});
      await holder.close();
    }
  });
});

describe('firings that kill their runner', () => {
  const claimsOf = async (scheduleId: string) => {
    const [row] = await database.sql<{ fire_claims: number; next_fire_at: Date | null }[]>`
      select fire_claims, next_fire_at from workflow_schedules where id = ${scheduleId}`;
    return { claims: row!.fire_claims, next: row!.next_fire_at && new Date(row!.next_fire_at).toISOString() };
  };

  /**
   * A runner that claims the due schedule and stops in the middle of firing it — inside the enqueue
   * of the occurrence's run, its transaction open and the schedule's row locked. `end()` closes its
   * connection, as a killed process's socket is closed: Postgres rolls the firing back and only the
   * claim stays.
   */
  async function stoppedFirer(now: Date) {
    const pool = connectDatabase(database.url, { max: 1 });
    let inFiring = () => {};
    const reached = new Promise<void>((resolve) => {
      inFiring = resolve;
    });
    let died = () => {};
    const death = new Promise<void>((resolve) => {
      died = resolve;
    });
    const sender: JobSender = {
      send: (async () => {
        inFiring();
        await death;
        throw new Error('the runner is gone');
      }) as JobSender['send'],
    };
    const firing = fireDueSchedules(pool.db, sender, { now, registry, maxClaims: 3 }).catch(() => []);
    await reached;
    return {
      async end() {
        await pool.sql.end({ timeout: 0 });
        died();
        // A dead process reports nothing: what this one would have reported is not looked at.
        await firing;
        await pool.close().catch(() => {});
      },
    };
  }

  /** A runner that dies in the middle of firing the due schedule (`stoppedFirer`, ended at once). */
  async function dyingFirer(now: Date) {
    await (await stoppedFirer(now)).end();
  }

  it('records an occurrence as failed after three firings that never committed, and moves on', async () => {
    const { schedule } = await scheduled({ cron: '0 * * * *', timezone: 'UTC' }, at('2026-09-01T00:30:00Z'));
    const due = at('2026-09-01T01:00:00Z');
    // Each next runner finds the schedule once the last claim's lease ran out (all within the grace).
    const tries = [0, 1, 2, 3].map((i) => new Date(due.getTime() + i * (FIRE_CLAIM_LEASE_MS + 1000)));
    for (const [i, now] of tries.slice(0, 3).entries()) {
      await dyingFirer(now);
      expect(await claimsOf(schedule.id)).toEqual({ claims: i + 1, next: due.toISOString() });
      expect(await fires(schedule.id)).toEqual([]);
    }
    // Within the lease of the last claim another runner leaves it alone (it might still be firing).
    const withinLease = new Date(tries[2]!.getTime() + 1000);
    expect(
      await fireDueSchedules(database.db, jobs.sender, { now: withinLease, registry, maxClaims: 3 }),
    ).toEqual([]);
    expect((await claimsOf(schedule.id)).claims).toBe(3);

    const reports = await fireDueSchedules(database.db, jobs.sender, {
      now: tries[3]!,
      registry,
      maxClaims: 3,
    });
    expect(reports).toEqual([
      expect.objectContaining({ scheduleId: schedule.id, fireAt: due, outcome: 'failed', executionId: null }),
    ]);
    const history = await fires(schedule.id);
    expect(history).toEqual([
      {
        at: due.toISOString(),
        outcome: 'failed',
        reason:
          'not started: firing it stopped its runner (or lost its claim) 3 times before it could be recorded; given up so it is not tried forever',
        runs: 0,
      },
    ]);
    // Moved on to the next occurrence, the count cleared; that one fires as usual.
    expect(await claimsOf(schedule.id)).toEqual({ claims: 0, next: '2026-09-01T02:00:00.000Z' });
    await fireDueSchedules(database.db, jobs.sender, {
      now: at('2026-09-01T02:00:01Z'),
      registry,
      maxClaims: 3,
    });
    expect((await fires(schedule.id)).map((f) => [f.outcome, f.runs])).toEqual([
      ['failed', 0],
      ['started', 1],
    ]);
  });

  it('leaves a schedule whose firing froze holding its row to the next claim, without an error', async () => {
    const { schedule } = await scheduled({ cron: '0 * * * *', timezone: 'UTC' }, at('2026-09-04T00:30:00Z'));
    const due = at('2026-09-04T01:00:00Z');
    // A runner frozen inside its firing: the row stays locked.
    const frozen = await stoppedFirer(due);
    try {
      // Its claim's lease has run out: the next runner claims it, waits for the row, gives up.
      const errors: string[] = [];
      const afterLease = new Date(due.getTime() + FIRE_CLAIM_LEASE_MS + 1000);
      const reports = await fireDueSchedules(database.db, jobs.sender, {
        now: afterLease,
        registry,
        onError: (_error, scheduleId) => errors.push(scheduleId),
      });
      expect(reports).toEqual([]);
      expect(errors).toEqual([]);
      expect(await fires(schedule.id)).toEqual([]);
    } finally {
      // The frozen runner is ended (as the stalled-session sweep does): its firing rolls back.
      await frozen.end();
    }
    // The second claim's lease runs out in turn, and the occurrence fires once.
    const later = new Date(due.getTime() + 2 * (FIRE_CLAIM_LEASE_MS + 1000));
    const reports = await fireDueSchedules(database.db, jobs.sender, { now: later, registry });
    expect(reports).toEqual([expect.objectContaining({ fireAt: due, outcome: 'started' })]);
    expect((await fires(schedule.id)).map((f) => [f.outcome, f.runs])).toEqual([['started', 1]]);
  });

  it('fires an occurrence whose first firing died, on the next runner, and clears the count', async () => {
    const { schedule } = await scheduled({ cron: '0 * * * *', timezone: 'UTC' }, at('2026-09-02T00:30:00Z'));
    const due = at('2026-09-02T01:00:00Z');
    await dyingFirer(due);
    expect(await claimsOf(schedule.id)).toEqual({ claims: 1, next: due.toISOString() });
    const later = new Date(due.getTime() + FIRE_CLAIM_LEASE_MS + 1000);
    const reports = await fireDueSchedules(database.db, jobs.sender, { now: later, registry, maxClaims: 3 });
    expect(reports).toEqual([expect.objectContaining({ fireAt: due, outcome: 'started' })]);
    expect((await fires(schedule.id)).map((f) => [f.outcome, f.runs])).toEqual([['started', 1]]);
    expect(await claimsOf(schedule.id)).toEqual({ claims: 0, next: '2026-09-02T02:00:00.000Z' });
  });
});

describe('runs that cannot start', () => {
  it('records failed with the reason, keeps the schedule going, and does not stop other schedules', async () => {
    const created = at('2026-08-01T00:00:30Z');
    const broken = await scheduled({ cron: '0 * * * *', timezone: 'UTC', input: {} }, created);
    const healthy = await scheduled({ cron: '0 * * * *', timezone: 'UTC' }, created);
    // The workflow now requires an input field the schedule does not send.
    await updateWorkflow(database.db, broken.ownerId, broken.workflowId, {
      definition: {
        ...passThrough,
        inputSchema: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
      } as never,
    });
    await fire(at('2026-08-01T01:00:05Z'));
    const [failed] = await fires(broken.schedule.id);
    expect(failed).toMatchObject({ outcome: 'failed', runs: 0 });
    expect(failed!.reason).toMatch(/^could not start: input\.topic: /);
    expect(await fires(healthy.schedule.id)).toEqual([
      { at: '2026-08-01T01:00:00.000Z', outcome: 'started', reason: null, runs: 1 },
    ]);
    // The broken schedule moved on to its next occurrence.
    expect((await nextFireAt(broken.schedule.id))?.toISOString()).toBe('2026-08-01T02:00:00.000Z');
    // The owner sees it in the schedule's recent history.
    expect(
      (await listSchedules(database.db, broken.ownerId, broken.workflowId)).items[0]!.recent[0]!.outcome,
    ).toBe('failed');
  });
});
