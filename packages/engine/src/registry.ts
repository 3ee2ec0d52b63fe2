/**
 * The node-type registry: built-in types plus any loaded from plugin packages. The executor looks
 * types up here, validation checks configs against their schemas, and `list()` is what the editor's
 * palette and config forms are drawn from (config as JSON Schema, so the form and the real type can
 * never disagree).
 */
import { z } from 'zod';
import { type AnyNodeType, checkNodeType, type NodeRegistry, type NodeTypeInfo } from './node-type.ts';
import { agentNode } from './nodes/agent.ts';
import { conditionNode } from './nodes/condition.ts';
import { httpNode } from './nodes/http.ts';
import { inputNode } from './nodes/input.ts';
import { mergeNode } from './nodes/merge.ts';
import { outputNode } from './nodes/output.ts';
import { transformNode } from './nodes/transform.ts';

export const builtinNodeTypes: readonly AnyNodeType[] = [
  inputNode,
  agentNode,
  transformNode,
  conditionNode,
  httpNode,
  mergeNode,
  outputNode,
];

export const BUILTIN_NODE_TYPE_NAMES: ReadonlySet<string> = new Set(builtinNodeTypes.map((t) => t.type));

function describeType(nodeType: AnyNodeType): NodeTypeInfo {
  let configJsonSchema: Record<string, unknown>;
  try {
    configJsonSchema = z.toJSONSchema(nodeType.configSchema, {
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
  } catch {
    // A schema zod cannot describe (a custom refinement) still gets a form: a free JSON object.
    configJsonSchema = { type: 'object' };
  }
  return {
    type: nodeType.type,
    version: nodeType.version,
    label: nodeType.label,
    category: nodeType.category,
    description: nodeType.description,
    inputs: { min: nodeType.inputs.min, max: nodeType.inputs.max ?? null },
    outputs: [...nodeType.outputs],
    defaultConfig: structuredClone(nodeType.defaultConfig ?? {}),
    configJsonSchema,
    builtin: BUILTIN_NODE_TYPE_NAMES.has(nodeType.type),
  };
}

/**
 * A registry of the built-in types plus `extra` (e.g. from `loadNodePackages`). An extra type may
 * not reuse a built-in's name or another extra's: a workflow's `type` must mean one thing.
 */
export function createNodeRegistry(extra: readonly AnyNodeType[] = []): NodeRegistry {
  const types = new Map<string, AnyNodeType>();
  for (const nodeType of builtinNodeTypes) types.set(nodeType.type, nodeType);
  for (const nodeType of extra) {
    const problems = checkNodeType(nodeType);
    if (problems.length > 0)
      throw new TypeError(`invalid node type "${String(nodeType?.type)}": ${problems.join('; ')}`);
    if (BUILTIN_NODE_TYPE_NAMES.has(nodeType.type))
      throw new TypeError(`node type "${nodeType.type}" clashes with the built-in type of that name`);
    if (types.has(nodeType.type)) throw new TypeError(`node type "${nodeType.type}" is registered twice`);
    types.set(nodeType.type, nodeType);
  }
  let listed: NodeTypeInfo[] | undefined;
  return {
    get: (type) => types.get(type),
    has: (type) => types.has(type),
    list() {
      listed ??= [...types.values()].map(describeType);
      return structuredClone(listed);
    },
  };
}
