import type { WorkflowDefinition } from '@swarm/engine';
import { describe, expect, test } from 'vitest';
import { groupByTarget, locateIssues } from './validation-issues.ts';

const validated: WorkflowDefinition = {
  nodes: [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    { id: 'agent-abc123', type: 'agent', name: 'Agent', position: { x: 300, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e-xyz789', source: 'input', target: 'agent-abc123' }],
};

describe('locateIssues', () => {
  test('maps node and edge indexes of the validated definition to ids, keeping the field', () => {
    const located = locateIssues(
      [
        { path: 'definition.nodes[1].config.model', message: 'required' },
        { path: 'definition.edges[0].target', message: 'unknown node "x"' },
        { path: 'definition.nodes[0]', message: 'bad node' },
      ],
      validated,
    );
    expect(located.map(({ target, field }) => ({ target, field }))).toEqual([
      { target: { kind: 'node', id: 'agent-abc123' }, field: 'config.model' },
      { target: { kind: 'edge', id: 'e-xyz789' }, field: 'target' },
      { target: { kind: 'node', id: 'input' }, field: '' },
    ]);
  });

  test('accepts paths without the definition prefix and leaves other paths unattached', () => {
    const located = locateIssues(
      [
        { path: 'nodes[0].name', message: 'too long' },
        { path: 'definition.inputSchema', message: 'not a schema' },
        { path: 'definition.nodes[7].id', message: 'index past the end' },
      ],
      validated,
    );
    expect(located.map((issue) => issue.target)).toEqual([{ kind: 'node', id: 'input' }, null, null]);
  });

  test('groups issues per node or edge id', () => {
    const located = locateIssues(
      [
        { path: 'definition.nodes[1].config.model', message: 'required' },
        { path: 'definition.nodes[1].config.prompt', message: 'required' },
        { path: 'definition.edges[0]', message: 'creates a cycle' },
      ],
      validated,
    );
    expect(
      groupByTarget(located, 'node')
        .get('agent-abc123')
        ?.map((i) => i.field),
    ).toEqual(['config.model', 'config.prompt']);
    expect([...groupByTarget(located, 'edge').keys()]).toEqual(['e-xyz789']);
  });
});
