/**
 * Comparing two workflow definitions (two versions, or a version and the draft): a summary a person
 * reads — nodes, edges and agents added, removed, modified (with the fields that changed) or moved —
 * and a jsondiffpatch delta a UI can render or apply.
 *
 * Nodes and edges are matched by id, never by array position: reordering the arrays changes nothing,
 * a renamed node is the same node (modified: `name`), and a node dragged elsewhere on the canvas is
 * "moved", not modified (layout is not behaviour).
 */
import { create, type Delta } from 'jsondiffpatch';
import type { WorkflowDefinition, WorkflowEdge, WorkflowNode } from './definition.ts';

export interface NodeRef {
  id: string;
  type: string;
  name: string;
}

export interface ModifiedNode extends NodeRef {
  /** What changed: `name`, `type`, or config keys as `config.prompt`, `config.model`. */
  fields: string[];
}

export interface MovedNode extends NodeRef {
  from: { x: number; y: number };
  to: { x: number; y: number };
}

export interface EdgeRef {
  id: string;
  source: string;
  target: string;
}

export interface ModifiedEdge extends EdgeRef {
  /** `source`, `target`, `sourceHandle`, `targetHandle`. */
  fields: string[];
}

export interface NodeChanges {
  added: NodeRef[];
  removed: NodeRef[];
  modified: ModifiedNode[];
  moved: MovedNode[];
}

export interface DefinitionChangeSummary {
  /** True when nothing at all differs (layout included). */
  identical: boolean;
  nodes: NodeChanges;
  edges: { added: EdgeRef[]; removed: EdgeRef[]; modified: ModifiedEdge[] };
  /** The same as `nodes`, restricted to `agent` nodes (on either side). */
  agents: NodeChanges;
  /** Top-level parts other than nodes and edges that changed: `inputSchema`, `outputSchema`, `settings`. */
  changed: string[];
}

export interface DefinitionComparison {
  summary: DefinitionChangeSummary;
  /** jsondiffpatch delta from `from` to `to` (arrays diffed by item id); null when identical. */
  delta: Delta | null;
}

/** JSON text with object keys sorted, so two equal values (in any key order) give the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const differ = create({
  // Array items with an id (nodes, edges) are matched by it; anything else by its content. An
  // object without a hash never matches (jsondiffpatch compares by identity then), so equal id-less
  // items such as an agent's `fallback` targets would show as removed and re-added.
  objectHash: (item) => {
    const id = (item as { id?: unknown }).id;
    return typeof id === 'string' ? `id:${id}` : `value:${canonicalJson(item)}`;
  },
  arrays: { detectMove: true, includeValueOnMove: false },
});

/** Order-insensitive for object keys (as jsonb stores them), so key order never counts as a change. */
function sameJson(a: unknown, b: unknown): boolean {
  return differ.diff(a, b) === undefined;
}

const nodeRef = (n: WorkflowNode): NodeRef => ({ id: n.id, type: n.type, name: n.name });
const edgeRef = (e: WorkflowEdge): EdgeRef => ({ id: e.id, source: e.source, target: e.target });

function changedNodeFields(a: WorkflowNode, b: WorkflowNode): string[] {
  const fields: string[] = [];
  if (a.name !== b.name) fields.push('name');
  if (a.type !== b.type) fields.push('type');
  const configA = a.config ?? {};
  const configB = b.config ?? {};
  const keys = [...new Set([...Object.keys(configA), ...Object.keys(configB)])].sort();
  for (const key of keys) {
    const inA = Object.hasOwn(configA, key);
    const inB = Object.hasOwn(configB, key);
    if (inA !== inB || !sameJson(configA[key], configB[key])) fields.push(`config.${key}`);
  }
  return fields;
}

function changedEdgeFields(a: WorkflowEdge, b: WorkflowEdge): string[] {
  return (['source', 'target', 'sourceHandle', 'targetHandle'] as const).filter(
    (field) => (a[field] ?? null) !== (b[field] ?? null),
  );
}

/** What changed from `from` to `to`. Pure: no I/O, inputs untouched. */
export function compareDefinitions(from: WorkflowDefinition, to: WorkflowDefinition): DefinitionComparison {
  const nodes: NodeChanges = { added: [], removed: [], modified: [], moved: [] };
  const fromNodes = new Map(from.nodes.map((n) => [n.id, n]));
  const toNodes = new Map(to.nodes.map((n) => [n.id, n]));
  for (const node of from.nodes) if (!toNodes.has(node.id)) nodes.removed.push(nodeRef(node));
  for (const node of to.nodes) {
    const before = fromNodes.get(node.id);
    if (!before) {
      nodes.added.push(nodeRef(node));
      continue;
    }
    const fields = changedNodeFields(before, node);
    if (fields.length > 0) nodes.modified.push({ ...nodeRef(node), fields });
    const p0 = before.position ?? { x: 0, y: 0 };
    const p1 = node.position ?? { x: 0, y: 0 };
    if (p0.x !== p1.x || p0.y !== p1.y)
      nodes.moved.push({ ...nodeRef(node), from: { x: p0.x, y: p0.y }, to: { x: p1.x, y: p1.y } });
  }

  const edges: DefinitionChangeSummary['edges'] = { added: [], removed: [], modified: [] };
  const fromEdges = new Map(from.edges.map((e) => [e.id, e]));
  const toEdges = new Map(to.edges.map((e) => [e.id, e]));
  for (const edge of from.edges) if (!toEdges.has(edge.id)) edges.removed.push(edgeRef(edge));
  for (const edge of to.edges) {
    const before = fromEdges.get(edge.id);
    if (!before) edges.added.push(edgeRef(edge));
    else {
      const fields = changedEdgeFields(before, edge);
      if (fields.length > 0) edges.modified.push({ ...edgeRef(edge), fields });
    }
  }

  const isAgent = (id: string) => fromNodes.get(id)?.type === 'agent' || toNodes.get(id)?.type === 'agent';
  const agents: NodeChanges = {
    added: nodes.added.filter((n) => isAgent(n.id)),
    removed: nodes.removed.filter((n) => isAgent(n.id)),
    modified: nodes.modified.filter((n) => isAgent(n.id)),
    moved: nodes.moved.filter((n) => isAgent(n.id)),
  };

  const changed = (['inputSchema', 'outputSchema', 'settings'] as const).filter(
    (key) => !sameJson(from[key] ?? null, to[key] ?? null),
  );

  const delta = differ.diff(from, to) ?? null;
  return {
    summary: { identical: delta === null, nodes, edges, agents, changed },
    delta,
  };
}
