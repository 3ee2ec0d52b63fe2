/** Small workflows the API tests run against a provider answered by msw. */

/** input → `ask` (an OpenAI agent on `model`, prompted with `input.q`) → output. */
export function openAiAgentWorkflow(model: string) {
  return {
    nodes: [
      { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
      {
        id: 'ask',
        type: 'agent',
        name: 'Ask',
        position: { x: 200, y: 0 },
        config: { role: 'asker', provider: 'openai', model, prompt: '{{input.q}}' },
      },
      { id: 'output', type: 'output', name: 'Out', position: { x: 400, y: 0 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 'input', target: 'ask' },
      { id: 'e2', source: 'ask', target: 'output' },
    ],
  };
}
