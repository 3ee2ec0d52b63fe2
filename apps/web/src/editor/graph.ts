/**
 * Converts between the stored workflow definition and React Flow's nodes and edges, and holds the
 * graph rules the canvas enforces while editing (new ids, no self-loops or cycles, free spots).
 */
import type { WorkflowDefinition } from '@swarm/engine';
import {
  type Connection,
  type Edge,
  getViewportForBounds,
  MarkerType,
  type Node,
  type Rect,
  type Viewport,
  type XYPosition,
} from '@xyflow/react';

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

/**
 * The least zoom the editor opens a workflow at: node names (14 px) stay at least 11 px on screen.
 * A flow too wide for the window opens at this zoom, centred, rather than shrunk to fit; the
 * minimap and the zoom controls reach the rest.
 */
export const READABLE_MIN_ZOOM = 0.8;

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
  return refusedConnectionReason(edges, connection) === null;
}

/**
 * Why the canvas refuses a connection, in words for the person dragging it — or null when it is
 * allowed. `nameOf` turns node ids into the names shown on the canvas.
 */
export function refusedConnectionReason(
  edges: ReadonlyArray<FlowEdge>,
  connection: Pick<Connection, 'source' | 'target'> &
    Partial<Pick<Connection, 'sourceHandle' | 'targetHandle'>>,
  nameOf: (nodeId: string) => string = (id) => id,
): string | null {
  const { source, target } = connection;
  if (!source || !target) return 'Drop the connection on another node’s handle.';
  if (source === target) return `${nameOf(source)} can’t connect to itself: a workflow has no loops.`;
  const duplicate = edges.some(
    (edge) =>
      edge.source === source &&
      edge.target === target &&
      (edge.sourceHandle ?? null) === (connection.sourceHandle ?? null) &&
      (edge.targetHandle ?? null) === (connection.targetHandle ?? null),
  );
  if (duplicate) return `${nameOf(source)} is already connected to ${nameOf(target)}.`;
  if (wouldCreateCycle(edges, source, target))
    return `${nameOf(source)} → ${nameOf(target)} would make a loop: ${nameOf(target)} already leads to ${nameOf(source)}, and a workflow runs each step once.`;
  return null;
}

const GRID = 10;
export const snapToGrid = (p: XYPosition): XYPosition => ({
  x: Math.round(p.x / GRID) * GRID,
  y: Math.round(p.y / GRID) * GRID,
});

/** A node's box on the canvas: its measured size once drawn, the card's default size before. */
export function nodeBox(node: Pick<FlowNode, 'position' | 'measured'>) {
  return {
    x: node.position.x,
    y: node.position.y,
    width: node.measured?.width ?? NODE_WIDTH,
    height: node.measured?.height ?? NODE_HEIGHT,
  };
}

/** Room kept between a new node and its neighbours, so handles and edges stay reachable. */
const GAP_X = 60;
const GAP_Y = 24;

/**
 * Moves a proposed top-left position down (below whatever it lands on; after a few tries, a column
 * to the right) until a new card there overlaps no existing node's box, measured sizes included, so
 * nodes added one after another stay visible and their handles reachable.
 */
export function findFreeSpot(
  nodes: ReadonlyArray<Pick<FlowNode, 'position' | 'measured'>>,
  wanted: XYPosition,
): XYPosition {
  const boxes = nodes.map(nodeBox);
  const start = snapToGrid(wanted);
  const position = { ...start };
  const blocker = (p: XYPosition) =>
    boxes.find(
      (box) =>
        p.x < box.x + box.width + GAP_X &&
        box.x < p.x + NODE_WIDTH + GAP_X &&
        p.y < box.y + box.height + GAP_Y &&
        box.y < p.y + NODE_HEIGHT + GAP_Y,
    );
  for (let i = 0; i < 50; i++) {
    const hit = blocker(position);
    if (!hit) return position;
    if (i % 6 === 5) {
      position.x += NODE_WIDTH + GAP_X;
      position.y = start.y;
    } else {
      position.y = Math.ceil((hit.y + hit.height + GAP_Y) / GRID) * GRID;
    }
  }
  return position;
}

/**
 * Where a node added from the palette goes: right of `anchor` (the selected node, else the last
 * one added), on its row, or the nearest free spot below; a chain built click by click reads left
 * to right instead of piling up on the middle of the flow.
 */
export function spotBeside(
  nodes: ReadonlyArray<Pick<FlowNode, 'position' | 'measured'>>,
  anchor: Pick<FlowNode, 'position' | 'measured'>,
): XYPosition {
  const box = nodeBox(anchor);
  return findFreeSpot(nodes, { x: box.x + box.width + 80, y: box.y });
}

/**
 * The view after a node was added out of sight: zoomed out (not below the readable zoom, nor
 * further than the user had zoomed) to show the whole flow with it, else centred on the new node
 * at that zoom, so it is on screen either way.
 */
export function viewportShowing(
  boxes: ReadonlyArray<Rect>,
  added: Rect,
  canvas: { width: number; height: number },
  zoom: number,
): Viewport {
  const all = [...boxes, added];
  const left = Math.min(...all.map((b) => b.x));
  const top = Math.min(...all.map((b) => b.y));
  const right = Math.max(...all.map((b) => b.x + b.width));
  const bottom = Math.max(...all.map((b) => b.y + b.height));
  const fitted = getViewportForBounds(
    { x: left, y: top, width: right - left, height: bottom - top },
    canvas.width,
    canvas.height,
    Math.min(READABLE_MIN_ZOOM, zoom),
    zoom,
    0.05,
  );
  const screenX = added.x * fitted.zoom + fitted.x;
  const screenY = added.y * fitted.zoom + fitted.y;
  const visible =
    screenX >= 0 &&
    screenY >= 0 &&
    screenX + added.width * fitted.zoom <= canvas.width &&
    screenY + added.height * fitted.zoom <= canvas.height;
  if (visible) return fitted;
  return {
    zoom: fitted.zoom,
    x: canvas.width / 2 - (added.x + added.width / 2) * fitted.zoom,
    y: canvas.height / 2 - (added.y + added.height / 2) * fitted.zoom,
  };
}
