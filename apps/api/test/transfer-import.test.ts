/** Workflow import over tRPC and HTTP: round trips, name clashes, targets, and hostile documents and ZIPs. */
import { zipEntries as zipSync } from '@swarm/engine';
import { everyNodeType } from '@swarm/engine/testing/every-node-type';
import { describe, expect, it } from 'vitest';
import { expectApiError } from './expect-error.ts';
import { canonical, useTransferApi } from './transfer-harness.ts';

const strToU8 = (text: string) => new TextEncoder().encode(text);

const { api, counts, http, importJson, importZip, seedWorkflow } = useTransferApi();

describe('import', () => {
  it('round-trips every built-in node type to an equal definition with the same node ids, matching tags by name', async () => {
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
    // Node ids are the workflow's own (a run's output is keyed by them): kept, as in the export.
    expect(copy.definition.nodes.map((n) => n.id)).toEqual(everyNodeType().nodes.map((n) => n.id));
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
    expect(renamed.workflows).toEqual([{ id: renamed.workflowIds[0], name: 'clash (2)' }]);
    const again = await client.transfer.import.mutate({ document: clashing, mode: 'new' });
    expect((await client.workflows.get.query({ id: again.workflowIds[0]! })).name).toBe('clash (3)');

    const overwritten = await client.transfer.import.mutate({
      document: clashing,
      mode: 'new',
      onConflict: 'overwrite',
    });
    expect(overwritten.workflowIds).toEqual([existing.id]);
    expect(overwritten.workflows).toEqual([{ id: existing.id, name: existing.name }]);
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
