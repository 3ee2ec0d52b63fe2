/**
 * Changing the graph on the canvas: adding a node (from the palette by click — placed right of the
 * selected node, else of the last one, on a free spot, the view zooming out or moving to show it —
 * or by drag and drop), connecting nodes (only where the graph allows it), editing a node's data,
 * and deleting nodes and edges.
 */
import { addEdge, type Connection, useReactFlow, type XYPosition } from '@xyflow/react';
import { type DragEvent, type RefObject, useCallback, useContext } from 'react';
import {
  edgeDefaults,
  type FlowEdge,
  type FlowNode,
  isAllowedConnection,
  NODE_HEIGHT,
  NODE_WIDTH,
  newEdgeId,
  newNodeId,
  nodeBox,
  snapToGrid,
  spotBeside,
  viewportShowing,
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
      /** Moves the view to show a node placed at `position`, when it is out of sight. */
      const revealIfHidden = (position: XYPosition) => {
        const rect = canvasRef.current?.getBoundingClientRect();
        if (!rect) return;
        const topLeft = rf.screenToFlowPosition({ x: rect.left, y: rect.top });
        const bottomRight = rf.screenToFlowPosition({ x: rect.right, y: rect.bottom });
        const inView =
          position.x >= topLeft.x &&
          position.y >= topLeft.y &&
          position.x + NODE_WIDTH <= bottomRight.x &&
          position.y + NODE_HEIGHT <= bottomRight.y;
        if (inView) return;
        // At once, not animated: the next click or drag lands where the user sees the handles.
        void rf.setViewport(
          viewportShowing(
            rf.getNodes().map(nodeBox),
            { ...position, width: NODE_WIDTH, height: NODE_HEIGHT },
            rect,
            rf.getZoom(),
          ),
        );
      };

      // Placed from what is on the canvas now (with measured sizes), outside the state updater so
      // the view can follow the new node.
      const current = rf.getNodes();
      let position: XYPosition;
      if (dropAt) {
        position = snapToGrid({ x: dropAt.x - NODE_WIDTH / 2, y: dropAt.y - NODE_HEIGHT / 2 });
      } else {
        // Next to the selected node, else right of the last one added: a chain built click by
        // click reads left to right. The first node goes left of the middle of the view.
        const anchor = current.filter((n) => n.selected).at(-1) ?? current.at(-1);
        if (anchor) {
          position = spotBeside(current, anchor);
        } else {
          const rect = canvasRef.current?.getBoundingClientRect();
          const center = rect
            ? rf.screenToFlowPosition({ x: rect.left + rect.width * 0.3, y: rect.top + rect.height / 2 })
            : { x: 0, y: 0 };
          position = snapToGrid({ x: center.x - NODE_WIDTH / 2, y: center.y - NODE_HEIGHT / 2 });
        }
        revealIfHidden(position);
      }
      setNodes((nodes) => {
        const names = new Set(nodes.map((n) => n.data.name));
        let nodeName = entry.label;
        for (let i = 2; names.has(nodeName); i++) nodeName = `${entry.label} ${i}`;
        const node: FlowNode = {
          id: newNodeId(entry.type, new Set(nodes.map((n) => n.id))),
          type: 'workflow',
          position,
          selected: true,
          data: { nodeType: entry.type, name: nodeName, config: structuredClone(entry.defaultConfig) },
        };
        return [...nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node];
      });
      setEdges((edges) => edges.map((e) => (e.selected ? { ...e, selected: false } : e)));
    },
    [rf, setNodes, setEdges, canvasRef],
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
