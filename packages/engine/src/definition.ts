/**
 * The workflow definition: one JSON document (nodes, edges, input/output schemas, settings) that a
 * draft holds and a version snapshots. This file owns its shape (zod) and its structural rules
 * (unique ids, edges between existing nodes, no cycles). Per-node-type config rules live with the
 * node types.
 */
import { z } from 'zod';
import { formatPath, type ValidationIssue, WorkflowValidationError } from './errors.ts';
import { findUnsafeJson } from './json-safety.ts';

export const MAX_NODES = 2_000;
export const MAX_EDGES = 5_000;

const id = z
  .string()
  .min(1, 'required')
  .max(64, 'at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, "_" and "-"');

/** Handles are optional; React Flow sends `null` for "the default handle", so null means absent. */
const handle = z.preprocess((v) => v ?? undefined, z.string().max(64).optional());

const jsonObject = z.record(z.string(), z.unknown());

export const nodeSchema = z.object({
  id,
  type: z
    .string()
    .min(1, 'required')
    .max(64)
    .regex(/^[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)?$/, 'a node type name like "agent" or "acme/slack"'),
  name: z.string().max(200, 'at most 200 characters').default(''),
  position: z.object({ x: z.number().finite(), y: z.number().finite() }).default({ x: 0, y: 0 }),
  config: jsonObject.default({}),
});

export const edgeSchema = z.object({
  id,
  source: id,
  target: id,
  sourceHandle: handle,
  targetHandle: handle,
});

export const workflowDefinitionSchema = z.object({
  nodes: z.array(nodeSchema).max(MAX_NODES, `at most ${MAX_NODES} nodes`).default([]),
  edges: z.array(edgeSchema).max(MAX_EDGES, `at most ${MAX_EDGES} edges`).default([]),
  inputSchema: jsonObject.optional(),
  outputSchema: jsonObject.optional(),
  settings: jsonObject.optional(),
});

export type WorkflowNode = z.output<typeof nodeSchema>;
export type WorkflowEdge = z.output<typeof edgeSchema>;
export type WorkflowDefinition = z.output<typeof workflowDefinitionSchema>;
/** What callers may send: defaults (name, position, config) filled in on parse. */
export type WorkflowDefinitionInput = z.input<typeof workflowDefinitionSchema>;

export const emptyDefinition = (): WorkflowDefinition => ({ nodes: [], edges: [] });

/** Rules that need the whole graph: unique ids, edges to existing nodes, no cycles. */
export function checkWorkflowStructure(def: WorkflowDefinition, prefix = 'definition'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (...path: PropertyKey[]) => formatPath(path, prefix);

  const nodeIds = new Set<string>();
  def.nodes.forEach((node, i) => {
    if (nodeIds.has(node.id))
      issues.push({ path: at('nodes', i, 'id'), message: `duplicate node id "${node.id}"` });
    nodeIds.add(node.id);
  });

  const edgeIds = new Set<string>();
  const edgeKeys = new Set<string>();
  def.edges.forEach((edge, i) => {
    if (edgeIds.has(edge.id))
      issues.push({ path: at('edges', i, 'id'), message: `duplicate edge id "${edge.id}"` });
    edgeIds.add(edge.id);
    if (!nodeIds.has(edge.source))
      issues.push({ path: at('edges', i, 'source'), message: `unknown node "${edge.source}"` });
    if (!nodeIds.has(edge.target))
      issues.push({ path: at('edges', i, 'target'), message: `unknown node "${edge.target}"` });
    if (edge.source === edge.target)
      issues.push({ path: at('edges', i), message: `connects node "${edge.source}" to itself` });
    const key = `${edge.source}\u0000${edge.sourceHandle ?? ''}\u0000${edge.target}\u0000${edge.targetHandle ?? ''}`;
    if (edgeKeys.has(key))
      issues.push({
        path: at('edges', i),
        message: `duplicates another edge from "${edge.source}" to "${edge.target}"`,
      });
    edgeKeys.add(key);
  });

  // Cycles only make sense to look for once every edge points at a real node.
  if (issues.length === 0) {
    const cycle = findCycle(def);
    if (cycle) {
      issues.push({
        path: at('edges', cycle.edgeIndex),
        message: `creates a cycle: ${cycle.nodeIds.map((n) => `"${n}"`).join(' → ')}`,
      });
    }
  }
  return issues;
}

/**
 * Finds one cycle with an iterative depth-first search (graphs may be thousands of nodes long, so
 * no recursion). Returns the node ids around the loop and the index of the edge that closes it.
 */
export function findCycle(def: WorkflowDefinition): { nodeIds: string[]; edgeIndex: number } | null {
  const outgoing = new Map<string, Array<{ target: string; edgeIndex: number }>>();
  def.edges.forEach((edge, edgeIndex) => {
    const list = outgoing.get(edge.source) ?? [];
    list.push({ target: edge.target, edgeIndex });
    outgoing.set(edge.source, list);
  });

  const state = new Map<string, 'open' | 'done'>();
  for (const root of def.nodes) {
    if (state.has(root.id)) continue;
    const path: string[] = [root.id];
    const cursors: number[] = [0];
    state.set(root.id, 'open');
    while (path.length > 0) {
      const nodeId = path[path.length - 1]!;
      const next = outgoing.get(nodeId)?.[cursors[cursors.length - 1]!];
      if (!next) {
        state.set(nodeId, 'done');
        path.pop();
        cursors.pop();
        continue;
      }
      cursors[cursors.length - 1]!++;
      const seen = state.get(next.target);
      if (seen === 'open') {
        const loop = path.slice(path.indexOf(next.target));
        return { nodeIds: [...loop, next.target], edgeIndex: next.edgeIndex };
      }
      if (seen === undefined) {
        state.set(next.target, 'open');
        path.push(next.target);
        cursors.push(0);
      }
    }
  }
  return null;
}

export type DefinitionCheck =
  | { valid: true; definition: WorkflowDefinition; issues: [] }
  | { valid: false; issues: ValidationIssue[] };

/**
 * Checks an untrusted value as a workflow definition: safe JSON first (depth, prototype keys),
 * then shape, then graph structure. Every issue carries a path under `prefix`.
 */
export function checkWorkflowDefinition(value: unknown, prefix = 'definition'): DefinitionCheck {
  const unsafe = findUnsafeJson(value, prefix ? [prefix] : []);
  if (unsafe.length > 0) return { valid: false, issues: unsafe };

  const parsed = workflowDefinitionSchema.safeParse(value);
  if (!parsed.success) {
    return {
      valid: false,
      issues: parsed.error.issues.map((issue) => ({
        path: formatPath(issue.path, prefix),
        message: issue.message,
      })),
    };
  }
  const structural = checkWorkflowStructure(parsed.data, prefix);
  if (structural.length > 0) return { valid: false, issues: structural };
  return { valid: true, definition: parsed.data, issues: [] };
}

/** Like `checkWorkflowDefinition`, but throws `WorkflowValidationError` listing every issue. */
export function parseWorkflowDefinition(value: unknown, prefix = 'definition'): WorkflowDefinition {
  const result = checkWorkflowDefinition(value, prefix);
  if (!result.valid) throw new WorkflowValidationError(result.issues);
  return result.definition;
}
