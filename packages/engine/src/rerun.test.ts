import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from './definition.ts';
import { selectReusableSteps } from './rerun.ts';
import { sampleWorkflowDefinition } from './sample-workflow.ts';

describe('re-runs', () => {
  it('reuses every finished step outside the re-run node’s downstream, unchanged nodes only', () => {
    const definition = sampleWorkflowDefinition();
    const steps = ['input', 'researcher', 'critic', 'merge', 'writer', 'output'].map((nodeId) => ({
      id: `step-${nodeId}`,
      nodeId,
      status: 'succeeded' as const,
    }));
    const reuse = (target: WorkflowDefinition, fromNodeId?: string, inputChanged = false) =>
      selectReusableSteps({ source: { definition, steps }, target, fromNodeId, inputChanged });

    expect(reuse(definition)).toEqual([]);
    expect(reuse(definition, 'writer')).toEqual([
      'step-input',
      'step-researcher',
      'step-critic',
      'step-merge',
    ]);
    expect(reuse(definition, 'critic')).toEqual(['step-input', 'step-researcher']);
    expect(reuse(definition, 'critic', true)).toEqual(['step-researcher']);
    const edited = structuredClone(definition);
    edited.nodes.find((n) => n.id === 'researcher')!.config.model = 'delay:10';
    expect(reuse(edited, 'writer')).toEqual(['step-input', 'step-critic', 'step-merge']);
    expect(() => reuse(definition, 'nope')).toThrow(/unknown node "nope"/);
  });

  it('reuses only succeeded or skipped steps of nodes still in the target', () => {
    const definition = sampleWorkflowDefinition();
    const steps = [
      { id: 's-input', nodeId: 'input', status: 'skipped' },
      { id: 's-researcher', nodeId: 'researcher', status: 'failed' },
      { id: 's-critic', nodeId: 'critic', status: 'running' },
      { id: 's-merge', nodeId: 'merge', status: 'succeeded' },
    ];
    const target = structuredClone(definition);
    target.nodes = target.nodes.filter((n) => n.id !== 'merge');
    target.edges = target.edges.filter((e) => e.source !== 'merge' && e.target !== 'merge');
    expect(
      selectReusableSteps({
        source: { definition, steps },
        target,
        fromNodeId: 'writer',
        inputChanged: false,
      }),
    ).toEqual(['s-input']);
  });

  it('compares configs whatever their key order', () => {
    const definition = sampleWorkflowDefinition();
    const target = structuredClone(definition);
    const researcher = target.nodes.find((n) => n.id === 'researcher')!;
    researcher.config = Object.fromEntries(Object.entries(researcher.config).reverse());
    const steps = [{ id: 's-researcher', nodeId: 'researcher', status: 'succeeded' }];
    expect(
      selectReusableSteps({
        source: { definition, steps },
        target,
        fromNodeId: 'writer',
        inputChanged: false,
      }),
    ).toEqual(['s-researcher']);
  });
});
