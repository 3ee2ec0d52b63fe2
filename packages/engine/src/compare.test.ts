import { patch } from 'jsondiffpatch';
import { describe, expect, it } from 'vitest';
import { compareDefinitions } from './compare.ts';
import type { WorkflowDefinition } from './definition.ts';

const base = (): WorkflowDefinition => ({
  nodes: [
    { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    {
      id: 'writer',
      type: 'agent',
      name: 'Writer',
      position: { x: 200, y: 0 },
      config: { provider: 'mock', model: 'm1', prompt: 'Write about {{input.topic}}' },
    },
    { id: 'out', type: 'output', name: 'Out', position: { x: 400, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'e1', source: 'in', target: 'writer' },
    { id: 'e2', source: 'writer', target: 'out' },
  ],
});

describe('compareDefinitions', () => {
  it('reports nothing for identical definitions, even with arrays reordered', () => {
    const a = base();
    const b = base();
    b.nodes.reverse();
    b.edges.reverse();
    const { summary } = compareDefinitions(a, b);
    expect(summary.nodes).toEqual({ added: [], removed: [], modified: [], moved: [] });
    expect(summary.edges).toEqual({ added: [], removed: [], modified: [] });
    expect(compareDefinitions(a, base())).toMatchObject({ summary: { identical: true }, delta: null });
  });

  it('a renamed node is modified (by id, not position)', () => {
    const b = base();
    b.nodes[1]!.name = 'Author';
    const { summary, delta } = compareDefinitions(base(), b);
    expect(summary.nodes.modified).toEqual([
      { id: 'writer', type: 'agent', name: 'Author', fields: ['name'] },
    ]);
    expect(summary.agents.modified.map((n) => n.id)).toEqual(['writer']);
    expect(summary.nodes.added).toEqual([]);
    expect(summary.nodes.removed).toEqual([]);
    expect(delta).not.toBeNull();
  });

  it('a moved node is moved, not modified', () => {
    const b = base();
    b.nodes[2]!.position = { x: 500, y: 120 };
    const { summary } = compareDefinitions(base(), b);
    expect(summary.nodes.modified).toEqual([]);
    expect(summary.nodes.moved).toEqual([
      { id: 'out', type: 'output', name: 'Out', from: { x: 400, y: 0 }, to: { x: 500, y: 120 } },
    ]);
    expect(summary.identical).toBe(false);
  });

  it('names the config keys that changed', () => {
    const b = base();
    b.nodes[1]!.config = { provider: 'mock', model: 'm2', prompt: 'Summarise {{input.topic}}' };
    const { summary } = compareDefinitions(base(), b);
    expect(summary.nodes.modified).toEqual([
      { id: 'writer', type: 'agent', name: 'Writer', fields: ['config.model', 'config.prompt'] },
    ]);
  });

  it('an added branch: nodes, agents and edges added; the delta patches from into to', () => {
    const b = base();
    b.nodes.splice(1, 0, {
      id: 'critic',
      type: 'agent',
      name: 'Critic',
      position: { x: 200, y: 150 },
      config: { provider: 'mock', model: 'm1', prompt: 'Critique' },
    });
    b.edges.push({ id: 'e3', source: 'in', target: 'critic' }, { id: 'e4', source: 'critic', target: 'out' });
    b.edges = b.edges.filter((e) => e.id !== 'e2');
    b.settings = { maxConcurrentRuns: 2 };
    const { summary, delta } = compareDefinitions(base(), b);
    expect(summary.nodes.added).toEqual([{ id: 'critic', type: 'agent', name: 'Critic' }]);
    expect(summary.agents.added.map((n) => n.id)).toEqual(['critic']);
    // Inserting before other nodes shifts their positions in the array: still not "modified".
    expect(summary.nodes.modified).toEqual([]);
    expect(summary.edges.added.map((e) => e.id)).toEqual(['e3', 'e4']);
    expect(summary.edges.removed.map((e) => e.id)).toEqual(['e2']);
    expect(summary.changed).toEqual(['settings']);
    expect(patch(structuredClone(base()), delta!)).toEqual(b);
  });
});
