/**
 * Node types from packages. The fixture `@swarm-fixtures/slack-node` (test/fixtures/slack-node) is
 * resolved by name the way a runner resolves an installed plugin: from a `node_modules` folder —
 * here a temporary one holding a link to the fixture, since no workspace package depends on it.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineNode, validateWorkflow } from '../src/index.ts';
import { createNodeRegistry, loadNodePackages, NodePackageError, runWorkflow } from '../src/server.ts';
import { recordingHooks, workflow } from './support.ts';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'slack-node');
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarm-plugins-'));
  await mkdir(join(root, 'node_modules', '@swarm-fixtures'), { recursive: true });
  await symlink(fixture, join(root, 'node_modules', '@swarm-fixtures', 'slack-node'), 'dir');
  // A package that clashes with a built-in, and one that exports nothing usable.
  for (const [name, source] of [
    [
      'clash',
      "export default [{ type: 'agent', version: 1, label: 'x', category: 'x', description: 'x', configSchema: { safeParse() {}, _zod: {} }, inputs: { min: 0 }, outputs: ['out'], async execute() { return { output: 1 }; } }];",
    ],
    ['empty', 'export const something = 1;'],
    ['throws', "throw new Error('boom at import');"],
  ] as const) {
    const dir = join(root, 'node_modules', name);
    await mkdir(dir);
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({ name, type: 'module', exports: './index.js' }),
    );
    await writeFile(join(dir, 'index.js'), source);
  }
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('third-party node packages', () => {
  it('loads the fixture package by name, lists its type and runs it in a workflow', async () => {
    const types = await loadNodePackages(['@swarm-fixtures/slack-node'], { resolveFrom: root });
    expect(types.map((t) => t.type)).toEqual(['slack/message']);
    const registry = createNodeRegistry(types);

    const listed = registry.list().find((t) => t.type === 'slack/message');
    expect(listed).toMatchObject({
      label: 'Slack message',
      category: 'integration',
      builtin: false,
      outputs: ['out'],
      configJsonSchema: {
        type: 'object',
        properties: { channel: { type: 'string' }, text: { type: 'string' } },
        required: ['channel', 'text'],
      },
    });

    const def = workflow(
      [
        { id: 'in', type: 'input' },
        {
          id: 'notify',
          type: 'slack/message',
          config: { channel: '#ops', text: 'Deploy {{input.version}} is out' },
        },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'notify'],
        ['notify', 'out'],
      ],
    );
    expect(validateWorkflow(def, registry).errors).toEqual([]);
    const rec = recordingHooks();
    const outcome = await runWorkflow({
      definition: def,
      input: { version: '1.4.2' },
      registry,
      executionId: 'exec-plugin',
      hooks: rec.hooks,
    });
    expect(outcome).toEqual({
      status: 'succeeded',
      output: { notify: { channel: '#ops', text: 'Deploy 1.4.2 is out', delivered: false } },
      error: null,
    });

    const bad = validateWorkflow(
      { ...def, nodes: def.nodes.map((n) => (n.id === 'notify' ? { ...n, config: { channel: 'ops' } } : n)) },
      registry,
    );
    expect(bad.errors.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'definition.nodes[1].config.channel: a channel like #general',
      'definition.nodes[1].config.text: required',
    ]);
  });

  it('accepts an importer from the caller (the runner passes its own `import`)', async () => {
    const seen: string[] = [];
    const types = await loadNodePackages(['@swarm-fixtures/slack-node'], {
      importPackage: async (name) => {
        seen.push(name);
        return import(join(fixture, 'index.js'));
      },
    });
    expect(seen).toEqual(['@swarm-fixtures/slack-node']);
    expect(types).toHaveLength(1);
  });

  it('refuses clashes and broken packages with an error naming the package', async () => {
    await expect(loadNodePackages(['clash'], { resolveFrom: root })).rejects.toThrow(
      'node package "clash": node type "agent" clashes with the built-in type of that name',
    );
    await expect(loadNodePackages(['empty'], { resolveFrom: root })).rejects.toThrow(
      /^node package "empty": exports no node types/,
    );
    await expect(loadNodePackages(['throws'], { resolveFrom: root })).rejects.toThrow(
      'node package "throws": could not be loaded: boom at import',
    );
    await expect(loadNodePackages(['not-installed-anywhere'], { resolveFrom: root })).rejects.toThrow(
      NodePackageError,
    );
    await expect(loadNodePackages(['../escape'], { resolveFrom: root })).rejects.toThrow(
      'node package "../escape": is not a package name',
    );
    await expect(
      loadNodePackages(['@swarm-fixtures/slack-node', '@swarm-fixtures/slack-node'], { resolveFrom: root }),
    ).rejects.toThrow('node type "slack/message" is already defined by package "@swarm-fixtures/slack-node"');
  });
});

describe('registry', () => {
  it('lists the built-in types with their handles and config JSON Schema', () => {
    const list = createNodeRegistry().list();
    expect(list.map((t) => [t.type, t.category, t.inputs, t.outputs])).toEqual([
      ['input', 'trigger', { min: 0, max: 0 }, ['out']],
      ['agent', 'ai', { min: 0, max: null }, ['out']],
      ['transform', 'data', { min: 0, max: null }, ['out']],
      ['condition', 'logic', { min: 0, max: null }, ['true', 'false']],
      ['http', 'integration', { min: 0, max: null }, ['out']],
      ['merge', 'logic', { min: 1, max: null }, ['out']],
      ['output', 'result', { min: 1, max: null }, []],
    ]);
    const agent = list.find((t) => t.type === 'agent')!;
    expect(agent.configJsonSchema).toMatchObject({
      type: 'object',
      required: ['role', 'provider', 'model', 'prompt'],
      properties: { provider: { enum: ['openai', 'anthropic', 'gemini', 'mock', 'openai-compatible'] } },
    });
    // The http method has a default, so the form may leave it out.
    expect(list.find((t) => t.type === 'http')!.configJsonSchema.required).toEqual(['url']);
  });

  it('refuses a type that reuses a built-in name and checks the shape of node types', () => {
    const clash = defineNode({
      type: 'merge',
      version: 1,
      label: 'My merge',
      category: 'logic',
      description: '',
      configSchema: z.object({}),
      inputs: { min: 0 },
      outputs: ['out'],
      async execute() {
        return { output: null };
      },
    });
    expect(() => createNodeRegistry([clash])).toThrow(
      'node type "merge" clashes with the built-in type of that name',
    );
    expect(() =>
      defineNode({
        type: 'Bad Name',
        version: 0,
        label: 'x',
        category: 'x',
        description: 'x',
        configSchema: z.object({}),
        inputs: { min: 0 },
        outputs: ['out', 'out'],
        async execute() {
          return { output: null };
        },
      }),
    ).toThrow(
      'invalid node type "Bad Name": type: a node type name like "agent" or "acme/slack"; version: a positive integer; outputs: distinct handle names',
    );
  });
});
