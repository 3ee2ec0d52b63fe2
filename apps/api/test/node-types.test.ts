/**
 * `nodeTypes.list`: the palette the editor draws — every built-in type with its config as JSON
 * Schema, plus the types of packages named in SWARM_NODE_PACKAGES.
 */
import { defineNode } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const shout = defineNode({
  type: 'acme/shout',
  version: 1,
  label: 'Shout',
  category: 'text',
  description: 'Upper-cases its input',
  configSchema: z.object({ exclamations: z.number().int().min(1).max(5).default(1) }),
  inputs: { min: 1, max: 1 },
  outputs: ['out'],
  async execute(_ctx, { input }) {
    return { output: String(Object.values(input)[0]).toUpperCase() };
  },
});

const imported: string[] = [];
const api = useApiServer({
  nodePackages: ['@acme/swarm-nodes'],
  // Stands in for the package install: the server resolves the name through this.
  importNodePackage: async (name) => {
    imported.push(name);
    return { nodeTypes: [shout] };
  },
});

describe('nodeTypes.list', () => {
  it('lists the built-in types and those of configured packages, with config JSON Schemas', async () => {
    const { client } = await api.signUp();
    const types = await client.nodeTypes.list.query();
    expect(imported).toEqual(['@acme/swarm-nodes']);
    expect(types.map((t) => t.type)).toEqual(
      expect.arrayContaining([
        'input',
        'agent',
        'transform',
        'condition',
        'http',
        'merge',
        'output',
        'acme/shout',
      ]),
    );
    const agent = types.find((t) => t.type === 'agent')!;
    expect(agent).toMatchObject({ label: expect.any(String), category: expect.any(String), builtin: true });
    expect(agent.configJsonSchema).toMatchObject({
      type: 'object',
      properties: { prompt: expect.anything() },
    });
    expect(types.find((t) => t.type === 'acme/shout')).toMatchObject({
      label: 'Shout',
      category: 'text',
      builtin: false,
      configJsonSchema: {
        type: 'object',
        properties: { exclamations: { type: 'integer', minimum: 1, maximum: 5, default: 1 } },
      },
    });
  });

  it('needs a signed-in user', async () => {
    await expectApiError(api.anonymous().nodeTypes.list.query(), 'UNAUTHORIZED');
  });
});
