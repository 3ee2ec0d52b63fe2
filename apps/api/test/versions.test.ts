/**
 * Versions through the API against a real server, database, queue and runner: commit, list, get,
 * restore (history only grows), refusals that write nothing, tags (and moving them explicitly),
 * comparing versions and the draft, and runs pinned to a tagged version with their stats.
 */
import type { WorkflowDefinitionInput } from '@swarm/engine';
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer();
let runner: RunnerProcess | undefined;

beforeAll(async () => {
  runner = await spawnRunner(api.database.url);
}, 90_000);

afterAll(async () => {
  if (runner) await killRunners([runner]);
});

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

const definition = (prompt = 'Write about {{input.query}}'): WorkflowDefinitionInput => ({
  nodes: [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    {
      id: 'writer',
      type: 'agent',
      name: 'Writer',
      position: { x: 200, y: 0 },
      config: { role: 'writer', provider: 'mock', model: 'echo', prompt },
    },
    { id: 'output', type: 'output', name: 'Out', position: { x: 400, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'writer' },
    { id: 'e2', source: 'writer', target: 'output' },
  ],
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
});

async function versionRows(workflowId: string) {
  const [row] = await api.database.sql<{ n: number }[]>`
    select count(*)::int as n from workflow_versions where workflow_id = ${workflowId}`;
  return row!.n;
}

async function setDraft(client: Client, id: string, def: WorkflowDefinitionInput) {
  await client.workflows.update.mutate({ id, definition: def });
}

describe('versions', () => {
  it('commits, lists newest first, gets with the definition, and restores as a new version', async () => {
    const { client, user } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: definition('one') });
    const v1 = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: '  first  ' });
    expect(v1).toMatchObject({
      workflowId: workflow.id,
      number: 1,
      parentId: null,
      commitMessage: 'first',
      authorId: user.id,
      authorEmail: user.email,
      tags: [],
      runCount: 0,
    });
    await setDraft(client, workflow.id, definition('two'));
    const v2 = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'second' });
    expect(v2).toMatchObject({ number: 2, parentId: v1.id });

    const list = await client.versions.list.query({ workflowId: workflow.id });
    expect(list.items.map((v) => [v.number, v.commitMessage])).toEqual([
      [2, 'second'],
      [1, 'first'],
    ]);
    expect(list.nextCursor).toBeNull();
    expect(list.items[0]).not.toHaveProperty('definition');
    const got = await client.versions.get.query({ versionId: v1.id });
    expect(got.definition.nodes.find((n) => n.id === 'writer')?.config.prompt).toBe('one');

    const restored = await client.versions.restore.mutate({ workflowId: workflow.id, versionId: v1.id });
    expect(restored).toMatchObject({ number: 3, parentId: v2.id, commitMessage: 'Restore v1' });
    expect(restored.definition).toEqual(got.definition);
    const draft = await client.workflows.get.query({ id: workflow.id });
    expect(draft.definition).toEqual(got.definition);
    // History intact: v1 and v2 are as they were.
    expect((await client.versions.get.query({ versionId: v2.id })).definition.nodes[1]?.config.prompt).toBe(
      'two',
    );
    expect(await versionRows(workflow.id)).toBe(3);
  });

  it('refuses an empty message and a commit identical to the head, writing nothing', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: definition() });
    await expectApiError(
      client.versions.create.mutate({ workflowId: workflow.id, commitMessage: '   ' }),
      'BAD_REQUEST',
      { paths: ['commitMessage'] },
    );
    expect(await versionRows(workflow.id)).toBe(0);
    await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'first' });
    await expectApiError(
      client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'same again' }),
      'CONFLICT',
      { message: /nothing to commit: the draft equals v1/ },
    );
    expect(await versionRows(workflow.id)).toBe(1);
    await setDraft(client, workflow.id, definition('other'));
    await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'v2' });
    await expectApiError(
      client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'again' }),
      'CONFLICT',
      { message: /nothing to commit: the draft equals v2/ },
    );
    expect(await versionRows(workflow.id)).toBe(2);
  });

  it('gives concurrent commits distinct consecutive numbers', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: definition() });
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, async (_, i) => {
        await setDraft(client, workflow.id, definition(`round ${i}`));
        return client.versions.create.mutate({ workflowId: workflow.id, commitMessage: `round ${i}` });
      }),
    );
    const numbers = results
      .flatMap((r) => (r.status === 'fulfilled' ? [r.value.number] : []))
      .sort((a, b) => a - b);
    expect(numbers.length).toBeGreaterThan(0);
    expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    expect(await versionRows(workflow.id)).toBe(numbers.length);
  });

  it('tags a version; a tag names one version; moving it must be explicit; untag', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: definition('one') });
    const v1 = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'one' });
    await setDraft(client, workflow.id, definition('two'));
    const v2 = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'two' });

    expect((await client.versions.tag.mutate({ versionId: v1.id, tag: 'production' })).tags).toEqual([
      'production',
    ]);
    expect((await client.versions.tag.mutate({ versionId: v1.id, tag: 'v1.0' })).tags).toEqual([
      'production',
      'v1.0',
    ]);
    await expectApiError(client.versions.tag.mutate({ versionId: v2.id, tag: 'bad tag!' }), 'BAD_REQUEST', {
      paths: ['tag'],
    });
    await expectApiError(client.versions.tag.mutate({ versionId: v2.id, tag: 'production' }), 'CONFLICT', {
      message: /tag production is on v1; untag it first/,
    });
    expect((await client.versions.get.query({ versionId: v2.id })).tags).toEqual([]);

    const moved = await client.versions.tag.mutate({ versionId: v2.id, tag: 'production', move: true });
    expect(moved.tags).toEqual(['production']);
    expect((await client.versions.get.query({ versionId: v1.id })).tags).toEqual(['v1.0']);

    await expectApiError(client.versions.untag.mutate({ versionId: v1.id, tag: 'production' }), 'NOT_FOUND');
    expect((await client.versions.untag.mutate({ versionId: v2.id, tag: 'production' })).tags).toEqual([]);
    const list = await client.versions.list.query({ workflowId: workflow.id });
    expect(list.items.map((v) => v.tags)).toEqual([[], ['v1.0']]);
  });

  it('compares versions and the draft by id: rename, move, prompt edit, added branch', async () => {
    const { client } = await api.signUp();
    const base = definition('one');
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: base });
    const v1 = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'base' });

    const edited = definition('two');
    edited.nodes![1]!.name = 'Author';
    edited.nodes![2]!.position = { x: 600, y: 50 };
    edited.nodes!.push({
      id: 'critic',
      type: 'agent',
      name: 'Critic',
      position: { x: 200, y: 200 },
      config: { role: 'critic', provider: 'mock', model: 'echo', prompt: 'Critique' },
    });
    edited.edges!.push({ id: 'e3', source: 'input', target: 'critic' });
    await setDraft(client, workflow.id, edited);

    const { summary, delta } = await client.versions.compare.query({
      workflowId: workflow.id,
      from: v1.id,
      to: 'draft',
    });
    expect(summary.nodes.modified).toEqual([
      { id: 'writer', type: 'agent', name: 'Author', fields: ['name', 'config.prompt'] },
    ]);
    expect(summary.nodes.moved.map((n) => n.id)).toEqual(['output']);
    expect(summary.nodes.added.map((n) => n.id)).toEqual(['critic']);
    expect(summary.agents.added.map((n) => n.id)).toEqual(['critic']);
    expect(summary.edges.added.map((e) => e.id)).toEqual(['e3']);
    expect(delta).toHaveProperty('nodes');

    const same = await client.versions.compare.query({ workflowId: workflow.id, from: v1.id, to: v1.id });
    expect(same).toMatchObject({ summary: { identical: true }, delta: null });

    // What the compare page reads: the same summary, and each side's definition and version.
    const sides = await client.versions.compareSides.query({
      workflowId: workflow.id,
      from: v1.id,
      to: 'draft',
    });
    expect(sides.summary).toEqual(summary);
    expect(sides.from.version).toEqual({ id: v1.id, number: 1, commitMessage: v1.commitMessage });
    expect(sides.from.definition).toEqual((await client.versions.get.query({ versionId: v1.id })).definition);
    expect(sides.to.version).toBeNull();
    expect(sides.to.definition).toEqual((await client.workflows.get.query({ id: workflow.id })).definition);
  });

  it('runs a tagged version (its definition, its id); without a pin runs the draft; stats follow', async () => {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: definition('pinned') });
    const v1 = await client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'one' });
    await client.versions.tag.mutate({ versionId: v1.id, tag: 'production' });
    await setDraft(client, workflow.id, definition('draft'));

    const pinned = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'tides' },
      versionTag: 'production',
    });
    const byId = await client.runs.start.mutate({
      workflowId: workflow.id,
      input: { query: 'tides' },
      versionId: v1.id,
    });
    const draft = await client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'tides' } });
    const done = async (id: string) => {
      await expect
        .poll(async () => (await client.runs.get.query({ id })).status, { timeout: 30_000, interval: 50 })
        .toMatch(/^(succeeded|failed|cancelled)$/);
      return client.runs.get.query({ id });
    };
    const [runP, runI, runD] = [
      await done(pinned.executionId),
      await done(byId.executionId),
      await done(draft.executionId),
    ];
    expect(runP).toMatchObject({ versionId: v1.id, status: 'succeeded' });
    expect(runP.definition.nodes[1]?.config.prompt).toBe('pinned');
    expect(runI).toMatchObject({ versionId: v1.id, status: 'succeeded' });
    expect(runD).toMatchObject({ versionId: null });
    expect(runD.definition.nodes[1]?.config.prompt).toBe('draft');

    const [listed] = (await client.versions.list.query({ workflowId: workflow.id })).items;
    expect(listed).toMatchObject({ id: v1.id, runCount: 2, successRate: 1 });
    expect(listed!.avgDurationMs).toEqual(expect.any(Number));
  });

  it('with settings.autoCommitOnRun, a run commits a changed draft and pins it', async () => {
    const { client } = await api.signUp();
    const auto = (prompt: string) => ({ ...definition(prompt), settings: { autoCommitOnRun: true } });
    const workflow = await client.workflows.create.mutate({ name: 'W', definition: auto('one') });
    const start = () => client.runs.start.mutate({ workflowId: workflow.id, input: { query: 'x' } });
    const versionOf = async (id: string) => (await client.runs.get.query({ id })).versionId;

    const first = await start();
    const [v1] = (await client.versions.list.query({ workflowId: workflow.id })).items;
    expect(v1).toMatchObject({ number: 1, commitMessage: 'Auto-commit before run' });
    expect(await versionOf(first.executionId)).toBe(v1!.id);

    const unchanged = await start();
    expect(await versionOf(unchanged.executionId)).toBe(v1!.id);
    expect(await versionRows(workflow.id)).toBe(1);

    await setDraft(client, workflow.id, auto('two'));
    const changed = await start();
    const [v2] = (await client.versions.list.query({ workflowId: workflow.id })).items;
    expect(v2).toMatchObject({ number: 2, parentId: v1!.id });
    expect(await versionOf(changed.executionId)).toBe(v2!.id);
    for (const { executionId } of [first, unchanged, changed])
      await expect
        .poll(async () => (await client.runs.get.query({ id: executionId })).status, {
          timeout: 30_000,
          interval: 50,
        })
        .toBe('succeeded');
  });

  it('gives another user NOT_FOUND for a version, its tag and its workflow', async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const workflow = await a.client.workflows.create.mutate({ name: 'W', definition: definition() });
    const v1 = await a.client.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'one' });
    await a.client.versions.tag.mutate({ versionId: v1.id, tag: 'production' });
    const bWorkflow = await b.client.workflows.create.mutate({ name: 'B', definition: definition() });
    await expectApiError(b.client.versions.get.query({ versionId: v1.id }), 'NOT_FOUND');
    await expectApiError(b.client.versions.list.query({ workflowId: workflow.id }), 'NOT_FOUND');
    await expectApiError(
      b.client.versions.restore.mutate({ workflowId: bWorkflow.id, versionId: v1.id }),
      'NOT_FOUND',
    );
    await expectApiError(
      b.client.versions.compare.query({ workflowId: bWorkflow.id, from: v1.id, to: 'draft' }),
      'NOT_FOUND',
    );
    await expectApiError(
      b.client.versions.compare.query({ workflowId: workflow.id, from: v1.id, to: v1.id }),
      'NOT_FOUND',
    );
    // A version of the caller's other workflow is not a side of this one.
    const aOther = await a.client.workflows.create.mutate({ name: 'W2', definition: definition() });
    await expectApiError(
      a.client.versions.compare.query({ workflowId: aOther.id, from: v1.id, to: 'draft' }),
      'NOT_FOUND',
    );
    await expectApiError(
      a.client.versions.compareSides.query({ workflowId: aOther.id, from: 'draft', to: v1.id }),
      'NOT_FOUND',
    );
    await expectApiError(
      b.client.runs.start.mutate({ workflowId: bWorkflow.id, input: {}, versionId: v1.id }),
      'NOT_FOUND',
    );
    await expectApiError(
      b.client.runs.start.mutate({ workflowId: bWorkflow.id, input: {}, versionTag: 'production' }),
      'NOT_FOUND',
    );
    await expectApiError(
      b.client.versions.untag.mutate({ versionId: v1.id, tag: 'production' }),
      'NOT_FOUND',
    );
    expect((await a.client.versions.get.query({ versionId: v1.id })).tags).toEqual(['production']);
  });
});
