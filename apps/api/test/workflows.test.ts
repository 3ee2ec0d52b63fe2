import { sampleWorkflowDefinition, type WorkflowDefinitionInput } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer({ bodyLimitBytes: 256 * 1024 });

const twoNodes = (): WorkflowDefinitionInput => ({
  nodes: [
    { id: 'a', type: 'input', name: 'A', position: { x: 0, y: 0 }, config: {} },
    { id: 'b', type: 'output', name: 'B', position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e1', source: 'a', target: 'b' }],
});

async function workflowRowCount() {
  const [row] = await api.database.sql<{ n: number }[]>`select count(*)::int as n from workflows`;
  return row!.n;
}

describe('workflows', () => {
  it('creates, reads, updates, clones and deletes a workflow, keeping the definition intact', async () => {
    const { client } = await api.signUp();
    const created = await client.workflows.create.mutate({
      name: 'Triage',
      description: 'd',
      definition: twoNodes(),
    });
    expect(created).toMatchObject({ name: 'Triage', description: 'd', category: '', tags: [] });
    expect(created.definition.nodes.map((n) => n.id)).toEqual(['a', 'b']);

    const updated = await client.workflows.update.mutate({
      id: created.id,
      name: 'Triage v2',
      category: 'ops',
    });
    expect(updated).toMatchObject({ name: 'Triage v2', category: 'ops' });
    expect(updated.definition).toEqual(created.definition);
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

    const tag = await client.tags.create.mutate({ name: 'Ops', color: '#22C55E' });
    expect(tag.color).toBe('#22c55e');
    await client.tags.attach.mutate({ workflowId: created.id, tagId: tag.id });
    const clone = await client.workflows.clone.mutate({ id: created.id });
    expect(clone.name).toBe('Triage v2 (copy)');
    expect(clone.id).not.toBe(created.id);
    expect(clone.definition).toEqual(created.definition);
    expect(clone.tags.map((t) => t.name)).toEqual(['Ops']);

    await client.workflows.delete.mutate({ id: created.id });
    await expectApiError(client.workflows.get.query({ id: created.id }), 'NOT_FOUND');
    expect((await client.workflows.get.query({ id: clone.id })).name).toBe('Triage v2 (copy)');
  });

  it('lists with search, tag filter and cursor pagination', async () => {
    const { client } = await api.signUp();
    const tag = await client.tags.create.mutate({ name: 'keep', color: '#000000' });
    for (let i = 0; i < 5; i++) {
      const wf = await client.workflows.create.mutate({ name: `Report ${i}` });
      if (i % 2 === 0) await client.tags.attach.mutate({ workflowId: wf.id, tagId: tag.id });
    }
    await client.workflows.create.mutate({ name: 'Other' });
    const first = await client.workflows.list.query({ search: 'report', limit: 2 });
    expect(first.items).toHaveLength(2);
    const second = await client.workflows.list.query({
      search: 'report',
      limit: 2,
      cursor: first.nextCursor!,
    });
    const third = await client.workflows.list.query({
      search: 'report',
      limit: 2,
      cursor: second.nextCursor!,
    });
    expect(third.nextCursor).toBeNull();
    const names = [...first.items, ...second.items, ...third.items].map((w) => w.name);
    expect(names.sort()).toEqual(['Report 0', 'Report 1', 'Report 2', 'Report 3', 'Report 4']);
    const tagged = await client.workflows.list.query({ tagIds: [tag.id] });
    expect(tagged.items.map((w) => w.name).sort()).toEqual(['Report 0', 'Report 2', 'Report 4']);
    await expectApiError(client.workflows.list.query({ cursor: 'not-a-cursor' }), 'BAD_REQUEST', {
      paths: ['cursor'],
    });
  });

  it('validates a definition and reports every problem by path without saving anything', async () => {
    const { client } = await api.signUp();
    expect(await client.workflows.validate.mutate({ definition: sampleWorkflowDefinition() })).toMatchObject({
      valid: true,
      issues: [],
    });
    const dangling = twoNodes();
    dangling.edges!.push({ id: 'e2', source: 'a', target: 'n9' });
    const result = await client.workflows.validate.mutate({ definition: dangling });
    expect(result).toMatchObject({
      valid: false,
      issues: [{ path: 'definition.edges[1].target', message: 'unknown node "n9"' }],
    });
  });

  it('reports config problems and unknown node types, yet still saves such a draft', async () => {
    const { client } = await api.signUp();
    const sample = sampleWorkflowDefinition();
    const researcher = sample.nodes.findIndex((n) => n.id === 'researcher');
    const { model: _model, ...withoutModel } = sample.nodes[researcher]!.config;
    sample.nodes[researcher] = { ...sample.nodes[researcher]!, config: withoutModel };
    sample.nodes.push({ id: 'odd', type: 'no-such-type', name: '', position: { x: 0, y: 0 }, config: {} });
    const result = await client.workflows.validate.mutate({ definition: sample });
    expect(result.valid).toBe(false);
    expect(result.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        `definition.nodes[${researcher}].config.model`,
        `definition.nodes[${sample.nodes.length - 1}].type`,
      ]),
    );
    // A draft is work in progress: structure is enforced on save, config only when it runs.
    const saved = await client.workflows.create.mutate({ name: 'draft', definition: sample });
    expect(saved.definition.nodes).toHaveLength(sample.nodes.length);
  });
});

/**
 * Sends a procedure call as raw JSON, bypassing the client's superjson (which itself refuses some
 * hostile shapes), to prove the server refuses them too. Returns the status and the error fields.
 */
async function postRaw(token: string, path: string, input: unknown, rawBody?: string) {
  const res = await fetch(`${api.url}/trpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: rawBody ?? JSON.stringify({ json: input }),
  });
  const body = (await res.json()) as {
    error?: { json?: ErrorBody } & Partial<ErrorBody>;
  };
  const error = body.error?.json ?? (body.error as ErrorBody | undefined);
  return {
    status: res.status,
    code: error?.data.code,
    message: error?.message ?? '',
    issues: error?.data.issues ?? [],
  };
}
type ErrorBody = {
  message: string;
  data: { code: string; issues: Array<{ path: string; message: string }> | null };
};

const nested = (depth: number) => {
  let deep: unknown = 'bottom';
  for (let i = 0; i < depth; i++) deep = { d: deep };
  return deep;
};

describe('bad definitions are refused with a path and change nothing', () => {
  const cases: Array<{ name: string; definition: () => unknown; path: string; message: RegExp }> = [
    {
      name: 'duplicate node ids',
      definition: () => ({ ...twoNodes(), nodes: [...twoNodes().nodes!, { id: 'a', type: 'agent' }] }),
      path: 'definition.nodes[2].id',
      message: /duplicate node id "a"/,
    },
    {
      name: 'duplicate edge ids',
      definition: () => ({
        ...twoNodes(),
        edges: [...twoNodes().edges!, { id: 'e1', source: 'b', target: 'a' }],
      }),
      path: 'definition.edges[1].id',
      message: /duplicate edge id "e1"/,
    },
    {
      name: 'a dangling edge',
      definition: () => ({ ...twoNodes(), edges: [{ id: 'e1', source: 'a', target: 'n9' }] }),
      path: 'definition.edges[0].target',
      message: /unknown node "n9"/,
    },
    {
      name: 'a cycle',
      definition: () => ({
        nodes: ['a', 'b', 'c'].map((id) => ({ id, type: 'agent' })),
        edges: [
          { id: 'ab', source: 'a', target: 'b' },
          { id: 'bc', source: 'b', target: 'c' },
          { id: 'ca', source: 'c', target: 'a' },
        ],
      }),
      path: 'definition.edges[2]',
      message: /cycle: "a" → "b" → "c" → "a"/,
    },
    {
      name: 'a missing node type',
      definition: () => ({ nodes: [{ id: 'a' }], edges: [] }),
      path: 'definition.nodes[0].type',
      message: /expected string/i,
    },
    {
      name: 'a config nested deeper than the limit',
      definition: () => ({ nodes: [{ id: 'a', type: 'agent', config: nested(100) }], edges: [] }),
      path: 'definition.nodes[0].config.d.d',
      message: /nested deeper than 64 levels/,
    },
    {
      name: 'a "constructor" key',
      definition: () => ({
        nodes: [{ id: 'a', type: 'agent', config: { constructor: { prototype: 1 } } }],
        edges: [],
      }),
      path: 'definition.nodes[0].config.constructor',
      message: /key "constructor" is not allowed/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      const { client, token } = await api.signUp();
      const before = await workflowRowCount();
      const created = await postRaw(token, 'workflows.create', { name: 'bad', definition: c.definition() });
      expect(created).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
      expect(created.message).toMatch(c.message);
      expect(created.issues[0]?.path.startsWith(c.path)).toBe(true);
      expect(await workflowRowCount()).toBe(before);

      // The same definition through update leaves the stored draft as it was.
      const existing = await client.workflows.create.mutate({ name: 'good', definition: twoNodes() });
      const updated = await postRaw(token, 'workflows.update', {
        id: existing.id,
        definition: c.definition(),
      });
      expect(updated).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
      expect((await client.workflows.get.query({ id: existing.id })).definition).toEqual(existing.definition);
    });
  }

  it('refuses 10,000-deep nesting before any code parses the body', async () => {
    const { token } = await api.signUp();
    const before = await workflowRowCount();
    // Written out by hand: JSON.stringify itself would overflow the stack on this.
    const config = `${'{"d":'.repeat(10_000)}"bottom"${'}'.repeat(10_000)}`;
    const body = `{"json":{"name":"deep","definition":{"nodes":[{"id":"a","type":"agent","config":${config}}],"edges":[]}}}`;
    const result = await postRaw(token, 'workflows.create', null, body);
    expect(result).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/nested too deeply/),
    });
    expect(await workflowRowCount()).toBe(before);
  });

  it('refuses a raw "__proto__" key before any code parses the body', async () => {
    const { token } = await api.signUp();
    const before = await workflowRowCount();
    const body = `{"json":{"name":"x","definition":{"nodes":[{"id":"a","type":"agent","config":{"__proto__":{"polluted":true}}}],"edges":[]}}}`;
    const result = await postRaw(token, 'workflows.create', null, body);
    expect(result).toMatchObject({
      status: 400,
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/__proto__/),
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await workflowRowCount()).toBe(before);
  });

  it('answers 413 to a body over the limit', async () => {
    const { token } = await api.signUp();
    const before = await workflowRowCount();
    const res = await fetch(`${api.url}/trpc/workflows.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ json: { name: 'big', description: 'x'.repeat(300 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(await workflowRowCount()).toBe(before);
  });
});

describe('tags', () => {
  it('creates, renames, recolours, deletes; refuses bad colours, duplicate names and unknown ids', async () => {
    const { client } = await api.signUp();
    const tag = await client.tags.create.mutate({ name: 'Prod', color: '#ff0000' });
    await expectApiError(client.tags.create.mutate({ name: 'prod', color: '#00ff00' }), 'CONFLICT', {
      message: /already exists/,
    });
    await expectApiError(client.tags.create.mutate({ name: 'x', color: 'red' }), 'BAD_REQUEST', {
      paths: ['color'],
    });
    await expectApiError(client.tags.create.mutate({ name: 'x', color: '#ff00' }), 'BAD_REQUEST', {
      paths: ['color'],
    });
    const renamed = await client.tags.update.mutate({ id: tag.id, name: 'Production', color: '#0000FF' });
    expect(renamed).toEqual({ id: tag.id, name: 'Production', color: '#0000ff' });

    const wf = await client.workflows.create.mutate({ name: 'w' });
    await expectApiError(
      client.tags.attach.mutate({ workflowId: wf.id, tagId: '00000000-0000-4000-8000-000000000000' }),
      'NOT_FOUND',
      { message: /tag not found/ },
    );
    await client.tags.attach.mutate({ workflowId: wf.id, tagId: tag.id });
    await client.tags.attach.mutate({ workflowId: wf.id, tagId: tag.id }); // attaching twice is harmless
    expect((await client.tags.list.query())[0]).toMatchObject({ name: 'Production', workflowCount: 1 });
    await client.tags.detach.mutate({ workflowId: wf.id, tagId: tag.id });
    expect((await client.workflows.get.query({ id: wf.id })).tags).toEqual([]);
    await client.tags.delete.mutate({ id: tag.id });
    expect(await client.tags.list.query()).toEqual([]);
  });
});

describe('health', () => {
  it('reports database and queue state without signing in', async () => {
    expect(await api.anonymous().health.query()).toEqual({ ok: true, db: true, queue: true });
    const res = await fetch(`${api.url}/healthz`);
    expect(res.status).toBe(200);
  });
});
