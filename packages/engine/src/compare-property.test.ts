/** compare(x, copy of x) reports nothing, whatever the nodes' configs hold. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compareDefinitions } from './compare.ts';
import type { WorkflowDefinition, WorkflowNode } from './definition.ts';
import { builtinNodeTypes } from './registry.ts';
import { sampleWorkflowDefinition } from './sample-workflow.ts';
import { randomInstance, randomJson } from './testing/random-json.ts';
import type { SeededRandom } from './testing/seeded-random.ts';
import { testRandom } from './testing/seeded-random.ts';

const configSchemas = builtinNodeTypes.map((nodeType) => ({
  type: nodeType.type,
  schema: z.toJSONSchema(nodeType.configSchema, { io: 'input', unrepresentable: 'any' }),
}));

function randomDefinition(random: SeededRandom): WorkflowDefinition {
  const nodes: WorkflowNode[] = configSchemas.flatMap(({ type, schema }) =>
    Array.from({ length: random.int(1, 2) }, (_, i) => ({
      id: `${type}-${i}`,
      type,
      name: `${type} ${i}`,
      position: { x: random.int(0, 900), y: random.int(0, 900) },
      config: randomInstance(schema, random) as Record<string, unknown>,
    })),
  );
  return {
    nodes,
    edges: nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: nodes[i]!.id, target: node.id })),
    inputSchema: { type: 'object', properties: { q: { type: 'string' } }, examples: [randomJson(random)] },
    settings: { tags: [{ name: 'a' }, { name: 'b' }] } as never,
  };
}

/** A deep copy with every object's keys in reverse order (as jsonb may hand them back). */
function reorderedCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reorderedCopy) as T;
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .reverse()
        .map(([k, v]) => [k, reorderedCopy(v)]),
    ) as T;
  return value;
}

describe('compareDefinitions on copies', () => {
  it("the sample workflow against a copy of itself: no changes (its agent's fallback list included)", () => {
    const sample = sampleWorkflowDefinition();
    const comparison = compareDefinitions(sample, structuredClone(sample));
    expect(comparison.summary.nodes.modified).toEqual([]);
    expect(comparison).toMatchObject({ summary: { identical: true }, delta: null });
  });

  it('property: for every node type, random configs compared with a deep copy are identical', () => {
    const random = testRandom();
    for (let i = 0; i < 150; i++) {
      const definition = randomDefinition(random);
      for (const copy of [structuredClone(definition), reorderedCopy(definition)]) {
        const { summary, delta } = compareDefinitions(definition, copy);
        expect({ modified: summary.nodes.modified, changed: summary.changed, delta }).toEqual({
          modified: [],
          changed: [],
          delta: null,
        });
        expect(summary.identical).toBe(true);
      }
    }
  });

  it('equal id-less items still count when they really change', () => {
    const from = sampleWorkflowDefinition();
    const to = structuredClone(from);
    const agent = to.nodes.find((n) => Array.isArray(n.config?.fallback))!;
    (agent.config.fallback as Array<{ model: string }>)[0]!.model = 'other-model';
    const { summary } = compareDefinitions(from, to);
    expect(summary.nodes.modified).toEqual([
      expect.objectContaining({ id: agent.id, fields: ['config.fallback'] }),
    ]);
  });
});
