/**
 * The schedules API against a real server and database: create/list/update/pause/resume/delete,
 * the preview (with DST shifts), the history, and bad input refused with the failing field named
 * and nothing changed.
 */
import { createJobSender, fireDueSchedules } from '@swarm/db';
import { createNodeRegistry } from '@swarm/engine/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer();
let jobs: ReturnType<typeof createJobSender>;

beforeAll(async () => {
  jobs = createJobSender(api.database);
  await jobs.start();
});
afterAll(async () => {
  await jobs?.stop();
});

const definition = {
  nodes: [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    { id: 'output', type: 'output', name: 'Out', position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e1', source: 'input', target: 'output' }],
  inputSchema: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
};

async function userWithWorkflow() {
  const { client, user } = await api.signUp();
  const workflow = await client.workflows.create.mutate({ name: 'Scheduled', definition });
  return { client, user, workflowId: workflow.id };
}

async function scheduleRows(workflowId: string) {
  return api.database.sql<{ cron: string; timezone: string; enabled: boolean; input: unknown }[]>`
    select cron, timezone, enabled, input from workflow_schedules where workflow_id = ${workflowId}`;
}

describe('managing schedules', () => {
  it('creates, lists, updates, pauses, resumes and deletes', async () => {
    const { client, workflowId } = await userWithWorkflow();
    const created = await client.schedules.create.mutate({
      workflowId,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      input: { topic: 'tides' },
    });
    expect(created).toMatchObject({
      workflowId,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      enabled: true,
      input: { topic: 'tides' },
      overlap: 'skip',
      missed: 'latest',
      retryLimit: 2,
      runCount: 0,
      lastRun: null,
      recent: [],
    });
    expect(created.description).toMatch(/09:00/);
    expect(created.nextFireAt).toBeInstanceOf(Date);
    expect(created.nextFireAt!.getTime()).toBeGreaterThan(Date.now());

    const list = await client.schedules.list.query({ workflowId });
    expect(list.items.map((s) => s.id)).toEqual([created.id]);

    const updated = await client.schedules.update.mutate({
      id: created.id,
      cron: '@hourly',
      overlap: 'queue-one',
      missed: 'all',
      missedWindowSeconds: 3600,
      retryLimit: 0,
    });
    expect(updated).toMatchObject({ cron: '@hourly', overlap: 'queue-one', missed: 'all', retryLimit: 0 });
    expect(updated.nextFireAt!.getUTCMinutes()).toBe(0);

    const paused = await client.schedules.pause.mutate({ id: created.id });
    expect(paused).toMatchObject({ enabled: false, nextFireAt: null });
    const resumed = await client.schedules.resume.mutate({ id: created.id });
    expect(resumed.enabled).toBe(true);
    expect(resumed.nextFireAt).toBeInstanceOf(Date);

    await client.schedules.delete.mutate({ id: created.id });
    expect((await client.schedules.list.query({ workflowId })).items).toEqual([]);
    await expectApiError(client.schedules.get.query({ id: created.id }), 'NOT_FOUND');
  });

  it('can be created paused, and pins a version tag that must exist', async () => {
    const { client, workflowId } = await userWithWorkflow();
    await expectApiError(
      client.schedules.create.mutate({
        workflowId,
        cron: '0 9 * * *',
        timezone: 'UTC',
        input: { topic: 'x' },
        versionTag: 'production',
      }),
      'BAD_REQUEST',
      { paths: ['versionTag'] },
    );
    const version = await client.versions.create.mutate({ workflowId, commitMessage: 'v1' });
    await client.versions.tag.mutate({ versionId: version.id, tag: 'production' });
    const schedule = await client.schedules.create.mutate({
      workflowId,
      cron: '0 9 * * *',
      timezone: 'UTC',
      input: { topic: 'x' },
      versionTag: 'production',
      enabled: false,
    });
    expect(schedule).toMatchObject({ versionTag: 'production', enabled: false, nextFireAt: null });
  });

  it('shows the history of fires with their runs', async () => {
    const { client, workflowId } = await userWithWorkflow();
    const schedule = await client.schedules.create.mutate({
      workflowId,
      cron: '* * * * *',
      timezone: 'UTC',
      input: { topic: 'x' },
    });
    const due = schedule.nextFireAt!;
    await fireDueSchedules(api.database.db, jobs.sender, { now: due, registry: createNodeRegistry() });
    const history = await client.schedules.history.query({ id: schedule.id });
    expect(history.items).toHaveLength(1);
    expect(history.items[0]).toMatchObject({ fireAt: due, outcome: 'started', reason: null });
    expect(history.items[0]!.runs.map((r) => [r.status, r.triggerAttempt])).toEqual([['queued', 1]]);
    const [listed] = (await client.schedules.list.query({ workflowId })).items;
    expect(listed).toMatchObject({ runCount: 1, lastRun: { status: 'queued', fireAt: due } });
    expect(listed!.recent.map((f) => f.outcome)).toEqual(['started']);
    // The run is an ordinary run with trigger `schedule`.
    const runs = await client.runs.list.query({ workflowId, trigger: 'schedule' });
    expect(runs.items.map((r) => r.id)).toEqual([history.items[0]!.runs[0]!.id]);
  });
});

describe('bad input changes nothing', () => {
  // The call is a thunk started only after the rows are read: a call already in flight could be
  // refused while the rows are read, with nobody awaiting it yet (an unhandled rejection).
  async function expectRefused(workflowId: string, call: () => Promise<unknown>, paths: string[]) {
    const before = await scheduleRows(workflowId);
    await expectApiError(call(), 'BAD_REQUEST', { paths });
    expect(await scheduleRows(workflowId)).toEqual(before);
  }

  it('names the failing field of a create or update', async () => {
    const { client, workflowId } = await userWithWorkflow();
    const base = { workflowId, cron: '0 9 * * *', timezone: 'UTC', input: { topic: 'x' } };
    await expectRefused(workflowId, () => client.schedules.create.mutate({ ...base, cron: '0 25 * * *' }), [
      'cron',
    ]);
    const badCron = await expectApiError(
      client.schedules.create.mutate({ ...base, cron: 'every day' }),
      'BAD_REQUEST',
    );
    expect(badCron.message).toMatch(/^cron/);
    await expectRefused(
      workflowId,
      () => client.schedules.create.mutate({ ...base, timezone: 'Mars/Olympus_Mons' }),
      ['timezone'],
    );
    await expectRefused(workflowId, () => client.schedules.create.mutate({ ...base, input: {} }), [
      'input.topic',
    ]);
    await expectRefused(
      workflowId,
      () => client.schedules.create.mutate({ ...base, overlap: 'sometimes' as never }),
      ['overlap'],
    );
    await expectRefused(workflowId, () => client.schedules.create.mutate({ ...base, retryLimit: 11 }), [
      'retryLimit',
    ]);

    const schedule = await client.schedules.create.mutate(base);
    await expectRefused(
      workflowId,
      () => client.schedules.update.mutate({ id: schedule.id, cron: '* * *' }),
      ['cron'],
    );
    await expectRefused(
      workflowId,
      () => client.schedules.update.mutate({ id: schedule.id, timezone: 'Nowhere' }),
      ['timezone'],
    );
    await expectRefused(
      workflowId,
      () => client.schedules.update.mutate({ id: schedule.id, input: { topic: 3 } }),
      ['input.topic'],
    );
    expect(await scheduleRows(workflowId)).toEqual([
      { cron: '0 9 * * *', timezone: 'UTC', enabled: true, input: { topic: 'x' } },
    ]);
  });

  it("answers NOT_FOUND for another user's workflow or schedule", async () => {
    const a = await userWithWorkflow();
    const b = await userWithWorkflow();
    const schedule = await a.client.schedules.create.mutate({
      workflowId: a.workflowId,
      cron: '0 9 * * *',
      timezone: 'UTC',
      input: { topic: 'x' },
    });
    await expectApiError(
      b.client.schedules.create.mutate({ workflowId: a.workflowId, cron: '0 9 * * *', timezone: 'UTC' }),
      'NOT_FOUND',
    );
    await expectApiError(b.client.schedules.list.query({ workflowId: a.workflowId }), 'NOT_FOUND');
    await expectApiError(b.client.schedules.update.mutate({ id: schedule.id, enabled: false }), 'NOT_FOUND');
    await expectApiError(b.client.schedules.pause.mutate({ id: schedule.id }), 'NOT_FOUND');
    await expectApiError(b.client.schedules.delete.mutate({ id: schedule.id }), 'NOT_FOUND');
    await expectApiError(b.client.schedules.history.query({ id: schedule.id }), 'NOT_FOUND');
    expect(await scheduleRows(a.workflowId)).toEqual([
      { cron: '0 9 * * *', timezone: 'UTC', enabled: true, input: { topic: 'x' } },
    ]);
  });
});

describe('preview', () => {
  it('describes the cron and lists the next occurrences, showing DST shifts', async () => {
    const { client } = await api.signUp();
    const preview = await client.schedules.preview.query({
      cron: '30 2 * * *',
      timezone: 'America/New_York',
      count: 3,
      from: new Date('2026-03-06T12:00:00Z'),
    });
    expect(preview.description).toMatch(/02:30/);
    expect(preview.next).toEqual([
      new Date('2026-03-07T07:30:00Z'),
      new Date('2026-03-08T07:00:00Z'),
      new Date('2026-03-09T06:30:00Z'),
    ]);
    expect(preview.occurrences.map((o) => [o.local, o.utcOffsetMinutes, o.dstGap])).toEqual([
      ['2026-03-07 02:30', -300, false],
      ['2026-03-08 02:30', -240, true],
      ['2026-03-09 02:30', -240, false],
    ]);
    const defaults = await client.schedules.preview.query({ cron: '@daily', timezone: 'UTC' });
    expect(defaults.next).toHaveLength(5);
    expect(defaults.next[0]!.getTime()).toBeGreaterThan(Date.now() - 1000);
  });

  it('refuses a bad cron, an unknown time zone and more than 50 occurrences', async () => {
    const { client } = await api.signUp();
    await expectApiError(
      client.schedules.preview.query({ cron: '* * * *', timezone: 'UTC' }),
      'BAD_REQUEST',
      {
        paths: ['cron'],
      },
    );
    await expectApiError(
      client.schedules.preview.query({ cron: '* * * * *', timezone: 'Utopia/Nowhere' }),
      'BAD_REQUEST',
      {
        paths: ['timezone'],
      },
    );
    await expectApiError(
      client.schedules.preview.query({ cron: '* * * * *', timezone: 'UTC', count: 51 }),
      'BAD_REQUEST',
      {
        paths: ['count'],
      },
    );
  });
});
