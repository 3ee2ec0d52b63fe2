/**
 * What the compare canvases know before the browser has measured anything: each card's size and
 * where its handles sit, and the viewport they open at (the whole graph when it fits at a readable
 * zoom, else the changes). With these React Flow can draw only
 * the cards inside the viewport, visible and with their edges, in the first frame; left to measure,
 * it mounts every node hidden, measures all of them, and only then fits, culls and draws edges
 * (seconds for two 500-node versions). Given as already measured too, the cards cost no second
 * pass when the ResizeObserver finds them that size; it still corrects any card that differs.
 */
import {
  getNodesBounds,
  getViewportForBounds,
  type NodeHandle,
  Position,
  type Rect,
  type Viewport,
} from '@xyflow/react';
import { type FlowNode, NODE_WIDTH, READABLE_MIN_ZOOM } from '../editor/graph.ts';
import type { PaletteEntry } from '../editor/node-palette.ts';

/** A card's height as drawn on the compare page: one name line and one summary line, no issues. */
export const COMPARE_CARD_HEIGHT = 56;
/** The cards' handles are 12 px squares centred on the card's left and right borders. */
const HANDLE_SIZE = 12;

/** The handles `WorkflowNodeCard` draws for a node of this type, relative to the card's corner. */
export function cardHandles(entry: Pick<PaletteEntry, 'hasInput' | 'outputs'>): NodeHandle[] {
  const handle = (type: 'source' | 'target', id: string | null, centreY: number): NodeHandle => ({
    id,
    type,
    position: type === 'target' ? Position.Left : Position.Right,
    x: (type === 'target' ? 0 : NODE_WIDTH) - HANDLE_SIZE / 2,
    y: centreY - HANDLE_SIZE / 2,
    width: HANDLE_SIZE,
    height: HANDLE_SIZE,
  });
  const handles: NodeHandle[] = [];
  if (entry.hasInput) handles.push(handle('target', null, COMPARE_CARD_HEIGHT / 2));
  if (entry.outputs.length === 1) handles.push(handle('source', null, COMPARE_CARD_HEIGHT / 2));
  else
    entry.outputs.forEach((output, i) => {
      handles.push(handle('source', output, ((i + 1) / (entry.outputs.length + 1)) * COMPARE_CARD_HEIGHT));
    });
  return handles;
}

/** The node with its card's size (as if measured) and handles given up front. */
export function presized(node: FlowNode, entry: Pick<PaletteEntry, 'hasInput' | 'outputs'>): FlowNode {
  return {
    ...node,
    initialWidth: NODE_WIDTH,
    initialHeight: COMPARE_CARD_HEIGHT,
    measured: { width: NODE_WIDTH, height: COMPARE_CARD_HEIGHT },
    handles: cardHandles(entry),
  };
}

export const COMPARE_MIN_ZOOM = 0.2;
export const COMPARE_MAX_ZOOM = 1;
const FIT_PADDING = 0.2;

/** What `fitView` would settle on for these (presized) nodes in a pane of this size. */
export function fittingViewport(nodes: readonly FlowNode[], width: number, height: number): Viewport {
  if (nodes.length === 0) return { x: 0, y: 0, zoom: COMPARE_MAX_ZOOM };
  return getViewportForBounds(
    getNodesBounds([...nodes]),
    width,
    height,
    COMPARE_MIN_ZOOM,
    COMPARE_MAX_ZOOM,
    FIT_PADDING,
  );
}

/** A card's box on the canvas, at its node's position. */
export function cardBox(position: { x: number; y: number }): Rect {
  return { x: position.x, y: position.y, width: NODE_WIDTH, height: COMPARE_CARD_HEIGHT };
}

/**
 * The view a compare canvas opens at. A graph that fits its pane at a readable zoom is shown
 * whole. A larger one would only fit as a field of unreadable specks, so the canvas opens at a
 * readable zoom on what changed: all the changes when they fit together, else the first one in
 * reading order (top to bottom, left to right), centred. `changes` are the changed cards' boxes of
 * both sides, so both canvases open on the same part of the graph; with no changes the graph is
 * fitted as far out as the canvas goes.
 */
export function openingViewport(
  nodes: readonly FlowNode[],
  changes: readonly Rect[],
  width: number,
  height: number,
): Viewport {
  const whole = fittingViewport(nodes, width, height);
  if (whole.zoom >= READABLE_MIN_ZOOM || changes.length === 0) return whole;
  const around = (box: Rect, maxZoom: number) =>
    getViewportForBounds(box, width, height, READABLE_MIN_ZOOM, maxZoom, FIT_PADDING);
  const left = Math.min(...changes.map((b) => b.x));
  const top = Math.min(...changes.map((b) => b.y));
  const box = {
    x: left,
    y: top,
    width: Math.max(...changes.map((b) => b.x + b.width)) - left,
    height: Math.max(...changes.map((b) => b.y + b.height)) - top,
  };
  // The zoom at which the changes' box just fits with its padding (as getViewportForBounds pads).
  const fittingZoom = Math.min(width / box.width, height / box.height) / (1 + FIT_PADDING);
  if (fittingZoom >= READABLE_MIN_ZOOM) return around(box, COMPARE_MAX_ZOOM);
  const first = [...changes].sort((a, b) => a.y - b.y || a.x - b.x)[0] as Rect;
  // At the readable zoom rather than as close as a lone card allows: its neighbours give context.
  return around(first, READABLE_MIN_ZOOM);
}
