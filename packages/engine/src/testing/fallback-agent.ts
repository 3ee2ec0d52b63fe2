/**
 * input → agent → output, where the agent's mock model fails and its fallback (`mock/echo`)
 * answers: the fixture for anything that must see a provider fallback inside one step (metrics,
 * traces). `failing` is a mock model spec such as `delay:3,fail:500`.
 */
import type { WorkflowDefinition } from '../definition.ts';

const node = (id: string, type: string, x: number, config: Record<string, unknown> = {}) => ({
  id,
  type,
  name: id,
  position: { x, y: 0 },
  config,
});

export function fallbackAgentWorkflow(failing: string): WorkflowDefinition {
  return {
    nodes: [
      node('input', 'input', 0),
      node('writer', 'agent', 200, {
        role: 'writer',
        provider: 'mock',
        model: failing,
        fallback: [{ provider: 'mock', model: 'echo' }],
        useModelMap: false,
        retry: { retries: 0 },
        prompt: 'Q: {{input.query}}',
      }),
      node('output', 'output', 400),
    ],
    edges: [
      { id: 'e1', source: 'input', target: 'writer' },
      { id: 'e2', source: 'writer', target: 'output' },
    ],
    inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
  } as WorkflowDefinition;
}
