/**
 * What the schedule tests share: a database and job sender per test file, a fake clock (`fire` is
 * called with chosen `now` values, as the runner's scheduler would with the database's clock),
 * owners with a pass-through workflow, and the history rows and runs read back.
 */
import type { WorkflowDefinitionInput } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { afterEach } from 'vitest';
import { useJobSender, useTestDatabase } from '../../testing/vitest.ts';
import { claimExecution, finishExecution } from '../executions/index.ts';
import { createUser } from '../users.ts';
import { createWorkflow } from '../workflows.ts';
import { createSchedule, fireDueSchedules, type NewSchedule } from './index.ts';

export const passThrough: WorkflowDefinitionInput = {
  nodes: [
    { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    { id: 'out', type: 'output', name: 'Out', position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e1', source: 'in', target: 'out' }],
};

export const at = (iso: string) => new Date(iso);

/** Call at the top of a test file (it registers the file's database hooks). */
export function useScheduleTestKit() {
  const database = useTestDatabase();
  const registry = createNodeRegistry();
  const jobs = useJobSender(database);
  // Every test drives its own clock: no schedule of one test may be due in the next.
  afterEach(async () => {
    await database.sql`delete from workflow_schedules`;
  });

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

  const fire = (now: Date) => fireDueSchedules(database.db, jobs.sender, { now, registry });

  async function fires(scheduleId: string) {
    const rows = await database.sql<
      { fire_at: Date; outcome: string; reason: string | null; runs: number }[]
    >`
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

  return {
    database,
    registry,
    jobs,
    ownerWithWorkflow,
    scheduled,
    fire,
    fires,
    nextFireAt,
    runsOf,
    finishRun,
    fireOnTime,
  };
}
