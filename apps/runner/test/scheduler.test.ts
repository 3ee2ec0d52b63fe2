/**
 * The scheduler inside a real runner (in this process) on a real database and queue: a schedule
 * due in a moment fires once and its run succeeds; a failed scheduled run gets its retry from the
 * runner that finished it; a schedule that cannot be processed does not stop the others.
 */
import { createSchedule, getExecution } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import type { WorkflowDefinition } from '@swarm/engine';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../src/runner.ts';
import { passThrough } from '../src/testing/workflows.ts';
import { agentChain, ownerWithWorkflow } from './fixtures.ts';

const database = useTestDatabase();
let runner: ReturnType<typeof createRunner>;

beforeAll(async () => {
  runner = createRunner({
    databaseUrl: database.url,
    logger: pino({ level: 'silent' }),
    poolSize: 4,
    drainSeconds: 5,
    runConcurrency: 2,
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
});

/** A schedule (hourly, so only the moment we set fires) whose next occurrence is `inMs` from the database's now. */
async function scheduleDueSoon(
  definition: WorkflowDefinition,
  inMs: number,
  extra: { retryLimit?: number; retryDelaySeconds?: number; input?: unknown } = {},
) {
  const owner = await ownerWithWorkflow(database.db, definition);
  const schedule = await createSchedule(database.db, owner.ownerId, owner.workflowId, {
    cron: '0 0 1 1 *',
    timezone: 'UTC',
    ...extra,
  });
  // Written directly, as an operator could; the NOTIFY wakes sleeping schedulers to recompute.
  await database.sql`
    update workflow_schedules set next_fire_at = now() + ${`${inMs} milliseconds`}::interval where id = ${schedule.id}`;
  await database.sql`select pg_notify('swarm_schedules', ${schedule.id})`;
  return { ...owner, schedule };
}

async function scheduledRuns(scheduleId: string) {
  return database.sql<
    { id: string; status: string; trigger: string; trigger_attempt: number; outcome: string }[]
  >`
    select e.id, e.status, e.trigger, e.trigger_attempt, f.outcome
    from schedule_fires f left join executions e on e.schedule_fire_id = f.id
    where f.schedule_id = ${scheduleId} order by f.fire_at, e.trigger_attempt`;
}

describe('the runner scheduler', () => {
  it('fires a schedule when it is due and the run succeeds, once', async () => {
    const { schedule, ownerId } = await scheduleDueSoon(passThrough, 1500);
    await expect
      .poll(async () => (await scheduledRuns(schedule.id)).map((r) => r.status), {
        timeout: 20_000,
        interval: 100,
      })
      .toEqual(['succeeded']);
    const [run] = await scheduledRuns(schedule.id);
    expect(run).toMatchObject({ trigger: 'schedule', trigger_attempt: 1, outcome: 'started' });
    expect((await getExecution(database.db, ownerId, run!.id)).output).toEqual({ input: {} });
    const [row] = await database.sql<{ next_fire_at: string; run_count: number; last_fire_at: string }[]>`
      select next_fire_at, run_count, last_fire_at from workflow_schedules where id = ${schedule.id}`;
    // Back on the cron: next 1 January, 00:00 UTC.
    expect(new Date(row!.next_fire_at).toISOString()).toMatch(/-01-01T00:00:00\.000Z$/);
    expect(row!.run_count).toBe(1);
  });

  it('retries a failed scheduled run after its backoff, from the runner that finished it', async () => {
    const { schedule } = await scheduleDueSoon(agentChain(['fail:invalid']), 500, {
      retryLimit: 1,
      retryDelaySeconds: 1,
      input: { query: 'tides' },
    });
    await expect
      .poll(async () => (await scheduledRuns(schedule.id)).map((r) => [r.trigger_attempt, r.status]), {
        timeout: 30_000,
        interval: 100,
      })
      .toEqual([
        [1, 'failed'],
        [2, 'failed'],
      ]);
    // The limit was one retry: nothing more comes.
    expect((await scheduledRuns(schedule.id)).length).toBe(2);
  });

  it('keeps firing other schedules when one cannot be processed', async () => {
    // Due in 10 minutes at first: far beyond the scheduler's look-ahead, so nothing is armed yet.
    const broken = await scheduleDueSoon(passThrough, 600_000);
    // Not something the API allows: a cron the module cannot parse; then due in 300 ms.
    await database.sql`
      update workflow_schedules set cron = 'not a cron', next_fire_at = now() + interval '300 milliseconds'
      where id = ${broken.schedule.id}`;
    await database.sql`select pg_notify('swarm_schedules', ${broken.schedule.id})`;
    const healthy = await scheduleDueSoon(passThrough, 800);
    await expect
      .poll(async () => (await scheduledRuns(healthy.schedule.id)).map((r) => r.status), {
        timeout: 20_000,
        interval: 100,
      })
      .toEqual(['succeeded']);
    expect(await scheduledRuns(broken.schedule.id)).toEqual([]);
    await database.sql`delete from workflow_schedules where id = ${broken.schedule.id}`;
  });
});
