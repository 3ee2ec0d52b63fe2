/**
 * The scheduler's run wake-up: the `run` queue does not NOTIFY per job, so runs a schedule starts
 * now are announced on RUNS_READY_CHANNEL; occurrences armed for a later instant are not (their
 * jobs are held until then). A real scheduler, database and queue, no runner.
 */
import {
  createJobSender,
  createRunWakeup,
  createSchedule,
  RUNS_READY_CHANNEL,
  type RunWakeup,
} from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { createNodeRegistry } from '@swarm/engine/server';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScheduler, type Scheduler } from '../src/scheduler.ts';
import { passThrough } from '../src/testing/workflows.ts';
import { ownerWithWorkflow } from './fixtures.ts';

const database = useTestDatabase();
let jobs: ReturnType<typeof createJobSender>;
let scheduler: Scheduler;
const heard: string[] = [];
let unlisten: (() => Promise<void>) | null = null;
/** Counts handed to the wake-up, in order. */
const announced: number[] = [];
/** Resolvers waiting for the next "schedule fired" log line. */
let onFired: Array<() => void> = [];

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  const handle = await database.sql.listen(RUNS_READY_CHANNEL, (payload) => heard.push(payload));
  unlisten = () => handle.unlisten();
  const real = createRunWakeup(database.sql);
  const runWakeup: RunWakeup = {
    ...real,
    announceCommitted(count) {
      announced.push(count ?? 1);
      real.announceCommitted(count);
    },
  };
  // The log line of a fire is written just before its runs are announced, in the same tick.
  const logger = pino(
    { level: 'info' },
    {
      write(line: string) {
        if (!line.includes('"schedule fired"')) return;
        for (const resolve of onFired) resolve();
        onFired = [];
      },
    },
  );
  scheduler = createScheduler({
    db: database.db,
    sql: database.sql,
    jobs: jobs.sender,
    registry: createNodeRegistry(),
    logger,
    armAheadMs: 2_000,
    runWakeup,
  });
  scheduler.start();
});

afterAll(async () => {
  await scheduler?.stop();
  await unlisten?.();
  await jobs?.stop();
});

async function scheduleAt(offsetMs: number) {
  const owner = await ownerWithWorkflow(database.db, passThrough);
  const schedule = await createSchedule(database.db, owner.ownerId, owner.workflowId, {
    cron: '0 0 1 1 *',
    timezone: 'UTC',
  });
  const fired = new Promise<void>((resolve) => onFired.push(resolve));
  await database.sql`
    update workflow_schedules set next_fire_at = now() + ${`${offsetMs} milliseconds`}::interval
    where id = ${schedule.id}`;
  await database.sql`select pg_notify('swarm_schedules', ${schedule.id})`;
  await fired;
  // Let the announcement that follows the log line run (the same tick) before looking.
  await new Promise((resolve) => setImmediate(resolve));
}

describe('the scheduler and the run wake-up', () => {
  it('announces a run it starts now, and not one armed for a later instant', async () => {
    await scheduleAt(-500);
    expect(announced).toEqual([1]);
    await expect.poll(() => heard, { timeout: 10_000, interval: 20 }).toContain('1');

    announced.length = 0;
    await scheduleAt(1_500);
    expect(announced).toEqual([]);
  });
});
