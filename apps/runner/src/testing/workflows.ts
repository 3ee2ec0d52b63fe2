/**
 * Small workflows on the offline mock provider, shared by runner tests, the fault drills and
 * anything else that runs outside vitest (so: no test-framework imports here).
 */
import type { WorkflowDefinition } from '@swarm/engine';

/** input → one agent per model, in a chain → output. Agent ids: a1, a2, … */
export function agentChain(models: string[], settings?: Record<string, unknown>): WorkflowDefinition {
  const agents = models.map((model, i) => ({
    id: `a${i + 1}`,
    type: 'agent',
    name: `Agent ${i + 1}`,
    position: { x: 200 * (i + 1), y: 0 },
    config: {
      role: `role${i + 1}`,
      provider: 'mock',
      model,
      prompt: i === 0 ? 'Q: {{input.query}}' : `After {{nodes.a${i}.output}}`,
    },
  }));
  const ids = ['input', ...agents.map((a) => a.id), 'output'];
  return {
    nodes: [
      { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
      ...agents,
      {
        id: 'output',
        type: 'output',
        name: 'Output',
        position: { x: 200 * (models.length + 1), y: 0 },
        config: {},
      },
    ],
    edges: ids.slice(1).map((target, i) => ({ id: `e${i}`, source: ids[i]!, target })),
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    ...(settings ? { settings } : {}),
  };
}

/** input → output: a run with nothing to spend (schedules and triggers under test). */
export const passThrough: WorkflowDefinition = {
  nodes: [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    { id: 'output', type: 'output', name: 'Out', position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e1', source: 'input', target: 'output' }],
} as unknown as WorkflowDefinition;
