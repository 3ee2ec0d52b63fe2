import { describe, expect, it } from 'vitest';
import {
  checkWorkflowDefinition,
  findCycle,
  parseWorkflowDefinition,
  type WorkflowDefinition,
  workflowDefinitionSchema,
} from './definition.ts';
import { WorkflowValidationError } from './errors.ts';
import { findUnsafeJson, jsonTextDepth } from './json-safety.ts';
import { sampleWorkflowDefinition } from './sample-workflow.ts';

const chain = (length: number) => ({
  nodes: Array.from({ length }, (_, i) => ({ id: `n${i}`, type: 'agent' })),
  edges: Array.from({ length: length - 1 }, (_, i) => ({
    id: `e${i}`,
    source: `n${i}`,
    target: `n${i + 1}`,
  })),
});

describe('workflow definition', () => {
  it('accepts the sample workflow and fills defaults for name, position and config', () => {
    expect(checkWorkflowDefinition(sampleWorkflowDefinition()).valid).toBe(true);
    const parsed = parseWorkflowDefinition({ nodes: [{ id: 'a', type: 'input' }], edges: [] });
    expect(parsed.nodes[0]).toEqual({
      id: 'a',
      type: 'input',
      name: '',
      position: { x: 0, y: 0 },
      config: {},
    });
  });

  it('treats null handles (as React Flow sends them) as absent', () => {
    const parsed = parseWorkflowDefinition({
      nodes: [
        { id: 'a', type: 'input' },
        { id: 'b', type: 'output' },
      ],
      edges: [{ id: 'e', source: 'a', target: 'b', sourceHandle: null, targetHandle: null }],
    });
    expect(parsed.edges[0]).toEqual({ id: 'e', source: 'a', target: 'b' });
  });

  it('names the path of shape errors', () => {
    const result = checkWorkflowDefinition({
      nodes: [{ id: 'has space', type: 'agent', position: { x: 'left' } }],
    });
    expect(result.valid).toBe(false);
    expect(result.issues.map((i) => i.path).sort()).toEqual([
      'definition.nodes[0].id',
      'definition.nodes[0].position.x',
      'definition.nodes[0].position.y',
    ]);
  });

  it('reports self-loops and duplicate connections', () => {
    const def = chain(2);
    def.edges.push({ id: 'loop', source: 'n0', target: 'n0' }, { id: 'again', source: 'n0', target: 'n1' });
    const messages = checkWorkflowDefinition(def).issues.map((i) => `${i.path}: ${i.message}`);
    expect(messages).toEqual([
      'definition.edges[1]: connects node "n0" to itself',
      'definition.edges[2]: duplicates another edge from "n0" to "n1"',
    ]);
  });

  it('finds a cycle in a long graph without recursion, naming the loop', () => {
    // Far past MAX_NODES on purpose (so built by hand, not parsed): the search must not recurse.
    const def = chain(20_000) as WorkflowDefinition;
    expect(findCycle(def)).toBeNull();
    def.edges.push({ id: 'back', source: 'n19999', target: 'n19997' });
    expect(findCycle(def)).toEqual({ nodeIds: ['n19997', 'n19998', 'n19999', 'n19997'], edgeIndex: 19_999 });
  });

  it('finds a cycle only reachable from a later root', () => {
    const def = workflowDefinitionSchema.parse({
      nodes: ['a', 'b', 'c'].map((id) => ({ id, type: 'agent' })),
      edges: [
        { id: 'bc', source: 'b', target: 'c' },
        { id: 'cb', source: 'c', target: 'b' },
      ],
    });
    expect(findCycle(def)?.nodeIds).toEqual(['b', 'c', 'b']);
  });

  it('throws a WorkflowValidationError whose message leads with the first path', () => {
    expect(() =>
      parseWorkflowDefinition({ nodes: [], edges: [{ id: 'e', source: 'x', target: 'y' }] }),
    ).toThrow(
      new WorkflowValidationError([
        { path: 'definition.edges[0].source', message: 'unknown node "x"' },
        { path: 'definition.edges[0].target', message: 'unknown node "y"' },
      ]),
    );
  });
});

describe('JSON safety', () => {
  it('walks 100,000 levels without overflowing and reports the first over-deep path', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const issues = findUnsafeJson(deep, ['root'], 3);
    expect(issues).toEqual([{ path: 'root[0][0][0]', message: 'nested deeper than 3 levels' }]);
  });

  it('flags prototype keys wherever they are', () => {
    const value = JSON.parse('{"a":[{"__proto__":{"x":1}}],"b":{"constructor":1,"ok":{"prototype":2}}}');
    expect(
      findUnsafeJson(value)
        .map((i) => i.path)
        .sort(),
    ).toEqual(['a[0].__proto__', 'b.constructor', 'b.ok.prototype']);
  });

  it('measures raw JSON depth, ignoring brackets inside strings', () => {
    expect(jsonTextDepth('{"a":[1,{"b":"[[[[\\"{{{"}]}')).toBe(3);
    expect(jsonTextDepth(`${'['.repeat(5000)}${']'.repeat(5000)}`)).toBe(5000);
  });
});
