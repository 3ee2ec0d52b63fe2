/**
 * A workflow with one node of every built-in type, with template and expression references between
 * them: the fixture for anything that must carry every node type's config intact (transfer, compare).
 */
import type { WorkflowDefinition } from '../definition.ts';

/** One node of every built-in type, with template and expression references between them. */
export function everyNodeType(): WorkflowDefinition {
  return {
    nodes: [
      { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
      {
        id: 'ask',
        type: 'agent',
        name: 'Ask',
        position: { x: 200, y: 0 },
        config: { role: 'asker', provider: 'mock', model: 'echo', prompt: 'Q: {{input.query}}' },
      },
      {
        id: 'check',
        type: 'condition',
        name: 'Check',
        position: { x: 400, y: 0 },
        config: { expression: '$length(nodes.ask.output) > 3' },
      },
      {
        id: 'shape',
        type: 'transform',
        name: 'Shape',
        position: { x: 600, y: -100 },
        config: { expression: '{ "text": nodes.ask.output }' },
      },
      {
        id: 'call',
        type: 'http',
        name: 'Call',
        position: { x: 600, y: 100 },
        config: {
          method: 'POST',
          url: 'https://example.com/hook',
          headers: { 'content-type': 'application/json' },
          body: { text: '{{nodes.ask.output}}', raw: '{{ nodes["ask"].output }}' },
        },
      },
      { id: 'join', type: 'merge', name: 'Join', position: { x: 800, y: 0 }, config: {} },
      { id: 'out', type: 'output', name: 'Out', position: { x: 1000, y: 0 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 'in', target: 'ask' },
      { id: 'e2', source: 'ask', target: 'check' },
      { id: 'e3', source: 'check', target: 'shape', sourceHandle: 'true' },
      { id: 'e4', source: 'check', target: 'call', sourceHandle: 'false' },
      { id: 'e5', source: 'shape', target: 'join' },
      { id: 'e6', source: 'call', target: 'join' },
      { id: 'e7', source: 'join', target: 'out' },
    ],
    inputSchema: { type: 'object', properties: { query: { type: 'string' } } },
  };
}
