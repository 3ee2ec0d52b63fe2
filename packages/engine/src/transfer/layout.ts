/**
 * Automatic layout for imported nodes that come without a position: a left-to-right layered
 * layout (dagre) over the whole graph, applied only to the nodes that lack one.
 */
import { Graph, layout } from '@dagrejs/dagre';

const NODE_WIDTH = 220;
const NODE_HEIGHT = 80;

export interface LayoutNode {
  id: string;
  position?: { x: number; y: number } | undefined;
}

/** Positions for every node: its own when it has one, else one from the layered layout. */
export function layoutMissingPositions(
  nodes: readonly LayoutNode[],
  edges: ReadonlyArray<{ source: string; target: string }>,
): Map<string, { x: number; y: number }> {
  const positions = new Map<string, { x: number; y: number }>();
  const missing = nodes.filter((n) => !n.position);
  if (missing.length > 0) {
    const graph = new Graph();
    graph.setGraph({ rankdir: 'LR', nodesep: 60, ranksep: 120, marginx: 0, marginy: 0 });
    graph.setDefaultEdgeLabel(() => ({}));
    for (const node of nodes) graph.setNode(node.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    for (const edge of edges)
      if (graph.hasNode(edge.source) && graph.hasNode(edge.target)) graph.setEdge(edge.source, edge.target);
    layout(graph);
    for (const node of missing) {
      const laid = graph.node(node.id) as { x?: number; y?: number } | undefined;
      // dagre reports centres; the editor places nodes by their top-left corner.
      positions.set(node.id, {
        x: Math.round((laid?.x ?? 0) - NODE_WIDTH / 2),
        y: Math.round((laid?.y ?? 0) - NODE_HEIGHT / 2),
      });
    }
  }
  for (const node of nodes) if (node.position) positions.set(node.id, node.position);
  return positions;
}
