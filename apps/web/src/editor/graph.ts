/**
 * Converts between the stored workflow definition and React Flow's nodes and edges, and holds the
 * graph rules the canvas enforces while editing (new ids, no self-loops or cycles, free spots).
 */
import type { WorkflowDefinition } from '@swarm/engine';
import { type Connection, type Edge, MarkerType, type Node, type XYPosition } from '@xyflow/react';

export type WorkflowNodeData = {
  nodeType: string;
  name: string;
  config: Record<string, unknown>;
};
export type FlowNode = Node<WorkflowNodeData, 'workflow'>;
export type FlowEdge = Edge;

/** The parts of a definition the canvas does not edit; kept as they were and saved back. */
export type DefinitionExtras = Omit<WorkflowDefinition, 'nodes' | 'edges'>;

export const NODE_WIDTH = 240;
export const NODE_HEIGHT = 84;

export const edgeDefaults = {
  type: 'default',
  markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 },
} satisfies Partial<Edge>;

export function toFlow(def: WorkflowDefinition): {
  nodes: FlowNode[];
  edges: FlowEdge[];
  extras: DefinitionExtras;
} {
  const { nodes, edges, ...extras } = def;
  return {
    nodes: nodes.map((node) => ({
      id: node.id,
      type: 'workflow',
      position: { x: node.position?.x ?? 0, y: node.position?.y ?? 0 },
      data: { nodeType: node.type, name: node.name ?? '', config: node.config ?? {} },
    })),
    edges: edges.map((edge) => ({
      ...edgeDefaults,
      id: edge.id,
      source: edge.source,
      target: edge.target,
      sourceHandle: edge.sourceHandle ?? null,
      targetHandle: edge.targetHandle ?? null,
    })),
    extras,
  };
}

export function toDefinition(
  nodes: FlowNode[],
  edges: FlowEdge[],
  extras: DefinitionExtras,
): WorkflowDefinition {
  return {
    ...extras,
    nodes: nodes.map((node) => ({
      id: node.id,
      type: node.data.nodeType,
      name: node.data.name,
      position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
      config: node.data.config,
    })),
    edges: edges.map((edge) => ({
      id: edge.id,
      source: edge.source,
      target: edge.target,
      ...(edge.sourceHandle ? { sourceHandle: edge.sourceHandle } : {}),
      ...(edge.targetHandle ? { targetHandle: edge.targetHandle } : {}),
    })),
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function random6(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

/** `${type}-${random6}`; plugin types like `acme/slack` lose the characters ids may not hold. */
export function newNodeId(type: string, taken: ReadonlySet<string>): string {
  const prefix = type.replace(/[^A-Za-z0-9_-]+/g, '-');
  for (;;) {
    const id = `${prefix}-${random6()}`;
    if (!taken.has(id)) return id;
  }
}

export function newEdgeId(taken: ReadonlySet<string>): string {
  for (;;) {
    const id = `e-${random6()}`;
    if (!taken.has(id)) return id;
  }
}

/**
 * Whether adding source → target would close a loop: true when target already reaches source
 * (or they are the same node). Iterative, so long chains cannot overflow the stack.
 */
export function wouldCreateCycle(
  edges: ReadonlyArray<Pick<FlowEdge, 'source' | 'target'>>,
  source: string,
  target: string,
) {
  if (source === target) return true;
  const outgoing = new Map<string, string[]>();
  for (const edge of edges) {
    const list = outgoing.get(edge.source);
    if (list) list.push(edge.target);
    else outgoing.set(edge.source, [edge.target]);
  }
  const seen = new Set<string>([target]);
  const stack = [target];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current === source) return true;
    for (const next of outgoing.get(current) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return false;
}

export function isAllowedConnection(edges: FlowEdge[], connection: Connection | FlowEdge): boolean {
  const { source, target } = connection;
  if (!source || !target) return false;
  const duplicate = edges.some(
    (edge) =>
      edge.source === source &&
      edge.target === target &&
      (edge.sourceHandle ?? null) === (connection.sourceHandle ?? null) &&
      (edge.targetHandle ?? null) === (connection.targetHandle ?? null),
  );
  return !duplicate && !wouldCreateCycle(edges, source, target);
}

const GRID = 10;
export const snapToGrid = (p: XYPosition): XYPosition => ({
  x: Math.round(p.x / GRID) * GRID,
  y: Math.round(p.y / GRID) * GRID,
});

/**
 * Moves a proposed top-left position down until it no longer overlaps an existing node, so
 * nodes added one after another from the palette stay visible and their handles reachable.
 */
export function findFreeSpot(nodes: FlowNode[], wanted: XYPosition): XYPosition {
  const position = snapToGrid(wanted);
  const overlaps = (p: XYPosition) =>
    nodes.some(
      (node) =>
        Math.abs(node.position.x - p.x) < NODE_WIDTH + 20 &&
        Math.abs(node.position.y - p.y) < NODE_HEIGHT + 24,
    );
  for (let i = 0; i < 50 && overlaps(position); i++) {
    position.y += NODE_HEIGHT + 32;
    if (i % 6 === 5) {
      position.x += NODE_WIDTH + 60;
      position.y = snapToGrid(wanted).y;
    }
  }
  return position;
}
