import type { WorkflowDefinition } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { describe, expect, it } from 'vitest';
import { runnableDefinitionOfText } from './checked-definitions.ts';

const registry = createNodeRegistry();

function definition(prompt: string): WorkflowDefinition {
  return {
    nodes: [
      { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
      {
        id: 'writer',
        type: 'agent',
        name: 'Writer',
        position: { x: 200, y: 0 },
        config: { role: 'writer', provider: 'mock', model: 'mock', prompt },
      },
      { id: 'out', type: 'output', name: 'Out', position: { x: 400, y: 0 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 'in', target: 'writer' },
      { id: 'e2', source: 'writer', target: 'out' },
    ],
  };
}

describe('runnableDefinitionOfText', () => {
  it('checks a text once and hands every later start of that text the same frozen definition', () => {
    // Postgres writes jsonb as text with spaces after ':' and ','; any spelling is a text of its own.
    const text = JSON.stringify(definition('Say hi'), null, 1);
    const first = runnableDefinitionOfText(text, registry);
    expect(first.nodes.map((n) => n.id)).toEqual(['in', 'writer', 'out']);
    expect(runnableDefinitionOfText(`${text}`, registry)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.nodes[1]!.config)).toBe(true);
    expect(() => {
      (first.nodes as unknown as unknown[]).push({});
    }).toThrow(TypeError);
  });

  it('an edited definition is a different text: checked afresh, never the old result', () => {
    const before = runnableDefinitionOfText(JSON.stringify(definition('Before')), registry);
    const after = runnableDefinitionOfText(JSON.stringify(definition('After')), registry);
    expect(after).not.toBe(before);
    expect(after.nodes[1]!.config).toMatchObject({ prompt: 'After' });
    expect(before.nodes[1]!.config).toMatchObject({ prompt: 'Before' });
  });

  it('a definition that cannot run fails every time, naming the path (its failure is not kept)', () => {
    const broken = definition('x');
    broken.nodes[1]!.type = 'no-such-type';
    const text = JSON.stringify(broken);
    for (let i = 0; i < 2; i++)
      expect(() => runnableDefinitionOfText(text, registry)).toThrow(/no-such-type/);
  });

  it('keeps results per node registry (a text valid for one may not be for another)', () => {
    const text = JSON.stringify(definition('Per registry'));
    const other = createNodeRegistry();
    expect(runnableDefinitionOfText(text, other)).not.toBe(runnableDefinitionOfText(text, registry));
  });
});
