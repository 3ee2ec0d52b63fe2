/** The plan of a node test: the node and its ancestors, every ancestor pinned, schemas left out. */
import { describe, expect, it } from 'vitest';
import { ancestorIds, nodeTestDataFrom, nodeTestPlan } from './node-test.ts';
import { sampleWorkflowDefinition } from './sample-workflow.ts';

const sample = sampleWorkflowDefinition();

describe('node tests', () => {
  it('keeps the node and what it depends on, pinning the ancestors to the given outputs', () => {
    expect([...ancestorIds(sample, 'writer')].sort()).toEqual(['critic', 'input', 'merge', 'researcher']);
    const plan = nodeTestPlan(sample, 'writer', { input: { query: 'q' }, upstream: { researcher: 'R' } });
    expect(plan.definition.nodes.map((n) => n.id)).toEqual([
      'input',
      'researcher',
      'critic',
      'merge',
      'writer',
    ]);
    expect(plan.definition.edges.map((e) => e.id)).not.toContain('e-writer-output');
    expect(plan.definition).not.toHaveProperty('inputSchema');
    expect(plan.definition).not.toHaveProperty('outputSchema');
    expect(plan.pins).toEqual({
      input: { output: null },
      researcher: { output: 'R' },
      critic: { output: null },
      merge: { output: null },
    });
  });

  it('tests a first node on its own and refuses a node that is not there', () => {
    const plan = nodeTestPlan(sample, 'input', { input: {}, upstream: {} });
    expect(plan.definition.nodes.map((n) => n.id)).toEqual(['input']);
    expect(plan.pins).toEqual({});
    expect(() => nodeTestPlan(sample, 'ghost', { input: {}, upstream: {} })).toThrow('node not found');
  });

  it('prefills from the last run: its input and the upstream outputs that succeeded', () => {
    const steps = [
      { nodeId: 'researcher', status: 'succeeded', output: 'R' },
      { nodeId: 'critic', status: 'failed', output: null },
      { nodeId: 'output', status: 'succeeded', output: 'not upstream' },
    ];
    expect(nodeTestDataFrom(sample, 'writer', { input: { query: 'q' }, steps })).toEqual({
      input: { query: 'q' },
      upstream: { researcher: 'R' },
    });
    expect(nodeTestDataFrom(sample, 'writer', null)).toEqual({ input: {}, upstream: {} });
  });
});
