/**
 * The scheduler survives losing its database connections (what a Postgres restart does to a
 * runner): every backend is terminated while it sleeps, and the next schedule still fires. Its own
 * database, so killing connections touches no other test.
 */
import { connectDatabase, createJobSender, createSchedule, createUser, createWorkflow } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { createNodeRegistry } from '@swarm/engine/server';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createScheduler } from '../src/scheduler.ts';
import { passThrough } from '../src/testing/workflows.ts';

const database = useTestDatabase();
let pool: ReturnType<typeof connectDatabase>;
let jobs: ReturnType<typeof createJobSender>;
let scheduler: ReturnType<typeof createScheduler>;

beforeAll(async () => {
  pool = connectDatabase(database.url, { max: 3 });
  jobs = createJobSender(pool);
  await jobs.start();
  scheduler = createScheduler({
    db: pool.db,
    sql: pool.sql,
    jobs: jobs.sender,
    registry: createNodeRegistry(),
    logger: pino({ level: 'silent' }),
    maxSleepMs: 1000,
  });
  scheduler.start();
});

afterAll(async () => {
  await scheduler?.stop();
  await jobs?.stop();
  await pool?.close();
});

let users = 0;
async function scheduleDueSoon() {
  const user = await createUser(database.db, {
    email: `faults${++users}@example.com`,
    name: '',
    passwordHash: 'x',
  });
  const workflow = await createWorkflow(database.db, user.id, { name: 'wf', definition: passThrough });
  const schedule = await createSchedule(database.db, user.id, workflow.id, {
    cron: '0 0 1 1 *',
    timezone: 'UTC',
  });
  await database.sql`
    update workflow_schedules set next_fire_at = now() + interval '300 milliseconds' where id = ${schedule.id}`;
  await database.sql`select pg_notify('swarm_schedules', ${schedule.id})`;
  return schedule.id;
}

const outcomes = async (scheduleId: string) =>
  (
    await database.sql<
      { outcome: string }[]
    >`select outcome from schedule_fires where schedule_id = ${scheduleId}`
  ).map((r) => r.outcome);

it('keeps firing after every database connection was cut', async () => {
  const first = await scheduleDueSoon();
  await expect.poll(() => outcomes(first), { timeout: 15_000, interval: 100 }).toEqual(['started']);

  // What a Postgres restart does to the runner's pool and its LISTEN connection.
  const killed = await database.sql<{ ok: boolean }[]>`
    select pg_terminate_backend(pid) as ok from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid()`;
  // The scheduler's pool and its LISTEN connection were among them.
  expect(killed.filter((row) => row.ok).length).toBeGreaterThanOrEqual(2);

  const second = await scheduleDueSoon();
  await expect.poll(() => outcomes(second), { timeout: 20_000, interval: 200 }).toEqual(['started']);
  expect(await outcomes(first)).toEqual(['started']);
});
