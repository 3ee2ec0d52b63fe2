/**
 * Validation of a workflow against the node-type registry, on top of the structural check in
 * definition.ts: known node types, each config against its type's schema, edges leaving from
 * handles that exist, the number of incoming edges each type takes, templates and expressions that
 * parse and only read nodes that run before them, and valid input/output JSON Schemas.
 *
 * Errors make a workflow unrunnable (`validateForRun` throws); drafts may still be saved with them.
 * Warnings (no output node…) never block anything.
 */
import type { z } from 'zod';
import { checkWorkflowDefinition, type WorkflowDefinition } from './definition.ts';
import { formatPath, type ValidationIssue, WorkflowValidationError } from './errors.ts';
import { checkExpressionSyntax, expressionNodeReferences } from './expressions.ts';
import { describeZodIssue } from './humanize-issues.ts';
import type { AnyNodeType, NodeRegistry } from './node-type.ts';
import { compileJsonSchema } from './run-input.ts';
import { collectStrings, scanTemplate } from './templating.ts';
import { checkToolBindings } from './tool-bindings.ts';

export interface WorkflowValidation {
  /** True when there are no errors (warnings allowed). */
  valid: boolean;
  /** The parsed definition (defaults filled), or null when its shape or structure is broken. */
  definition: WorkflowDefinition | null;
  errors: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Parses a node's config with its type's schema (defaults applied), or lists what is wrong. */
export function parseNodeConfig<T extends AnyNodeType>(
  nodeType: T,
  config: unknown,
): { success: true; config: z.output<T['configSchema']> } | { success: false; issues: ConfigProblem[] } {
  const parsed = (nodeType.configSchema as z.ZodType).safeParse(config, { error: describeZodIssue });
  if (parsed.success) return { success: true, config: parsed.data as z.output<T['configSchema']> };
  return {
    success: false,
    issues: parsed.error.issues.map((issue) => ({
      path: issue.path.filter((key): key is string | number => typeof key !== 'symbol'),
      // A bad record key reports "Invalid key in record"; the key schema's own message says why.
      message: (issue.code === 'invalid_key' && issue.issues[0]?.message) || issue.message,
    })),
  };
}

interface ConfigProblem {
  path: Array<string | number>;
  message: string;
}

const quoteList = (names: readonly string[]) => names.map((n) => `"${n}"`).join(' or ');

/** Every node's transitive ancestors, computed on demand (iterative; graphs may be long). */
function ancestorLookup(def: WorkflowDefinition): (nodeId: string) => ReadonlySet<string> {
  const incoming = new Map<string, string[]>();
  for (const edge of def.edges) {
    const list = incoming.get(edge.target) ?? [];
    list.push(edge.source);
    incoming.set(edge.target, list);
  }
  const cache = new Map<string, Set<string>>();
  return (nodeId) => {
    const cached = cache.get(nodeId);
    if (cached) return cached;
    const seen = new Set<string>();
    const stack = [...(incoming.get(nodeId) ?? [])];
    while (stack.length > 0) {
      const current = stack.pop()!;
      if (seen.has(current)) continue;
      seen.add(current);
      stack.push(...(incoming.get(current) ?? []));
    }
    cache.set(nodeId, seen);
    return seen;
  };
}

/** Checks a workflow (untrusted JSON) against the registry; never throws. */
export function validateWorkflow(
  value: unknown,
  registry: NodeRegistry,
  prefix = 'definition',
): WorkflowValidation {
  const structural = checkWorkflowDefinition(value, prefix);
  if (!structural.valid) return { valid: false, definition: null, errors: structural.issues, warnings: [] };
  const def = structural.definition;
  const errors: ValidationIssue[] = [];
  const warnings: ValidationIssue[] = [];
  const at = (...path: Array<string | number>) => formatPath(path, prefix);
  const nodeIds = new Set(def.nodes.map((n) => n.id));
  const ancestorsOf = ancestorLookup(def);

  const incomingCount = new Map<string, number>();
  for (const edge of def.edges) incomingCount.set(edge.target, (incomingCount.get(edge.target) ?? 0) + 1);

  def.nodes.forEach((node, i) => {
    const nodeType = registry.get(node.type);
    if (!nodeType) {
      errors.push({ path: at('nodes', i, 'type'), message: `unknown node type "${node.type}"` });
      return;
    }
    const count = incomingCount.get(node.id) ?? 0;
    const { min, max } = nodeType.inputs;
    if (max === 0 && count > 0)
      errors.push({ path: at('nodes', i), message: `a ${node.type} node takes no incoming connections` });
    else if (max !== undefined && count > max)
      errors.push({
        path: at('nodes', i),
        message: `a ${node.type} node takes at most ${max} incoming connections`,
      });
    else if (count < min)
      errors.push({
        path: at('nodes', i),
        message: `a ${node.type} node needs at least ${min} incoming connection${min === 1 ? '' : 's'}`,
      });

    const parsed = parseNodeConfig(nodeType, node.config);
    if (!parsed.success) {
      for (const issue of parsed.issues)
        errors.push({ path: at('nodes', i, 'config', ...issue.path), message: issue.message });
      return;
    }
    const config = parsed.config as Record<string, unknown>;
    for (const issue of nodeType.validateConfig?.(config) ?? [])
      errors.push({ path: at('nodes', i, 'config', ...issue.path), message: issue.message });

    const checkReference = (path: Array<string | number>, source: string, refId: string) => {
      if (!nodeIds.has(refId))
        errors.push({ path: at(...path), message: `${source} refers to unknown node "${refId}"` });
      else if (!ancestorsOf(node.id).has(refId))
        errors.push({
          path: at(...path),
          message: `${source} reads node "${refId}", which does not run before this node (connect it upstream)`,
        });
    };
    for (const field of nodeType.templateFields ?? []) {
      for (const { path, text } of collectStrings(config[field], ['nodes', i, 'config', field])) {
        const { placeholders, errors: syntax } = scanTemplate(text);
        for (const message of syntax) errors.push({ path: at(...path), message });
        for (const p of placeholders)
          if (p.root === 'nodes') checkReference(path, `{{${p.source}}}`, String(p.segments[0]));
      }
    }
    for (const field of nodeType.expressionFields ?? []) {
      const source = config[field];
      if (typeof source !== 'string') continue;
      const path = ['nodes', i, 'config', field];
      const problem = checkExpressionSyntax(source);
      if (problem) {
        errors.push({ path: at(...path), message: problem });
        continue;
      }
      for (const refId of expressionNodeReferences(source)) checkReference(path, `the expression`, refId);
    }
  });

  const typeOf = new Map(def.nodes.map((n) => [n.id, registry.get(n.type)]));
  def.edges.forEach((edge, j) => {
    const sourceType = typeOf.get(edge.source);
    if (!sourceType) return;
    const outputs = sourceType.outputs;
    const name = `"${edge.source}" (${sourceType.type})`;
    if (outputs.length === 0)
      errors.push({ path: at('edges', j, 'source'), message: `${name} has no outputs to connect from` });
    else if (edge.sourceHandle === undefined) {
      if (outputs.length > 1)
        errors.push({
          path: at('edges', j, 'sourceHandle'),
          message: `required: which output of ${name} this connection leaves from (${quoteList(outputs)})`,
        });
    } else if (!outputs.includes(edge.sourceHandle))
      errors.push({
        path: at('edges', j, 'sourceHandle'),
        message: `"${edge.sourceHandle}" is not an output of ${name} (expected ${quoteList(outputs)})`,
      });
  });

  errors.push(...checkToolBindings(def, at));

  for (const key of ['inputSchema', 'outputSchema'] as const) {
    const schema = def[key];
    if (!schema) continue;
    const compiled = compileJsonSchema(schema);
    if (typeof compiled === 'string') errors.push({ path: at(key), message: compiled });
  }

  if (!def.nodes.some((n) => n.type === 'output'))
    warnings.push({ path: at('nodes'), message: 'no output node: runs will finish with no output' });

  return { valid: errors.length === 0, definition: def, errors, warnings };
}

/** The definition, ready to run; throws `WorkflowValidationError` listing every error otherwise. */
export function validateForRun(
  value: unknown,
  registry: NodeRegistry,
  prefix = 'definition',
): WorkflowDefinition {
  const result = validateWorkflow(value, registry, prefix);
  if (!result.valid || !result.definition) throw new WorkflowValidationError(result.errors);
  return result.definition;
}
