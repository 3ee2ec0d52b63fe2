/**
 * Schedules against a real Postgres and pg-boss with a fake clock: `fireDueSchedules` is called with
 * chosen `now` values (as the runner's scheduler would with the database's clock) and the history
 * rows and runs are read back. Covers DST, overlap and missed-run policies, racing firers, runs
 * that cannot start, and retries of failed scheduled runs.
 */
import type { WorkflowDefinitionInput } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDatabase } from '../client.ts';
import { createJobSender, type JobSender } from '../jobs.ts';
import { useJobSender, useTestDatabase } from '../testing/vitest.ts';
import { claimExecution, finishExecution } from './executions.ts';
import {
  createSchedule,
  FIRE_CLAIM_LEASE_MS,
  fireDueSchedules,
  listSchedules,
  MAX_FIRES_PER_CATCH_UP,
  type NewSchedule,
  pauseSchedule,
  pruneScheduleFires,
  resumeSchedule,
  retryFailedScheduledRun,
  retryMissedScheduledRuns,
  scheduleHistory,
  startQueuedFires,
  updateSchedule,
} from './schedules.ts';
import { createUser } from './users.ts';
import { createWorkflow, updateWorkflow } from './workflows.ts';

const database = useTestDatabase();
const registry = createNodeRegistry();
const jobs = useJobSender(database);
// Every test drives its own clock: no schedule of one test may be due in the next.
afterEach(async () => {
  await database.sql`delete from workflow_schedules`;
});

const passThrough: WorkflowDefinitionInput = {
  nodes: [
    { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    { id: 'out', type: 'output', name: 'Out', position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e1', source: 'in', target: 'out' }],
};

let users = 0;
async function ownerWithWorkflow() {
  const user = await createUser(database.db, {
    email: `sched${++users}@example.com`,
    name: '',
    passwordHash: 'x',
  });
  const workflow = await createWorkflow(database.db, user.id, {
    name: 'scheduled',
    definition: passThrough as never,
  });
  return { ownerId: user.id, workflowId: workflow.id };
}

async function scheduled(settings: NewSchedule, createdAt: Date) {
  const owner = await ownerWithWorkflow();
  const schedule = await createSchedule(database.db, owner.ownerId, owner.workflowId, settings, {
    now: createdAt,
  });
  return { ...owner, schedule };
}

const at = (iso: string) => new Date(iso);
const fire = (now: Date) => fireDueSchedules(database.db, jobs.sender, { now, registry });

async function fires(scheduleId: string) {
  const rows = await database.sql<{ fire_at: Date; outcome: string; reason: string | null; runs: number }[]>`
    select f.fire_at, f.outcome, f.reason,
      (select count(*)::int from executions e where e.schedule_fire_id = f.id) as runs
    from schedule_fires f where f.schedule_id = ${scheduleId} order by f.fire_at`;
  return rows.map((r) => ({
    at: new Date(r.fire_at).toISOString(),
    outcome: r.outcome,
    reason: r.reason,
    runs: r.runs,
  }));
}

async function nextFireAt(scheduleId: string): Promise<Date | null> {
  const [row] = await database.sql<{ next_fire_at: Date | null }[]>`
    select next_fire_at from workflow_schedules where id = ${scheduleId}`;
  return row!.next_fire_at === null ? null : new Date(row!.next_fire_at);
}

async function runsOf(scheduleId: string) {
  return database.sql<
    { id: string; status: string; trigger: string; trigger_attempt: number; fire_at: Date }[]
  >`
    select e.id, e.status, e.trigger, e.trigger_attempt, f.fire_at
    from executions e join schedule_fires f on f.id = e.schedule_fire_id
    where f.schedule_id = ${scheduleId} order by f.fire_at, e.trigger_attempt`;
}

/** Plays a runner: claims the run and ends it with `status`. */
async function finishRun(executionId: string, status: 'succeeded' | 'failed' | 'cancelled') {
  const claim = await claimExecution(database.db, executionId);
  if (claim.outcome !== 'claimed') throw new Error(`could not claim: ${claim.outcome}`);
  const error = status === 'failed' ? { code: 'node_failed', message: 'boom' } : null;
  return finishExecution(database.db, claim.run, { status, output: null, error: error as never });
}

/** Fires at exactly each next occurrence (and again 30 s later), `steps` times, like a punctual scheduler. */
async function fireOnTime(scheduleId: string, steps: number) {
  for (let i = 0; i < steps; i++) {
    const next = await nextFireAt(scheduleId);
    if (!next) throw new Error('schedule has no next occurrence');
    await fire(next);
    await fire(new Date(next.getTime() + 30_000));
  }
}

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
});

describe('firings that kill their runner', () => {
  const claimsOf = async (scheduleId: string) => {
    const [row] = await database.sql<{ fire_claims: number; next_fire_at: Date | null }[]>`
      select fire_claims, next_fire_at from workflow_schedules where id = ${scheduleId}`;
    return { claims: row!.fire_claims, next: row!.next_fire_at && new Date(row!.next_fire_at).toISOString() };
  };

  /**
   * A runner that claims the due schedule and dies in the middle of firing it: its own connection,
   * closed (as a killed process's socket is) while the firing's transaction is open — inside the
   * enqueue of the occurrence's run. Postgres rolls the firing back; only the claim stays.
   */
  async function dyingFirer(now: Date) {
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
    await pool.sql.end({ timeout: 0 });
    died();
    // A dead process reports nothing: what this one would have reported is not looked at.
    await firing;
    await pool.close().catch(() => {});
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
