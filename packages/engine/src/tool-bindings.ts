/**
 * Tools of `agent` nodes bound to nodes of the same workflow. A tool names its entry node
 * (`config.tools[k].node`: an `http` or `transform` node); the tool is that node and everything
 * reachable from it along edges (a sub-flow, which then ends in one `output` node). Tool nodes run
 * only when the agent calls the tool — never as ordinary graph nodes — so the definition marks them
 * by the binding alone, and validation refuses a graph where the main flow could reach them: an
 * edge into a tool's sub-flow from outside it. The call's arguments are the sub-flow's run input
 * (`{{input.city}}`), and its output (the `output` node's, or the single node's) is the result.
 */
import type { WorkflowDefinition, WorkflowEdge, WorkflowNode } from './definition.ts';
import type { ValidationIssue } from './errors.ts';

/** Node types a tool may start at. */
export const TOOL_ENTRY_TYPES: ReadonlySet<string> = new Set(['http', 'transform']);
/** Node types a tool's sub-flow may contain besides its entry. */
const SUBFLOW_TYPES: ReadonlySet<string> = new Set(['http', 'transform', 'condition', 'merge', 'output']);

export interface ToolBinding {
  agentId: string;
  agentIndex: number;
  toolIndex: number;
  toolName: string;
  entryId: string;
}

export interface ToolSubflow {
  entryId: string;
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
}

/** The bindings the agents of `def` declare (read from raw config: invalid ones are skipped). */
export function toolBindings(def: WorkflowDefinition): ToolBinding[] {
  const bindings: ToolBinding[] = [];
  def.nodes.forEach((node, agentIndex) => {
    if (node.type !== 'agent' || !Array.isArray(node.config.tools)) return;
    node.config.tools.forEach((tool: unknown, toolIndex) => {
      const { name, node: entryId } = (tool ?? {}) as { name?: unknown; node?: unknown };
      if (typeof entryId === 'string' && entryId.length > 0)
        bindings.push({
          agentId: node.id,
          agentIndex,
          toolIndex,
          toolName: typeof name === 'string' ? name : '',
          entryId,
        });
    });
  });
  return bindings;
}

/** `entryId` and every node reachable from it. */
function reachable(def: WorkflowDefinition, entryId: string): Set<string> {
  const outgoing = new Map<string, string[]>();
  for (const edge of def.edges)
    outgoing.set(edge.source, [...(outgoing.get(edge.source) ?? []), edge.target]);
  const seen = new Set([entryId]);
  const stack = [entryId];
  while (stack.length > 0)
    for (const next of outgoing.get(stack.pop()!) ?? [])
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
  return seen;
}

/** Every tool's sub-flow, by entry node id (for a definition that passed `checkToolBindings`). */
export function toolSubflows(def: WorkflowDefinition): Map<string, ToolSubflow> {
  const subflows = new Map<string, ToolSubflow>();
  for (const { entryId } of toolBindings(def)) {
    if (subflows.has(entryId)) continue;
    const ids = reachable(def, entryId);
    subflows.set(entryId, {
      entryId,
      nodes: def.nodes.filter((n) => ids.has(n.id)),
      edges: def.edges.filter((e) => ids.has(e.source) && ids.has(e.target)),
    });
  }
  return subflows;
}

/** The definition without its tool nodes: what runs as the ordinary graph. */
export function withoutToolNodes(def: WorkflowDefinition, subflows: Map<string, ToolSubflow>) {
  if (subflows.size === 0) return def;
  const toolNodes = new Set([...subflows.values()].flatMap((s) => s.nodes.map((n) => n.id)));
  return {
    ...def,
    nodes: def.nodes.filter((n) => !toolNodes.has(n.id)),
    edges: def.edges.filter((e) => !toolNodes.has(e.source) && !toolNodes.has(e.target)),
  };
}

/** A sub-flow as a workflow of its own: the arguments come in through an `input` node. */
export function subflowDefinition(subflow: ToolSubflow): WorkflowDefinition {
  const taken = new Set(subflow.nodes.map((n) => n.id));
  const fresh = (base: string) => {
    let id = base;
    for (let i = 2; taken.has(id); i++) id = `${base}${i}`;
    taken.add(id);
    return id;
  };
  const inputId = fresh('tool-arguments');
  const nodes: WorkflowNode[] = [
    { id: inputId, type: 'input', name: '', position: { x: 0, y: 0 }, config: {} },
    ...subflow.nodes,
  ];
  const edges: WorkflowEdge[] = [
    { id: fresh('tool-arguments-edge'), source: inputId, target: subflow.entryId },
  ];
  edges.push(...subflow.edges);
  if (!subflow.nodes.some((n) => n.type === 'output')) {
    const outputId = fresh('tool-result');
    nodes.push({ id: outputId, type: 'output', name: '', position: { x: 0, y: 0 }, config: {} });
    edges.push({ id: fresh('tool-result-edge'), source: subflow.entryId, target: outputId });
  }
  return { ...subflow, nodes, edges, inputSchema: undefined, outputSchema: undefined };
}

/**
 * What is wrong with the tool bindings of `def`, each issue naming its path: an unknown or
 * unsuitable entry node, a node bound twice or shared by two tools' sub-flows, an edge into a
 * sub-flow from outside it, a sub-flow node of a type tools can't run, a sub-flow of several
 * nodes without exactly one `output`.
 */
export function checkToolBindings(
  def: WorkflowDefinition,
  at: (...path: Array<string | number>) => string,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const index = new Map(def.nodes.map((n, i) => [n.id, i]));
  const owner = new Map<string, ToolBinding>();
  const label = (b: ToolBinding) => `tool "${b.toolName}" of agent "${b.agentId}"`;
  for (const binding of toolBindings(def)) {
    const path = ['nodes', binding.agentIndex, 'config', 'tools', binding.toolIndex, 'node'];
    const entryIndex = index.get(binding.entryId);
    const entry = entryIndex === undefined ? undefined : def.nodes[entryIndex];
    if (!entry) {
      issues.push({ path: at(...path), message: `unknown node "${binding.entryId}"` });
      continue;
    }
    if (!TOOL_ENTRY_TYPES.has(entry.type)) {
      issues.push({
        path: at(...path),
        message: `"${entry.id}" is not an http or transform node (its type is ${entry.type}): a tool starts at one`,
      });
      continue;
    }
    const nodes = reachable(def, entry.id);
    const clash = [...nodes].map((id) => owner.get(id)).find((b) => b !== undefined);
    if (clash) {
      issues.push({
        path: at(...path),
        message: `"${entry.id}"'s nodes are already bound to ${label(clash)}; give each tool its own nodes`,
      });
      continue;
    }
    for (const id of nodes) owner.set(id, binding);
    if (nodes.has(binding.agentId)) {
      issues.push({ path: at(...path), message: `the sub-flow of "${entry.id}" leads back to the agent` });
      continue;
    }
    for (const id of nodes) {
      const node = def.nodes[index.get(id)!]!;
      if (id !== entry.id && !SUBFLOW_TYPES.has(node.type))
        issues.push({
          path: at('nodes', index.get(id)!),
          message: `a ${node.type} node can't be part of ${label(binding)} (only http, transform, condition, merge and output)`,
        });
    }
    const outputs = [...nodes].filter((id) => def.nodes[index.get(id)!]!.type === 'output');
    if (nodes.size > 1 && outputs.length !== 1)
      issues.push({
        path: at(...path),
        message: `the sub-flow starting at "${entry.id}" must end in exactly one output node (it has ${outputs.length})`,
      });
  }
  def.edges.forEach((edge, j) => {
    const target = owner.get(edge.target);
    if (!target) return;
    if (owner.get(edge.source) === target && edge.target !== target.entryId) return;
    issues.push({
      path: at('edges', j),
      message: `connects "${edge.source}" into "${edge.target}", which belongs to ${label(target)}: tool nodes run only when the agent calls the tool, so nothing else may connect into them`,
    });
  });
  return issues;
}
