/**
 * Small workflows on the offline mock provider, shared by runner tests, the fault drills and
 * anything else that runs outside vitest (so: no test-framework imports here).
 */
import type { ProviderId, WorkflowDefinition } from '@swarm/engine';

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

/**
 * input → agent → output, the agent with two tools bound to nodes of the workflow: `lookup_city`
 * (one transform) and `convert_temp` (a transform leading to an output: a sub-flow). The tools'
 * arguments are their run input.
 */
export function toolAgent(agent: {
  provider: ProviderId;
  model: string;
  systemPrompt?: string | undefined;
  maxTurns?: number | undefined;
}): WorkflowDefinition {
  const node = (id: string, type: string, x: number, config: Record<string, unknown> = {}, y = 0) => ({
    id,
    type,
    name: '',
    position: { x, y },
    config,
  });
  return {
    nodes: [
      node('input', 'input', 0),
      node('agent', 'agent', 200, {
        role: 'forecaster',
        provider: agent.provider,
        model: agent.model,
        ...(agent.systemPrompt ? { systemPrompt: agent.systemPrompt } : {}),
        prompt: 'What is the weather in {{input.city}}, in Fahrenheit?',
        useModelMap: false,
        retry: { retries: 0 },
        maxTurns: agent.maxTurns ?? 4,
        tools: [
          {
            name: 'lookup_city',
            description: "Today's weather in a city, in Celsius",
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            },
            node: 'lookup',
          },
          {
            name: 'convert_temp',
            description: 'Celsius to Fahrenheit',
            parameters: {
              type: 'object',
              properties: { celsius: { type: 'number' } },
              required: ['celsius'],
            },
            node: 'to-f',
          },
        ],
      }),
      node('output', 'output', 400),
      // The tools' nodes, in a row below the graph they don't belong to.
      node(
        'lookup',
        'transform',
        200,
        { expression: '{"city": input.city, "celsius": 21, "sky": "clear"}' },
        250,
      ),
      node('to-f', 'transform', 400, { expression: '{"fahrenheit": input.celsius * 9 / 5 + 32}' }, 250),
      node('to-f-out', 'output', 600, {}, 250),
    ],
    edges: [
      { id: 'e1', source: 'input', target: 'agent' },
      { id: 'e2', source: 'agent', target: 'output' },
      { id: 'e3', source: 'to-f', target: 'to-f-out' },
    ],
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };
}
