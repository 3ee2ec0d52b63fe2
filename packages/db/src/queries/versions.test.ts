import { sampleWorkflowDefinition } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/vitest.ts';
import { createUser } from './users.ts';
import { commitVersion, getVersion, listVersions, resolveRunVersion, tagVersion } from './versions.ts';
import { createWorkflow, updateWorkflow } from './workflows.ts';

const database = useTestDatabase();

async function someWorkflow(email: string) {
  const user = await createUser(database.db, { email, name: 'Ada', passwordHash: 'x' });
  const workflow = await createWorkflow(database.db, user.id, {
    name: 'wf',
    definition: sampleWorkflowDefinition(),
  });
  return { user, workflow };
}

async function versionCount(workflowId: string) {
  const [row] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from workflow_versions where workflow_id = ${workflowId}`;
  return row!.n;
}

describe('versions', () => {
  it('commits concurrently with distinct consecutive numbers, each on top of the one before', async () => {
    const { user, workflow } = await someWorkflow('race@example.com');
    // Each draft change races its commit against the others; a commit snapshots whatever the draft
    // is when it takes the workflow lock (so one may find nothing new to commit).
    const commits = Array.from({ length: 6 }, async (_, i) => {
      const definition = { ...sampleWorkflowDefinition(), settings: { round: i } };
      await updateWorkflow(database.db, user.id, workflow.id, { definition });
      return commitVersion(database.db, user.id, workflow.id, `round ${i}`);
    });
    const settled = await Promise.allSettled(commits);
    const committed = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    expect(committed.length).toBeGreaterThan(0);
    const numbers = committed.map((v) => v.number).sort((a, b) => a - b);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    for (const s of settled)
      if (s.status === 'rejected') expect(String(s.reason)).toMatch(/nothing to commit/);
    const { items } = await listVersions(database.db, user.id, workflow.id);
    for (const version of items) {
      const parent = items.find((v) => v.number === version.number - 1);
      expect(version.parentId).toBe(parent?.id ?? null);
    }
  });

  it('runs many commits at once on an unchanged draft: exactly one is written', async () => {
    const { user, workflow } = await someWorkflow('noop@example.com');
    const settled = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => commitVersion(database.db, user.id, workflow.id, `try ${i}`)),
    );
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    expect(await versionCount(workflow.id)).toBe(1);
  });

  it('computes stats from the runs of each version and pages newest first', async () => {
    const { user, workflow } = await someWorkflow('stats@example.com');
    const v1 = await commitVersion(database.db, user.id, workflow.id, 'first');
    await updateWorkflow(database.db, user.id, workflow.id, {
      definition: { ...sampleWorkflowDefinition(), settings: { x: 1 } },
    });
    const v2 = await commitVersion(database.db, user.id, workflow.id, 'second');
    const run = (status: string, durationMs: number | null) => database.sql`
      insert into executions (workflow_id, owner_id, version_id, definition, trigger, status, input,
        started_at, finished_at, duration_ms)
      values (${workflow.id}, ${user.id}, ${v1.id}, '{"nodes":[],"edges":[]}'::jsonb, 'manual', ${status},
        '{}'::jsonb, now(), ${status === 'running' ? null : new Date().toISOString()}::timestamptz, ${durationMs})`;
    await run('succeeded', 100);
    await run('succeeded', 300);
    await run('failed', 200);
    await run('running', null);

    const first = await listVersions(database.db, user.id, workflow.id, { limit: 1 });
    expect(first.items.map((v) => v.number)).toEqual([2]);
    expect(first.items[0]).toMatchObject({ runCount: 0, successRate: null, avgDurationMs: null });
    const second = await listVersions(database.db, user.id, workflow.id, { cursor: first.nextCursor });
    expect(second.nextCursor).toBeNull();
    expect(second.items[0]).toMatchObject({
      id: v1.id,
      runCount: 4,
      successRate: 2 / 3,
      avgDurationMs: 200,
      authorEmail: 'stats@example.com',
      authorName: 'Ada',
    });
    expect((await getVersion(database.db, user.id, v2.id)).parentId).toBe(v1.id);
  });

  it('resolves a run pin by tag only within the workflow and owner', async () => {
    const { user, workflow } = await someWorkflow('pin@example.com');
    const other = await someWorkflow('pin-other@example.com');
    const v1 = await commitVersion(database.db, user.id, workflow.id, 'first');
    await tagVersion(database.db, user.id, v1.id, 'production');
    expect(
      (await resolveRunVersion(database.db, user.id, workflow.id, { versionTag: 'production' })).id,
    ).toBe(v1.id);
    await expect(
      resolveRunVersion(database.db, other.user.id, workflow.id, { versionTag: 'production' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(
      resolveRunVersion(database.db, user.id, workflow.id, { versionTag: 'staging' }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
