/**
 * Error workflows (`settings.onFailure`): a failed run starts the named workflow once, with the
 * failed run's context as its input; an error workflow's own failure starts nothing (no
 * ping-pong), and saving a workflow that names itself is refused.
 */
import { createJobSender, createWorkflow, type Db, updateWorkflow } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../src/runner.ts';
import { passThrough } from '../src/testing/workflows.ts';
import { agentChain, ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';

const database = useTestDatabase();
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
let jobs: ReturnType<typeof createJobSender>;
let runner: ReturnType<typeof createRunner>;

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  runner = createRunner({
    databaseUrl: database.url,
    logger,
    poolSize: 3,
    drainSeconds: 5,
    pollSeconds: 0.5,
    scheduler: false,
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await jobs?.stop();
});

interface RunRow {
  id: string;
  status: string;
  trigger: string;
  input: Record<string, unknown>;
}

const runsOf = (workflowId: string) =>
  database.sql<RunRow[]>`
    select id, status, trigger, input from executions where workflow_id = ${workflowId} order by created_at`;

/** Waits until every event of the owner was fanned out (so nothing more can start). */
async function eventsSettled(ownerId: string, count: number) {
  await expect
    .poll(
      async () =>
        (
          await database.sql`
            select 1 from notification_events where owner_id = ${ownerId} and fanned_out_at is not null`
        ).length,
      { timeout: 20_000, interval: 100 },
    )
    .toBe(count);
  return database.sql<{ payload: Record<string, unknown> }[]>`
    select payload from notification_events where owner_id = ${ownerId} order by created_at`;
}

/** A workflow that always fails, takes any input (so it can be an error workflow) and names one. */
async function failingWith(db: Db, ownerId: string, onFailure: string) {
  const { inputSchema: _, ...definition } = agentChain(['fail:invalid'], { onFailure });
  return createWorkflow(db, ownerId, { name: 'failing', definition });
}

describe('error workflows', () => {
  it('starts the error workflow once with the failed run as its input', async () => {
    const db = database.db;
    const handler = await ownerWithWorkflow(db, passThrough);
    const failing = await failingWith(db, handler.ownerId, handler.workflowId);
    const owner = { ownerId: handler.ownerId, workflowId: failing.id, definition: failing.definition };

    const run = await startRun(db, jobs.sender, owner, { query: 'why' });
    expect((await waitForRun(db, owner, run.id)).status).toBe('failed');
    await expect.poll(async () => (await runsOf(handler.workflowId)).length, { timeout: 30_000 }).toBe(1);
    const [errorRun] = await runsOf(handler.workflowId);
    expect(errorRun!.trigger).toBe('error');
    expect(errorRun!.input).toMatchObject({
      workflow: { id: failing.id, name: 'failing' },
      run: { id: run.id, trigger: 'api', input: { query: 'why' } },
      failedNode: { id: 'a1', name: 'Agent 1' },
      error: { code: 'provider_error' },
    });
    expect((await waitForRun(db, handler, errorRun!.id)).status).toBe('succeeded');
    const [event] = await eventsSettled(handler.ownerId, 1);
    expect(event!.payload.errorWorkflowRunId).toBe(errorRun!.id);
  });

  it('does not ping-pong: an error workflow that fails starts no error workflow of its own', async () => {
    const db = database.db;
    const first = await ownerWithWorkflow(db, agentChain(['fail:invalid']));
    const second = await failingWith(db, first.ownerId, first.workflowId);
    // first → second → first …: each names the other.
    await updateWorkflow(db, first.ownerId, first.workflowId, {
      definition: agentChain(['fail:invalid'], { onFailure: second.id }),
    });
    const owner = { ...first, definition: agentChain(['fail:invalid'], { onFailure: second.id }) };

    const run = await startRun(db, jobs.sender, owner);
    await waitForRun(db, owner, run.id);
    const events = await eventsSettled(first.ownerId, 2);
    expect(events[1]!.payload.errorWorkflowRefused).toMatch(/loops are not started/);
    expect((await runsOf(second.id)).map((r) => [r.trigger, r.status])).toEqual([['error', 'failed']]);
    expect(await runsOf(first.workflowId)).toHaveLength(1);
  });

  it('refuses a workflow naming itself, or a workflow the owner does not have', async () => {
    const db = database.db;
    const owner = await ownerWithWorkflow(db, passThrough);
    const other = await ownerWithWorkflow(db, passThrough);
    for (const [onFailure, message] of [
      [owner.workflowId, /its own error workflow/],
      [other.workflowId, /no workflow with this id/],
    ] as const) {
      const saving = updateWorkflow(db, owner.ownerId, owner.workflowId, {
        definition: { ...passThrough, settings: { onFailure } },
      });
      await expect(saving).rejects.toMatchObject({
        code: 'BAD_REQUEST',
        issues: [{ path: 'definition.settings.onFailure', message: expect.stringMatching(message) }],
      });
    }
    expect((await runsOf(owner.workflowId)).length).toBe(0);
  });
});
