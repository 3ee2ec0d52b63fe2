/**
 * The sample multi-agent workflow every new installation starts with: two agents research and
 * critique in parallel, a merge joins them, a writer turns both into an answer. Its agents use the
 * offline `mock` provider, so it runs without any API key.
 */
import type { WorkflowDefinition } from './definition.ts';

export const SAMPLE_WORKFLOW_NAME = 'Research brief (sample)';

export function sampleWorkflowDefinition(): WorkflowDefinition {
  return {
    nodes: [
      { id: 'input', type: 'input', name: 'Question', position: { x: 0, y: 160 }, config: {} },
      {
        id: 'researcher',
        type: 'agent',
        name: 'Researcher',
        position: { x: 280, y: 40 },
        config: {
          role: 'researcher',
          provider: 'mock',
          model: 'echo',
          systemPrompt: 'You collect the facts that matter for the question.',
          prompt: 'Research this question: {{input.query}}',
          temperature: 0.2,
          maxTokens: 800,
          fallback: [{ provider: 'mock', model: 'delay:50' }],
        },
      },
      {
        id: 'critic',
        type: 'agent',
        name: 'Critic',
        position: { x: 280, y: 280 },
        config: {
          role: 'critic',
          provider: 'mock',
          model: 'echo',
          systemPrompt: 'You list the weak points and open questions.',
          prompt: 'What could go wrong when answering: {{input.query}}',
          temperature: 0.4,
          maxTokens: 400,
        },
      },
      { id: 'merge', type: 'merge', name: 'Combine', position: { x: 560, y: 160 }, config: {} },
      {
        id: 'writer',
        type: 'agent',
        name: 'Writer',
        position: { x: 820, y: 160 },
        config: {
          role: 'writer',
          provider: 'mock',
          model: 'echo',
          systemPrompt: 'You write a short, clear brief.',
          prompt: 'Facts: {{nodes.researcher.output}}\nRisks: {{nodes.critic.output}}\nWrite the brief.',
          temperature: 0.7,
          maxTokens: 1200,
        },
      },
      { id: 'output', type: 'output', name: 'Brief', position: { x: 1080, y: 160 }, config: {} },
    ],
    edges: [
      { id: 'e-input-researcher', source: 'input', target: 'researcher' },
      { id: 'e-input-critic', source: 'input', target: 'critic' },
      { id: 'e-researcher-merge', source: 'researcher', target: 'merge' },
      { id: 'e-critic-merge', source: 'critic', target: 'merge' },
      { id: 'e-merge-writer', source: 'merge', target: 'writer' },
      { id: 'e-writer-output', source: 'writer', target: 'output' },
    ],
    inputSchema: {
      type: 'object',
      properties: { query: { type: 'string', minLength: 1, description: 'What to research' } },
      required: ['query'],
    },
    outputSchema: { type: 'object' },
  };
}
