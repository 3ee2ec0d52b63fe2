import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  anonymizeDocument,
  buildExportDocument,
  checkExportDocument,
  DEFAULT_ZIP_LIMITS,
  DomainError,
  exportFormatJsonSchema,
  layoutMissingPositions,
  mergeDefinitions,
  parseExportDocument,
  prepareImport,
  REDACTED,
  readZipEntries,
  remapExpression,
  remapTemplate,
  safeFileName,
  validateWorkflow,
  type WorkflowDefinition,
  writeZip,
} from '../src/index.ts';
import { createNodeRegistry } from '../src/server.ts';
import { everyNodeType } from '../src/testing/every-node-type.ts';

const source = () => ({
  name: 'Every node',
  description: 'd',
  category: 'test',
  authorEmail: 'alice@example.com',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-02T00:00:00Z'),
  tags: ['Ops'],
  definition: everyNodeType(),
});

/** Replaces ids by their position so definitions compare "ids aside". */
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
    outputSchema: def.outputSchema,
    settings: def.settings,
  });
  for (const [id, i] of index)
    text = text
      .replaceAll(`nodes.\`${id}\``, `nodes.${i}`)
      .replaceAll(`nodes.${id}`, `nodes.${i}`)
      .replaceAll(`\\"${id}\\"]`, `\\"${i}\\"]`);
  return JSON.parse(text);
}

describe('export documents', () => {
  it('builds a 1.0 document with metadata, agents and the graph', () => {
    const doc = buildExportDocument(source(), { now: new Date('2026-02-01T00:00:00Z') });
    expect(doc).toMatchObject({
      version: '1.0',
      metadata: {
        name: 'Every node',
        author: 'alice@example.com',
        tags: ['Ops'],
        exportedAt: '2026-02-01T00:00:00.000Z',
      },
      agents: [{ nodeId: 'ask', name: 'Ask', role: 'asker', provider: 'mock', model: 'echo' }],
      inputSchema: { type: 'object' },
    });
    expect(doc.workflow.nodes).toHaveLength(7);
    expect(doc).not.toHaveProperty('executions');
    expect(checkExportDocument(JSON.parse(JSON.stringify(doc))).valid).toBe(true);
  });

  it('exports schedules and webhooks (never a secret) only when asked', () => {
    const src = {
      ...source(),
      schedules: [
        {
          cron: '0 9 * * 1-5',
          timezone: 'Europe/Berlin',
          enabled: true,
          input: { query: 'news' },
          versionTag: 'production',
          overlap: 'queue-one' as const,
          missed: 'all' as const,
          missedWindowSeconds: 3600,
          retryLimit: 3,
          retryDelaySeconds: 30,
        },
      ],
      webhooks: [
        {
          auth: 'signature' as const,
          enabled: true,
          rateLimitPerHour: 10,
          ipAllowlist: ['10.0.0.0/8'],
          mapping: '{ "query": body.text }',
          versionTag: null,
        },
      ],
    };
    expect(buildExportDocument(src)).not.toHaveProperty('schedules');
    const doc = buildExportDocument(src, { include: { schedules: true, webhooks: true, executions: true } });
    expect(doc).toMatchObject({ schedules: src.schedules, webhooks: src.webhooks, executions: [] });
    expect(doc.notes?.join(' ')).toMatch(/webhook secrets are never exported/);
    expect(parseExportDocument(JSON.parse(JSON.stringify(doc)))).toMatchObject({ schedules: src.schedules });
  });

  it('refuses schedules with a bad cron or time zone, naming the path', () => {
    const doc = {
      ...buildExportDocument(source()),
      schedules: [
        { cron: '0 9 * * *', timezone: 'UTC' },
        { cron: '61 * * * *', timezone: 'Mars/Base' },
      ],
    };
    const result = checkExportDocument(JSON.parse(JSON.stringify(doc)));
    expect(result.valid).toBe(false);
    expect(result.issues.map((i) => i.path).sort()).toEqual(['schedules[1].cron', 'schedules[1].timezone']);
  });

  it('never exports credential header values', () => {
    const src = source();
    const call = src.definition.nodes.find((n) => n.id === 'call')!;
    call.config.headers = { authorization: 'Bearer sk-live-123', 'X-Auth-Token': 'abc', accept: 'json' };
    const text = JSON.stringify(buildExportDocument(src));
    expect(text).not.toContain('sk-live-123');
    expect(text).not.toContain('"abc"');
    expect(text).toContain('"accept":"json"');
  });

  it('redacts credential-shaped values under any header name and anywhere in a config, and known secrets', () => {
    const src = source();
    const call = src.definition.nodes.find((n) => n.id === 'call')!;
    const key = `sk-proj-${'N0te4bcdEF'.repeat(5)}`;
    call.config.headers = { 'X-Note': key, accept: 'json' };
    call.config.url = 'https://api.example.com/v1?token=plain-known-secret-42';
    src.definition.nodes[1]!.config.prompt = `Use key ${key} carefully`;
    const doc = buildExportDocument(src, { knownSecrets: ['plain-known-secret-42'] });
    const text = JSON.stringify(doc);
    expect(text).not.toContain(key);
    expect(text).not.toContain('plain-known-secret-42');
    const exported = doc.workflow.nodes.find((n) => n.id === 'call')!.config;
    expect(exported.headers).toEqual({ 'X-Note': `sk-proj-${REDACTED}`, accept: 'json' });
    expect(exported.url).toBe(`https://api.example.com/v1?token=${REDACTED}`);
    expect(doc.workflow.nodes[1]!.config.prompt).toBe(`Use key sk-proj-${REDACTED} carefully`);
    expect(doc.notes).toContain(
      `credential values were replaced with "${REDACTED}"; set them again after import`,
    );
    // The source definition is not changed.
    expect(call.config.headers).toEqual({ 'X-Note': key, accept: 'json' });
  });

  it('anonymises into a template: no name, author, dates or runs; ids renumbered with references', () => {
    const src = source();
    src.definition.nodes[1]!.config.prompt = 'Mail bob@corp.example about {{input.query}}';
    const doc = buildExportDocument(
      { ...src, executions: [] },
      { anonymize: true, include: { executions: true } },
    );
    const text = JSON.stringify(doc);
    for (const secret of ['alice@example.com', 'bob@corp.example', 'Every node', '"ask"', '2026-01-01'])
      expect(text).not.toContain(secret);
    expect(doc.metadata).toMatchObject({ author: null, anonymized: true, createdAt: null });
    expect(doc).not.toHaveProperty('executions');
    expect(doc.workflow.nodes.map((n) => n.id)).toEqual([
      'node-1',
      'node-2',
      'node-3',
      'node-4',
      'node-5',
      'node-6',
      'node-7',
    ]);
    expect(doc.workflow.nodes[2]!.config.expression).toBe(
      '$length(nodes.node_2.output) > 3'.replace('node_2', '`node-2`'),
    );
    expect(doc.workflow.edges[0]).toMatchObject({ id: 'edge-1', source: 'node-1', target: 'node-2' });
    // Consistent: anonymising twice gives the same template.
    expect(anonymizeDocument(doc)).toEqual(doc);
    const expected = everyNodeType();
    expected.nodes[1]!.config.prompt = 'Mail user@example.com about {{input.query}}';
    expect(canonical(prepareImport(doc).definition)).toEqual(canonical(expected));
  });
});

describe('remapping', () => {
  const map = new Map([
    ['ask', 'n_1'],
    ['a-b', 'n-2'],
  ]);
  it('rewrites template placeholders in both forms and leaves others alone', () => {
    expect(
      remapTemplate(
        '{{nodes.ask.output}} {{ nodes["ask"].output.x }} {{nodes.other.output}} {{input.ask}}',
        map,
      ),
    ).toBe('{{nodes.n_1.output}} {{ nodes["n_1"].output.x }} {{nodes.other.output}} {{input.ask}}');
  });
  it('rewrites expression paths, quoting ids that need it', () => {
    expect(remapExpression('nodes.ask.output & nodes.`a-b`.output & $nodes.ask & other.nodes.ask', map)).toBe(
      'nodes.n_1.output & nodes.`n-2`.output & $nodes.ask & other.nodes.ask',
    );
  });
  it('round-trips every built-in node type to an equal, valid definition with the same ids', () => {
    const doc = parseExportDocument(JSON.parse(JSON.stringify(buildExportDocument(source()))));
    const { definition } = prepareImport(doc);
    // Node ids key a run's output (`writer`): an imported copy keeps them, and its edges.
    expect(definition.nodes.map((n) => n.id)).toEqual(everyNodeType().nodes.map((n) => n.id));
    expect(definition.edges).toEqual(everyNodeType().edges);
    expect(canonical(definition)).toEqual(canonical(everyNodeType()));
    expect(validateWorkflow(definition, createNodeRegistry())).toMatchObject({ valid: true, errors: [] });
  });
  it('merges with ids unique against the target, placed to its right', () => {
    const target = everyNodeType();
    const incoming = prepareImport(
      parseExportDocument(buildExportDocument(source())),
      target.nodes.map((n) => n.id),
    ).definition;
    const merged = mergeDefinitions(target, incoming);
    expect(merged.nodes).toHaveLength(14);
    expect(new Set(merged.nodes.map((n) => n.id)).size).toBe(14);
    expect(Math.min(...incoming.nodes.map((n) => n.position.x))).toBe(0);
    expect(merged.nodes[7]!.position.x).toBeGreaterThan(1000);
  });
  it('merging renames only the ids the target already has, references following', () => {
    const doc = parseExportDocument({
      version: '1.0',
      metadata: { name: 'x' },
      workflow: {
        nodes: [
          { id: 'in', type: 'input', config: {} },
          { id: 'writer', type: 'transform', config: { expression: 'nodes.in.output' } },
        ],
        edges: [{ id: 'e1', source: 'in', target: 'writer' }],
      },
    });
    const { definition } = prepareImport(doc, ['in', 'e9']);
    const [input, writer] = definition.nodes;
    expect(input!.id).toMatch(/^n_[0-9a-f]{12}$/);
    expect(writer!.id).toBe('writer');
    expect(writer!.config).toEqual({ expression: `nodes.${input!.id}.output` });
    expect(definition.edges).toEqual([{ id: 'e1', source: input!.id, target: 'writer' }]);
  });
});

describe('layout', () => {
  it('places nodes without a position left to right by their edges, keeping given ones', () => {
    const positions = layoutMissingPositions(
      [{ id: 'a' }, { id: 'b' }, { id: 'c', position: { x: 5, y: 7 } }, { id: 'd' }],
      [
        { source: 'a', target: 'b' },
        { source: 'b', target: 'd' },
      ],
    );
    expect(positions.get('c')).toEqual({ x: 5, y: 7 });
    expect(positions.get('a')!.x).toBeLessThan(positions.get('b')!.x);
    expect(positions.get('b')!.x).toBeLessThan(positions.get('d')!.x);
  });
  it('lays out imported nodes that have none', () => {
    const doc = parseExportDocument({
      version: '1.0',
      metadata: { name: 'x' },
      workflow: {
        nodes: [
          { id: 'a', type: 'input' },
          { id: 'b', type: 'output' },
        ],
        edges: [{ id: 'e', source: 'a', target: 'b' }],
      },
    });
    const [a, b] = prepareImport(doc).definition.nodes;
    expect(a!.position.x).toBeLessThan(b!.position.x);
  });
});

describe('document validation', () => {
  const base = () => ({
    version: '1.0',
    metadata: { name: 'x' },
    workflow: {
      nodes: [
        { id: 'a', type: 'input' },
        { id: 'b', type: 'output' },
      ],
      edges: [{ id: 'e', source: 'a', target: 'b' }],
    },
  });
  const issues = (value: unknown) => {
    const r = checkExportDocument(value);
    return r.valid ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
  };

  it('names an unknown format version', () => {
    expect(issues({ ...base(), version: '2.0' })).toEqual([
      'version: unsupported export format version "2.0" (this server reads 1.0)',
    ]);
    expect(issues({ ...base(), version: undefined })[0]).toMatch(/^version: required/);
  });
  it('names edges to missing nodes, duplicates and cycles by path', () => {
    const doc = base();
    doc.workflow.edges.push({ id: 'e2', source: 'b', target: 'n9' });
    expect(issues(doc)).toEqual(['workflow.edges[1].target: unknown node "n9"']);
    const dup = base();
    dup.workflow.nodes.push({ id: 'a', type: 'output' });
    expect(issues(dup)).toContain('workflow.nodes[2].id: duplicate node id "a"');
    const cyc = base();
    cyc.workflow.edges.push({ id: 'e2', source: 'b', target: 'a' });
    expect(issues(cyc)[0]).toMatch(/^workflow\.edges\[\d\]: creates a cycle/);
  });
  it('refuses prototype keys and deep nesting before the shape', () => {
    const proto = JSON.parse(
      '{"version":"1.0","metadata":{"name":"x","__proto__":{"admin":true}},"workflow":{}}',
    );
    expect(issues(proto)).toEqual(['metadata.__proto__: key "__proto__" is not allowed']);
    const ctor = { ...base(), settings: { constructor: { prototype: 1 } } };
    expect(issues(ctor)[0]).toMatch(/constructor/);
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(issues({ ...base(), settings: deep })[0]).toMatch(/nested deeper than/);
  });
  it('names shape problems by path, and throws them all at once', () => {
    expect(issues({ ...base(), metadata: {} })).toEqual([
      'metadata.name: Invalid input: expected string, received undefined',
    ]);
    expect(() =>
      parseExportDocument({ ...base(), workflow: { nodes: [{ id: 'bad id!', type: 'x' }] } }),
    ).toThrow(/workflow\.nodes\[0\]\.id/);
  });
});

describe('zip', () => {
  const doc = () => buildExportDocument(source());
  const zip = (files: Record<string, Uint8Array>) => zipSync(files);
  const refused = (bytes: Uint8Array, pattern: RegExp, limits = DEFAULT_ZIP_LIMITS) => {
    let error: unknown;
    try {
      readZipEntries(bytes, limits);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as Error).message).toMatch(pattern);
    return error as DomainError;
  };

  it('writes safe unique names and reads them back', () => {
    const bytes = writeZip([
      { name: 'Report / ../etc', json: doc() },
      { name: 'Report  ..etc', json: doc() },
      { name: '???', json: doc() },
    ]);
    const entries = readZipEntries(bytes);
    expect(entries.map((e) => e.name)).toEqual(['report-etc-2.json', 'report-etc.json', 'workflow.json']);
    expect(JSON.parse(entries[0]!.text).version).toBe('1.0');
    expect(safeFileName('  Ünïcode — name  ')).toBe('unicode-name');
  });
  it('refuses traversal and absolute entry names', () => {
    refused(zip({ '../evil.json': strToU8('{}') }), /leave the archive/);
    refused(zip({ 'a/../../evil.json': strToU8('{}') }), /leave the archive/);
    refused(zip({ '/etc/evil.json': strToU8('{}') }), /absolute/);
    refused(zip({ 'C:/evil.json': strToU8('{}') }), /absolute/);
  });
  it('refuses zip bombs by ratio and by total size', () => {
    const bomb = zip({ 'a.json': new Uint8Array(9 * 1024 * 1024) });
    refused(zip({ 'b.json': new Uint8Array(11 * 1024 * 1024) }), /unpacks to more than 10485760 bytes/);
    expect(refused(bomb, /compressed more than/).code).toBe('PAYLOAD_TOO_LARGE');
    const text = strToU8(JSON.stringify(doc()));
    const files = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`w${i}.json`, text]));
    refused(zip(files), /unpacks to more than/, { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: text.length * 3 });
  });
  it('refuses more than 1,000 entries', () => {
    const files = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`w${i}.json`, strToU8('{}')]));
    expect(refused(zip(files), /more than 1000 entries/).code).toBe('PAYLOAD_TOO_LARGE');
  });
  it('refuses nested archives by name and by content, and other files', () => {
    const inner = zip({ 'x.json': strToU8('{}') });
    refused(zip({ 'inner.zip': inner }), /archives inside archives/);
    refused(zip({ 'inner.json': inner }), /archives inside archives/);
    refused(zip({ 'run.sh': strToU8('echo') }), /only \.json/);
    refused(strToU8('PK\u0003\u0004 not really a zip'), /not a readable ZIP/);
  });
});

describe('published JSON Schema', () => {
  const file = path.resolve(import.meta.dirname, '../../../docs/export-format.schema.json');
  it('docs/export-format.schema.json is current (UPDATE_EXPORT_SCHEMA=1 regenerates it)', () => {
    const current = exportFormatJsonSchema();
    if (process.env.UPDATE_EXPORT_SCHEMA === '1')
      writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
    expect(existsSync(file), 'run with UPDATE_EXPORT_SCHEMA=1 to create it').toBe(true);
    // Compared as data, so formatting the file (biome) does not matter.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(current);
    expect((current as { properties: { version: { const: string } } }).properties.version.const).toBe('1.0');
  });
});
