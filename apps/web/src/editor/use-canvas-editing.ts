/**
 * Changing the graph on the canvas: adding a node (from the palette by click — placed beside the
 * selected node or in the middle of the view, on a free spot — or by drag and drop), connecting
 * nodes (only where the graph allows it), editing a node's data, and deleting nodes and edges.
 */
import { addEdge, type Connection, useReactFlow, type XYPosition } from '@xyflow/react';
import { type DragEvent, type RefObject, useCallback, useContext } from 'react';
import {
  edgeDefaults,
  type FlowEdge,
  type FlowNode,
  findFreeSpot,
  isAllowedConnection,
  NODE_HEIGHT,
  NODE_WIDTH,
  newEdgeId,
  newNodeId,
  snapToGrid,
  type WorkflowNodeData,
} from './graph.ts';
import { NodeTypesContext, type PaletteEntry } from './node-palette.ts';
import { PALETTE_DRAG_TYPE } from './palette.tsx';
import type { WorkflowDraft } from './use-workflow-draft.ts';

/** `canvasRef` is the canvas's box: new nodes go inside what it shows. */
export function useCanvasEditing(
  { edges, setNodes, setEdges }: Pick<WorkflowDraft, 'edges' | 'setNodes' | 'setEdges'>,
  canvasRef: RefObject<HTMLDivElement | null>,
) {
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const catalog = useContext(NodeTypesContext);

  const addNode = useCallback(
    (entry: PaletteEntry, dropAt?: XYPosition) => {
      const rect = canvasRef.current?.getBoundingClientRect();
      setNodes((current) => {
        let position: XYPosition;
        if (dropAt) {
          position = snapToGrid({ x: dropAt.x - NODE_WIDTH / 2, y: dropAt.y - NODE_HEIGHT / 2 });
        } else {
          // Next to the selected node when that is still in view (building a chain left to right),
          // otherwise in the middle of the view; either way on a free spot.
          const view = rect
            ? {
                topLeft: rf.screenToFlowPosition({ x: rect.left, y: rect.top }),
                bottomRight: rf.screenToFlowPosition({ x: rect.right, y: rect.bottom }),
              }
            : null;
          const inView = (p: XYPosition) =>
            !view ||
            (p.x >= view.topLeft.x &&
              p.y >= view.topLeft.y &&
              p.x + NODE_WIDTH <= view.bottomRight.x &&
              p.y + NODE_HEIGHT <= view.bottomRight.y);
          const anchor = current.filter((n) => n.selected).at(-1);
          const besideAnchor = anchor
            ? findFreeSpot(current, { x: anchor.position.x + NODE_WIDTH + 80, y: anchor.position.y })
            : null;
          if (besideAnchor && inView(besideAnchor)) {
            position = besideAnchor;
          } else {
            // The first node goes left of centre, leaving room for the chain that follows it.
            const across = current.length === 0 ? 0.3 : 0.5;
            const center = view
              ? {
                  x: view.topLeft.x + (view.bottomRight.x - view.topLeft.x) * across,
                  y: (view.topLeft.y + view.bottomRight.y) / 2,
                }
              : { x: 0, y: 0 };
            position = findFreeSpot(current, { x: center.x - NODE_WIDTH / 2, y: center.y - NODE_HEIGHT / 2 });
          }
        }
        const names = new Set(current.map((n) => n.data.name));
        let nodeName = entry.label;
        for (let i = 2; names.has(nodeName); i++) nodeName = `${entry.label} ${i}`;
        const node: FlowNode = {
          id: newNodeId(entry.type, new Set(current.map((n) => n.id))),
          type: 'workflow',
          position,
          selected: true,
          data: { nodeType: entry.type, name: nodeName, config: structuredClone(entry.defaultConfig) },
        };
        return [...current.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
      });
      setEdges((current) => current.map((e) => (e.selected ? { ...e, selected: false } : e)));
    },
    [rf, setNodes, setEdges],
  );

  const onConnect = useCallback(
    (connection: Connection) =>
      setEdges((current) =>
        isAllowedConnection(current, connection)
          ? addEdge(
              { ...connection, ...edgeDefaults, id: newEdgeId(new Set(current.map((e) => e.id))) },
              current,
            )
          : current,
      ),
    [setEdges],
  );
  const isValidConnection = useCallback(
    (connection: Connection | FlowEdge) => isAllowedConnection(edges, connection),
    [edges],
  );

  const onDragOver = (event: DragEvent) => {
    if (event.dataTransfer.types.includes(PALETTE_DRAG_TYPE)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'copy';
    }
  };
  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(PALETTE_DRAG_TYPE);
    if (!type) return;
    event.preventDefault();
    addNode(catalog.get(type), rf.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
  };

  const updateNode = (id: string, patch: Partial<WorkflowNodeData>) =>
    setNodes((current) => current.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)));

  return {
    addNode,
    onConnect,
    isValidConnection,
    onDragOver,
    onDrop,
    updateNode,
    removeNode: (id: string) => rf.deleteElements({ nodes: [{ id }] }),
    removeEdge: (id: string) => rf.deleteElements({ edges: [{ id }] }),
  };
}
