/**
 * The node types the editor offers, with their default config. A static list for now; it is meant
 * to be replaced by the server's `nodeTypes.list` (the plugin registry), so everything the editor
 * knows about node types goes through `paletteEntry()` and this file only.
 */

export type NodeCategory = 'trigger' | 'ai' | 'logic' | 'data' | 'integration' | 'result';

export interface PaletteEntry {
  type: string;
  label: string;
  category: NodeCategory;
  description: string;
  defaultConfig: Record<string, unknown>;
  /** Whether the node accepts incoming edges / has an outgoing handle. */
  hasInput: boolean;
  hasOutput: boolean;
}

export const NODE_PALETTE: PaletteEntry[] = [
  {
    type: 'input',
    label: 'Input',
    category: 'trigger',
    description: 'Where the run input enters the workflow',
    defaultConfig: {},
    hasInput: false,
    hasOutput: true,
  },
  {
    type: 'agent',
    label: 'Agent',
    category: 'ai',
    description: 'An LLM agent with a role, model and prompt',
    defaultConfig: {
      role: 'assistant',
      provider: 'mock',
      model: 'echo',
      prompt: '{{input.query}}',
    },
    hasInput: true,
    hasOutput: true,
  },
  {
    type: 'transform',
    label: 'Transform',
    category: 'data',
    description: 'Reshape data with a JSONata expression',
    defaultConfig: { expression: '$' },
    hasInput: true,
    hasOutput: true,
  },
  {
    type: 'condition',
    label: 'Condition',
    category: 'logic',
    description: 'Branch on a JSONata expression',
    defaultConfig: { expression: 'true' },
    hasInput: true,
    hasOutput: true,
  },
  {
    type: 'http',
    label: 'HTTP request',
    category: 'integration',
    description: 'Call an external HTTP API',
    defaultConfig: { method: 'GET', url: 'https://example.com' },
    hasInput: true,
    hasOutput: true,
  },
  {
    type: 'merge',
    label: 'Merge',
    category: 'logic',
    description: 'Wait for several branches and join them',
    defaultConfig: {},
    hasInput: true,
    hasOutput: true,
  },
  {
    type: 'output',
    label: 'Output',
    category: 'result',
    description: 'The result of the workflow',
    defaultConfig: {},
    hasInput: true,
    hasOutput: false,
  },
];

export const CATEGORY_LABELS: Record<NodeCategory, string> = {
  trigger: 'Trigger',
  ai: 'AI',
  logic: 'Logic',
  data: 'Data',
  integration: 'Integrations',
  result: 'Result',
};

const byType = new Map(NODE_PALETTE.map((entry) => [entry.type, entry]));

/** What the editor knows about a node type; unknown (plugin) types get a neutral fallback. */
export function paletteEntry(type: string): PaletteEntry {
  return (
    byType.get(type) ?? {
      type,
      label: type,
      category: 'integration',
      description: 'Node type from a plugin',
      defaultConfig: {},
      hasInput: true,
      hasOutput: true,
    }
  );
}
