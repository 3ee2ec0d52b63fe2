import {
  type ExportDocument,
  readZipEntries,
  type WorkflowDefinition,
  zipEntries as zipSync,
} from '@swarm/engine';

const strToU8 = (text: string) => new TextEncoder().encode(text);

import { generateSecretKey } from '@swarm/providers/store';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

// With a secret key, so webhooks (encrypted secrets) can be created and imported.
const api = useApiServer({ secretKey: generateSecretKey() });

function everyNodeType(): WorkflowDefinition {
  return {
    nodes: [
      { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
      {
        id: 'ask',
        type: 'agent',
        name: 'Ask',
        position: { x: 200, y: 0 },
        config: { role: 'asker', provider: 'mock', model: 'echo', prompt: 'Q: {{input.query}}' },
      },
      {
        id: 'check',
        type: 'condition',
        name: 'Check',
        position: { x: 400, y: 0 },
        config: { expression: '$length(nodes.ask.output) > 3' },
      },
      {
        id: 'shape',
        type: 'transform',
        name: 'Shape',
        position: { x: 600, y: -100 },
        config: { expression: '{ "text": nodes.ask.output }' },
      },
      {
        id: 'call',
        type: 'http',
        name: 'Call',
        position: { x: 600, y: 100 },
        config: { method: 'POST', url: 'https://example.com/hook', body: { text: '{{nodes.ask.output}}' } },
      },
      { id: 'join', type: 'merge', name: 'Join', position: { x: 800, y: 0 }, config: {} },
      { id: 'out', type: 'output', name: 'Out', position: { x: 1000, y: 0 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 'in', target: 'ask' },
      { id: 'e2', source: 'ask', target: 'check' },
      { id: 'e3', source: 'check', target: 'shape', sourceHandle: 'true' },
      { id: 'e4', source: 'check', target: 'call', sourceHandle: 'false' },
      { id: 'e5', source: 'shape', target: 'join' },
      { id: 'e6', source: 'call', target: 'join' },
      { id: 'e7', source: 'join', target: 'out' },
    ],
    inputSchema: { type: 'object', properties: { query: { type: 'string' } } },
  };
}

/** Ids replaced by node order, so definitions compare "ids aside". */
function canonical(def: WorkflowDefinition) {
  const index = new Map(def.nodes.map((n, i) => [n.id, `#${i}`]));
  let text = JSON.stringify({
    nodes: def.nodes.map((n) => ({ ...n, id: index.get(n.id) })),
    edges: def.edges.map((e) => ({
      ...e,
      id: undefined,
      source: index.get(e.source),
      target: index.get(e.target),
    })),
    inputSchema: def.inputSchema,
  });
  for (const [id, i] of index) text = text.replaceAll(`nodes.${id}.`, `nodes.${i}.`);
  return JSON.parse(text);
}

async function counts() {
  const [row] = await api.database.sql<{ workflows: number; tags: number; links: number }[]>`
    select (select count(*)::int from workflows) as workflows,
           (select count(*)::int from tags) as tags,
           (select count(*)::int from workflow_tags) as links`;
  return row!;
}

function http(
  path: string,
  init: { method?: string; token?: string; body?: string | Uint8Array; type?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.type) headers['content-type'] = init.type;
  return fetch(`${api.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
}

const importJson = (token: string, body: unknown, query = '') =>
  http(`/api/workflows/import${query}`, {
    method: 'POST',
    token,
    type: 'application/json',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const importZip = (token: string, bytes: Uint8Array, query = '') =>
  http(`/api/workflows/import${query}`, { method: 'POST', token, type: 'application/zip', body: bytes });

async function seedWorkflow(client: Awaited<ReturnType<typeof api.signUp>>['client'], name = 'Every node') {
  const wf = await client.workflows.create.mutate({
    name,
    description: 'all types',
    category: 'qa',
    definition: everyNodeType(),
  });
  const tag = await client.tags.create.mutate({ name: 'Ops', color: '#22c55e' });
  await client.tags.attach.mutate({ workflowId: wf.id, tagId: tag.id });
  return { wf, tag };
}

describe('export', () => {
  it('exports a document over tRPC and as a JSON download over HTTP', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client, 'Triage: "bot" / v2');
    const doc = await client.transfer.export.query({ workflowId: wf.id });
    expect(doc).toMatchObject({
      version: '1.0',
      metadata: {
        name: 'Triage: "bot" / v2',
        description: 'all types',
        category: 'qa',
        author: user.email,
        tags: ['Ops'],
      },
      agents: [{ nodeId: 'ask', role: 'asker', provider: 'mock', model: 'echo' }],
      inputSchema: { type: 'object' },
    });
    expect(doc.workflow.nodes.map((n) => n.id)).toEqual([
      'in',
      'ask',
      'check',
      'shape',
      'call',
      'join',
      'out',
    ]);

    const res = await http(`/api/workflows/${wf.id}/export`, { token });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="triage-bot-v2.json"');
    const body = (await res.json()) as ExportDocument;
    expect(body.workflow).toEqual(doc.workflow);
  });

  it('includes execution summaries (never their data) and empty schedules/webhooks on request', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client);
    await api.database.sql`
      insert into executions (workflow_id, owner_id, definition, trigger, status, input, started_at, finished_at, duration_ms)
      values (${wf.id}, ${user.id}, '{"nodes":[],"edges":[]}'::jsonb, 'api', 'succeeded', '{"secret":"run-input-xyz"}'::jsonb,
              now(), now(), 5)`;
    const res = await http(`/api/workflows/${wf.id}/export?executions=true&schedules=1&webhooks=true`, {
      token,
    });
    const text = await res.text();
    expect(text).not.toContain('run-input-xyz');
    const doc = JSON.parse(text) as ExportDocument;
    expect(doc.executions).toEqual([
      expect.objectContaining({ status: 'succeeded', trigger: 'api', costMicros: 0 }),
    ]);
    expect(doc).toMatchObject({ schedules: [], webhooks: [] });
  });

  it('exports schedules and webhooks without secrets; importing recreates them disabled, webhooks with new secrets', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client);
    await client.schedules.create.mutate({
      workflowId: wf.id,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      input: { query: 'news' },
      overlap: 'queue-one',
      missed: 'all',
      missedWindowSeconds: 3600,
      retryLimit: 3,
      retryDelaySeconds: 30,
    });
    const hook = await client.webhooks.create.mutate({
      workflowId: wf.id,
      auth: 'signature',
      rateLimitPerHour: 10,
      ipAllowlist: ['10.0.0.0/8'],
    });

    const plain = await client.transfer.export.query({ workflowId: wf.id });
    expect(plain).not.toHaveProperty('schedules');
    expect(plain).not.toHaveProperty('webhooks');

    const res = await http(`/api/workflows/${wf.id}/export?schedules=true&webhooks=true`, { token });
    const text = await res.text();
    const [stored] = await api.database.sql<{ secret: string }[]>`
      select secret from workflow_webhooks where id = ${hook.id}`;
    for (const secret of [hook.secret, stored!.secret, hook.id]) expect(text).not.toContain(secret);
    const doc = JSON.parse(text) as ExportDocument;
    expect(doc.schedules).toEqual([
      {
        cron: '0 9 * * 1-5',
        timezone: 'Europe/Berlin',
        enabled: true,
        input: { query: 'news' },
        versionTag: null,
        overlap: 'queue-one',
        missed: 'all',
        missedWindowSeconds: 3600,
        retryLimit: 3,
        retryDelaySeconds: 30,
      },
    ]);
    expect(doc.webhooks).toEqual([
      {
        auth: 'signature',
        enabled: true,
        rateLimitPerHour: 10,
        ipAllowlist: ['10.0.0.0/8'],
        mapping: null,
        versionTag: null,
      },
    ]);

    const imported = await client.transfer.import.mutate({ document: doc, mode: 'new' });
    const copyId = imported.workflowIds[0]!;
    expect(imported.warnings.map((w) => w.path)).toEqual(expect.arrayContaining(['schedules', 'webhooks']));
    const [schedule] = (await client.schedules.list.query({ workflowId: copyId })).items;
    expect(schedule).toMatchObject({
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      enabled: false,
      nextFireAt: null,
      input: { query: 'news' },
      overlap: 'queue-one',
      missed: 'all',
      retryLimit: 3,
    });
    const webhooks = await api.database.sql<
      {
        id: string;
        owner_id: string;
        enabled: boolean;
        rate_limit_per_hour: number;
        ip_allowlist: string[];
        secret: string;
      }[]
    >`select id, owner_id, enabled, rate_limit_per_hour, ip_allowlist, secret from workflow_webhooks where workflow_id = ${copyId}`;
    expect(webhooks).toHaveLength(1);
    expect(webhooks[0]).toMatchObject({
      owner_id: user.id,
      enabled: false,
      rate_limit_per_hour: 10,
      ip_allowlist: ['10.0.0.0/8'],
    });
    expect(webhooks[0]!.secret).not.toBe(stored!.secret);
    // The owner gets a usable secret by regenerating it.
    const { secret } = await client.webhooks.regenerateSecret.mutate({
      id: webhooks[0]!.id,
      graceSeconds: 0,
    });
    expect(secret).toMatch(/^whsec_/);
    // The original's schedule and webhook are untouched.
    expect((await client.schedules.list.query({ workflowId: wf.id })).items[0]).toMatchObject({
      enabled: true,
    });
  });

  it('refuses an imported schedule with a bad cron, naming its path, and writes nothing', async () => {
    const { client } = await api.signUp();
    const { wf } = await seedWorkflow(client);
    const doc = await client.transfer.export.query({ workflowId: wf.id, include: { schedules: true } });
    const before = await client.workflows.list.query({});
    await expectApiError(
      client.transfer.import.mutate({
        document: { ...doc, schedules: [{ cron: 'every day', timezone: 'UTC' }] } as never,
        mode: 'new',
      }),
      'BAD_REQUEST',
      { paths: ['schedules[0].cron'] },
    );
    expect((await client.workflows.list.query({})).items.length).toBe(before.items.length);
  });

  it('anonymises: no name, email or ids, references renumbered consistently', async () => {
    const { client, token, user } = await api.signUp();
    const { wf } = await seedWorkflow(client, 'Secret project');
    const res = await http(`/api/workflows/${wf.id}/export?anonymize=true&executions=true`, { token });
    const text = await res.text();
    for (const secret of [user.email, 'Secret project', wf.id, '"ask"']) expect(text).not.toContain(secret);
    const doc = JSON.parse(text) as ExportDocument;
    expect(doc.workflow.nodes[2]!.config.expression).toBe('$length(nodes.`node-2`.output) > 3');
    expect(doc).not.toHaveProperty('executions');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="workflow-template.json"');
  });

  it('refuses anonymous callers (401) and gives B NOT_FOUND for A’s workflow', async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const { wf } = await seedWorkflow(a.client);
    expect((await http(`/api/workflows/${wf.id}/export`)).status).toBe(401);
    expect((await http(`/api/workflows/${wf.id}/export`, { token: 'swarm_not-a-token' })).status).toBe(401);
    const res = await http(`/api/workflows/${wf.id}/export`, { token: b.token });
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('Every node');
    await expectApiError(b.client.transfer.export.query({ workflowId: wf.id }), 'NOT_FOUND');
    expect((await http('/api/workflows/not-a-uuid/export', { token: b.token })).status).toBe(400);
    const bulk = await http('/api/workflows/bulk-export', {
      method: 'POST',
      token: b.token,
      type: 'application/json',
      body: JSON.stringify({ workflowIds: [wf.id] }),
    });
    expect(bulk.status).toBe(404);
    expect(
      (await http('/api/workflows/bulk-export', { method: 'POST', type: 'application/json', body: '{}' }))
        .status,
    ).toBe(401);
    expect((await importJson('', {})).status).toBe(401);
  });

  it('bulk-exports a ZIP with one safely named JSON per workflow, which imports back', async () => {
    const { client, token } = await api.signUp();
    const one = await client.workflows.create.mutate({ name: 'Report', definition: everyNodeType() });
    const two = await client.workflows.create.mutate({ name: 'report' });
    const three = await client.workflows.create.mutate({ name: '../../etc/passwd' });
    const res = await http('/api/workflows/bulk-export', {
      method: 'POST',
      token,
      type: 'application/json',
      body: JSON.stringify({ workflowIds: [one.id, two.id, three.id] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const bytes = new Uint8Array(await res.arrayBuffer());
    const entries = readZipEntries(bytes);
    expect(entries.map((e) => e.name)).toEqual(['etc-passwd.json', 'report-2.json', 'report.json']);

    const before = await counts();
    const imported = await importZip(token, bytes, '?onConflict=rename');
    expect(imported.status).toBe(200);
    const result = (await imported.json()) as { workflowIds: string[] };
    expect(result.workflowIds).toHaveLength(3);
    expect((await counts()).workflows).toBe(before.workflows + 3);
    const names = (await client.workflows.list.query({})).items.map((w) => w.name).sort();
    expect(names).toEqual(
      ['../../etc/passwd', '../../etc/passwd (2)', 'Report', 'Report (3)', 'report', 'report (2)'].sort(),
    );
  });
});

describe('import', () => {
  it('round-trips every built-in node type to an equal definition with fresh ids, matching tags by name', async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const { wf } = await seedWorkflow(a.client);
    const doc = await a.client.transfer.export.query({ workflowId: wf.id });
    const bTag = await b.client.tags.create.mutate({ name: 'OPS', color: '#000000' });
    const result = await b.client.transfer.import.mutate({ document: doc, mode: 'new' });
    expect(result.warnings).toEqual([]);
    const copy = await b.client.workflows.get.query({ id: result.workflowIds[0]! });
    expect(copy.name).toBe('Every node');
    expect(copy.tags.map((t) => t.id)).toEqual([bTag.id]);
    expect(copy.definition.nodes.some((n) => ['in', 'ask', 'check'].includes(n.id))).toBe(false);
    expect(canonical(copy.definition)).toEqual(canonical(everyNodeType()));
    const validation = await b.client.workflows.validate.mutate({ definition: copy.definition });
    expect(validation.valid).toBe(true);
    expect((await b.client.tags.list.query()).map((t) => t.name)).toEqual(['OPS']);
  });

  it('creates missing tags, lays out nodes without positions, and warns about unrunnable configs', async () => {
    const { client } = await api.signUp();
    const result = await client.transfer.import.mutate({
      mode: 'new',
      document: {
        version: '1.0',
        metadata: { name: 'Sketch', tags: ['Fresh'] },
        workflow: {
          nodes: [
            { id: 'a', type: 'input' },
            { id: 'b', type: 'agent', config: { provider: 'mock' } },
          ],
          edges: [{ id: 'e', source: 'a', target: 'b' }],
        },
      },
    });
    expect(result.warnings.map((w) => w.path)).toContain('workflow.nodes[1].config.model');
    const wf = await client.workflows.get.query({ id: result.workflowIds[0]! });
    expect(wf.tags.map((t) => t.name)).toEqual(['Fresh']);
    const [first, second] = wf.definition.nodes;
    expect(first!.position.x).toBeLessThan(second!.position.x);
  });

  it('resolves name clashes: skip warns, rename numbers, overwrite replaces that draft', async () => {
    const { client } = await api.signUp();
    const existing = await client.workflows.create.mutate({ name: 'Clash' });
    const doc = await client.transfer.export.query({
      workflowId: (await client.workflows.create.mutate({ name: 'Source', definition: everyNodeType() })).id,
    });
    const clashing = { ...doc, metadata: { ...doc.metadata, name: 'clash' } };

    const before = await counts();
    const skipped = await client.transfer.import.mutate({
      document: clashing,
      mode: 'new',
      onConflict: 'skip',
    });
    expect(skipped.workflowIds).toEqual([]);
    expect(skipped.warnings).toEqual([
      { path: 'metadata.name', message: 'skipped: you already have a workflow named "clash"' },
    ]);
    expect((await counts()).workflows).toBe(before.workflows);

    const renamed = await client.transfer.import.mutate({
      document: clashing,
      mode: 'new',
      onConflict: 'rename',
    });
    expect((await client.workflows.get.query({ id: renamed.workflowIds[0]! })).name).toBe('clash (2)');
    const again = await client.transfer.import.mutate({ document: clashing, mode: 'new' });
    expect((await client.workflows.get.query({ id: again.workflowIds[0]! })).name).toBe('clash (3)');

    const overwritten = await client.transfer.import.mutate({
      document: clashing,
      mode: 'new',
      onConflict: 'overwrite',
    });
    expect(overwritten.workflowIds).toEqual([existing.id]);
    const wf = await client.workflows.get.query({ id: existing.id });
    expect(wf.name).toBe('Clash');
    expect(canonical(wf.definition)).toEqual(canonical(everyNodeType()));
  });

  it('replaces or merges into a target the caller owns; another user’s target is NOT_FOUND', async () => {
    const a = await api.signUp();
    const b = await api.signUp();
    const target = await a.client.workflows.create.mutate({ name: 'Target', definition: everyNodeType() });
    const small = {
      version: '1.0' as const,
      metadata: { name: 'Small' },
      workflow: {
        nodes: [
          { id: 'in', type: 'input', position: { x: 0, y: 0 } },
          { id: 'out', type: 'output', position: { x: 200, y: 0 } },
        ],
        edges: [{ id: 'e1', source: 'in', target: 'out' }],
      },
    };
    const merged = await a.client.transfer.import.mutate({
      document: small,
      mode: 'merge',
      targetWorkflowId: target.id,
    });
    expect(merged.workflowIds).toEqual([target.id]);
    const afterMerge = await a.client.workflows.get.query({ id: target.id });
    expect(afterMerge.definition.nodes).toHaveLength(9);
    expect(afterMerge.definition.edges).toHaveLength(8);
    expect(new Set(afterMerge.definition.nodes.map((n) => n.id)).size).toBe(9);

    await a.client.transfer.import.mutate({ document: small, mode: 'replace', targetWorkflowId: target.id });
    const afterReplace = await a.client.workflows.get.query({ id: target.id });
    expect(afterReplace.definition.nodes.map((n) => n.type)).toEqual(['input', 'output']);
    expect(afterReplace.name).toBe('Target');

    const before = await counts();
    for (const mode of ['replace', 'merge'] as const) {
      await expectApiError(
        b.client.transfer.import.mutate({ document: small, mode, targetWorkflowId: target.id }),
        'NOT_FOUND',
      );
      const res = await importJson(b.token, small, `?mode=${mode}&targetWorkflowId=${target.id}`);
      expect(res.status).toBe(404);
    }
    await expectApiError(
      a.client.transfer.import.mutate({ document: small, mode: 'replace' }),
      'BAD_REQUEST',
      {
        paths: ['targetWorkflowId'],
      },
    );
    expect(await counts()).toEqual(before);
    expect((await a.client.workflows.get.query({ id: target.id })).definition).toEqual(
      afterReplace.definition,
    );
  });
});

describe('hostile imports: refused with a clear error, nothing written, server unharmed', () => {
  const valid = (): Record<string, unknown> => ({
    version: '1.0',
    metadata: { name: 'Fine', tags: ['t'] },
    workflow: {
      nodes: [
        { id: 'a', type: 'input' },
        { id: 'b', type: 'output' },
      ],
      edges: [{ id: 'e', source: 'a', target: 'b' }],
    },
  });
  const json = (value: unknown) => strToU8(JSON.stringify(value));

  async function refused(send: Promise<Response>, status: number, message: RegExp) {
    const before = await counts();
    const res = await send;
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(text).toMatch(message);
    expect(await counts()).toEqual(before);
    expect((await http('/healthz')).status).toBe(200);
  }

  it('refuses bad documents with the path of every problem', async () => {
    const { token, client } = await api.signUp();
    await refused(
      importJson(token, { ...valid(), version: '9.9' }),
      400,
      /unsupported export format version \\"9.9\\"/,
    );
    const missing = valid();
    (missing.workflow as { edges: unknown[] }).edges.push({ id: 'e9', source: 'b', target: 'n9' });
    await refused(importJson(token, missing), 400, /workflow\.edges\[1\]\.target: unknown node \\"n9\\"/);
    const cycle = valid();
    (cycle.workflow as { edges: unknown[] }).edges.push({ id: 'e9', source: 'b', target: 'a' });
    await refused(importJson(token, cycle), 400, /creates a cycle/);
    const dup = valid();
    (dup.workflow as { nodes: unknown[] }).nodes.push({ id: 'a', type: 'output' });
    await refused(importJson(token, dup), 400, /workflow\.nodes\[2\]\.id: duplicate node id/);
    await refused(importJson(token, '{"version":'), 400, /not valid JSON/);
    await refused(importJson(token, valid(), '?mode=sideways'), 400, /query\.mode/);
    await expectApiError(
      client.transfer.import.mutate({ document: { ...valid(), version: '2.0' } as never, mode: 'new' }),
      'BAD_REQUEST',
      { paths: ['version'], message: /unsupported export format version/ },
    );
  });

  it('refuses __proto__ and constructor keys and 100,000-deep nesting', async () => {
    const { token } = await api.signUp();
    const text = JSON.stringify(valid());
    await refused(
      importJson(token, text.replace('"metadata":{', '"metadata":{"__proto__":{"isAdmin":true},')),
      400,
      /__proto__/,
    );
    await refused(
      importJson(token, text.replace('"metadata":{', '"metadata":{"constructor":{"prototype":{}},')),
      400,
      /constructor/,
    );
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    await refused(
      importJson(token, text.replace('"version"', `"deep":${deep},"version"`)),
      400,
      /nested too deeply/,
    );
    // Unique keys, so the entry is not compressed past the ratio cap and reaches the depth check.
    let keyed = '';
    for (let i = 0; i < 100_000; i++) keyed += `{"k${i.toString(36)}":`;
    keyed += `1${'}'.repeat(100_000)}`;
    await refused(importZip(token, zipSync({ 'a.json': strToU8(keyed) })), 400, /nested too deeply/);
    await refused(
      importZip(
        token,
        zipSync({ 'a.json': strToU8(text.replace('"metadata":{', '"metadata":{"__proto__":{},')) }),
      ),
      400,
      /__proto__/,
    );
  });

  it('refuses bodies over 10 MB with 413', async () => {
    const { token } = await api.signUp();
    const big = JSON.stringify({ ...valid(), settings: { pad: 'x'.repeat(10 * 1024 * 1024) } });
    await refused(importJson(token, big), 413, /too large/i);
    await refused(importZip(token, new Uint8Array(10 * 1024 * 1024 + 1)), 413, /too large/i);
  });

  it('refuses hostile ZIPs: traversal, absolute paths, bombs, too many entries, nested archives', async () => {
    const { token } = await api.signUp();
    await refused(importZip(token, zipSync({ '../evil.json': json(valid()) })), 400, /leave the archive/);
    await refused(importZip(token, zipSync({ '/tmp/evil.json': json(valid()) })), 400, /absolute paths/);
    await refused(
      importZip(token, zipSync({ 'bomb.json': new Uint8Array(9 * 1024 * 1024) })),
      413,
      /compressed more than/,
    );
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`w${i}.json`, json(valid())]));
    await refused(importZip(token, zipSync(many)), 413, /more than 1000 entries/);
    const inner = zipSync({ 'x.json': json(valid()) });
    await refused(importZip(token, zipSync({ 'inner.zip': inner })), 400, /archives inside archives/);
    await refused(importZip(token, zipSync({ 'inner.json': inner })), 400, /archives inside archives/);
  });

  it('writes nothing when one document of a ZIP is bad, naming the entry', async () => {
    const { token } = await api.signUp();
    const bad = valid();
    (bad.workflow as { edges: unknown[] }).edges.push({ id: 'e9', source: 'a', target: 'zz' });
    const bytes = zipSync({ 'good.json': json(valid()), 'bad.json': json(bad) });
    await refused(importZip(token, bytes), 400, /bad\.json\.workflow\.edges\[1\]\.target: unknown node/);
    const ok = await importZip(token, zipSync({ 'good.json': json(valid()) }));
    expect(ok.status).toBe(200);
  });
});
