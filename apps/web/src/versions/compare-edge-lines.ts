/**
 * Where each edge of a compare canvas runs, worked out from the presized cards' positions and
 * handles (see compare-layout.ts) instead of from measured DOM: the compare page draws all edges
 * of a side in one SVG (compare-edge-layer.tsx), which costs a fraction of React Flow's one
 * component and one `<svg>` per edge. The geometry is React Flow's own: the same handle anchor
 * points and the same bezier curve, so the picture does not change.
 */
import { getBezierPath, type NodeHandle, Position, type XYPosition } from '@xyflow/react';
import { type FlowEdge, type FlowNode, NODE_WIDTH } from '../editor/graph.ts';
import { COMPARE_CARD_HEIGHT } from './compare-layout.ts';

export interface EdgeLine {
  id: string;
  /** The SVG path, as React Flow's default (bezier) edge draws it. */
  path: string;
  /** The box around both end cards: the edge is worth drawing when it overlaps the viewport. */
  box: { x: number; y: number; x2: number; y2: number };
  className?: string;
  style?: FlowEdge['style'];
}

/** The point on a handle an edge starts or ends at (React Flow's `getHandlePosition`). */
function anchor(node: FlowNode, handle: NodeHandle): XYPosition {
  const x = node.position.x + handle.x;
  const y = node.position.y + handle.y;
  const width = handle.width ?? 0;
  const height = handle.height ?? 0;
  switch (handle.position) {
    case Position.Top:
      return { x: x + width / 2, y };
    case Position.Right:
      return { x: x + width, y: y + height / 2 };
    case Position.Bottom:
      return { x: x + width / 2, y: y + height };
    default:
      return { x, y: y + height / 2 };
  }
}

/** The handle an edge uses: the one named, or the node's first of that type when none is named. */
function pickHandle(node: FlowNode, type: 'source' | 'target', id: string | null | undefined) {
  const handles = (node.handles ?? []).filter((h) => h.type === type);
  return (id ? handles.find((h) => h.id === id) : handles[0]) ?? null;
}

/**
 * One line per edge whose ends exist and have the named handles; React Flow leaves out the same
 * edges (and reports them as errors), so nothing is drawn that the editor would not draw.
 */
export function edgeLines(nodes: readonly FlowNode[], edges: readonly FlowEdge[]): EdgeLine[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const lines: EdgeLine[] = [];
  for (const edge of edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target) continue;
    const from = pickHandle(source, 'source', edge.sourceHandle);
    const to = pickHandle(target, 'target', edge.targetHandle);
    if (!from || !to) continue;
    const start = anchor(source, from);
    const end = anchor(target, to);
    const [path] = getBezierPath({
      sourceX: start.x,
      sourceY: start.y,
      sourcePosition: from.position,
      targetX: end.x,
      targetY: end.y,
      targetPosition: to.position,
    });
    const width = (n: FlowNode) => n.measured?.width ?? NODE_WIDTH;
    const height = (n: FlowNode) => n.measured?.height ?? COMPARE_CARD_HEIGHT;
    lines.push({
      id: edge.id,
      path,
      box: {
        x: Math.min(source.position.x, target.position.x),
        y: Math.min(source.position.y, target.position.y),
        x2: Math.max(source.position.x + width(source), target.position.x + width(target)),
        y2: Math.max(source.position.y + height(source), target.position.y + height(target)),
      },
      ...(edge.className ? { className: edge.className } : {}),
      ...(edge.style ? { style: edge.style } : {}),
    });
  }
  return lines;
}

/** The part of the flow a pane of this size shows at this pan and zoom, in flow coordinates. */
export function visibleRect(transform: [number, number, number], width: number, height: number) {
  const [tx, ty, zoom] = transform;
  return { x: -tx / zoom, y: -ty / zoom, x2: (width - tx) / zoom, y2: (height - ty) / zoom };
}

/** Whether an edge's box overlaps the visible rect (React Flow's `isEdgeVisible`). */
export function overlaps(box: EdgeLine['box'], view: ReturnType<typeof visibleRect>): boolean {
  return box.x < view.x2 && box.x2 > view.x && box.y < view.y2 && box.y2 > view.y;
}
