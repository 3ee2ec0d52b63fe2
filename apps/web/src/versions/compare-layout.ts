/**
 * What the compare canvases know before the browser has measured anything: each card's size and
 * where its handles sit, and the viewport that fits the graph. With these React Flow can draw only
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
  type Viewport,
} from '@xyflow/react';
import { type FlowNode, NODE_WIDTH } from '../editor/graph.ts';
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
