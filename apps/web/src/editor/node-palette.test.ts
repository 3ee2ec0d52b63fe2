import { createNodeRegistry } from '@swarm/engine/server';
import { expect, test } from 'vitest';
import { createCatalog, groupByCategory, type NodeTypeInfo } from './node-palette.ts';

const builtins = createNodeRegistry().list() as NodeTypeInfo[];

test('the catalog reads handles from the registry: no input for `input`, two outputs for `condition`', () => {
  const catalog = createCatalog(builtins);
  expect(catalog.get('input')).toMatchObject({ hasInput: false, outputs: ['out'], known: true });
  expect(catalog.get('output')).toMatchObject({ hasInput: true, outputs: [] });
  expect(catalog.get('condition').outputs).toEqual(['true', 'false']);
  expect(catalog.get('agent').configSpec.kind).toBe('object');
  // A type the server does not list still opens, edited as raw JSON.
  expect(catalog.get('acme/gone')).toMatchObject({ label: 'acme/gone', known: false, hasInput: true });
});

test('groups by category: built-in categories in palette order, plugin categories after them', () => {
  const plugin = { ...builtins[0]!, type: 'acme/slack', label: 'Slack', category: 'chat' };
  const other = { ...builtins[0]!, type: 'acme/mail', label: 'Mail', category: 'alerts' };
  const groups = groupByCategory(createCatalog([plugin, ...builtins, other]).entries);
  expect(groups.map((g) => g.category)).toEqual([
    'trigger',
    'ai',
    'logic',
    'data',
    'integration',
    'result',
    'alerts',
    'chat',
  ]);
  expect(groups.find((g) => g.category === 'logic')?.entries.map((e) => e.type)).toEqual([
    'condition',
    'merge',
  ]);
});
