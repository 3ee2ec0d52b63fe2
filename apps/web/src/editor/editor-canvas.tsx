/**
 * The React Flow canvas of the editor: nodes drawn as workflow cards (with their issues and, while
 * a run is shown, their step status, both read through context), a dotted grid, zoom controls, a
 * minimap, and a hint on how to start while it is empty. A connection the canvas refuses (a loop,
 * a duplicate) says why instead of just snapping back.
 */
import {
  Background,
  BackgroundVariant,
  type Connection,
  Controls,
  type FinalConnectionState,
  MiniMap,
  type NodeTypes,
  type OnEdgesChange,
  type OnNodesChange,
  Panel,
  ReactFlow,
} from '@xyflow/react';
import { type DragEvent, type RefObject, useState } from 'react';
import type { NodeRunStatus } from '../runs/run-state.ts';
import {
  edgeDefaults,
  type FlowEdge,
  type FlowNode,
  READABLE_MIN_ZOOM,
  refusedConnectionReason,
} from './graph.ts';
import type { LocatedIssue } from './validation-issues.ts';
import { NodeIssuesContext, NodeRunContext, WorkflowNodeCard } from './workflow-node.tsx';

const nodeTypes: NodeTypes = { workflow: WorkflowNodeCard };

interface EditorCanvasProps {
  /** The canvas's box: new nodes are placed inside what it shows. */
  canvasRef: RefObject<HTMLDivElement | null>;
  nodes: FlowNode[];
  edges: FlowEdge[];
  onNodesChange: OnNodesChange<FlowNode>;
  onEdgesChange: OnEdgesChange<FlowEdge>;
  onConnect: (connection: Connection) => void;
  isValidConnection: (connection: Connection | FlowEdge) => boolean;
  onDragOver: (event: DragEvent) => void;
  onDrop: (event: DragEvent) => void;
  /** A node was clicked, even the already selected one. */
  onNodeClick: () => void;
  onEdgeClick: () => void;
  /** Fit the nodes in view on the first paint (when there are any), never below a readable zoom. */
  fitView: boolean;
  nodeIssues: Map<string, LocatedIssue[]>;
  runStatusOf: ((nodeId: string) => NodeRunStatus) | null;
}

export function EditorCanvas({
  canvasRef,
  nodes,
  edges,
  onNodesChange,
  onEdgesChange,
  onConnect,
  isValidConnection,
  onDragOver,
  onDrop,
  onNodeClick,
  onEdgeClick,
  fitView,
  nodeIssues,
  runStatusOf,
}: EditorCanvasProps) {
  const [refusal, setRefusal] = useState<string | null>(null);
  const explainRefusal = (_event: unknown, state: FinalConnectionState) => {
    if (state.isValid !== false || !state.fromNode || !state.toNode) return;
    // Dragged from an input handle, the drag runs backwards: the node it ends on is the source.
    const backwards = state.fromHandle?.type === 'target';
    const from = backwards ? state.toNode : state.fromNode;
    const to = backwards ? state.fromNode : state.toNode;
    const nameOf = (id: string) => nodes.find((n) => n.id === id)?.data.name || id;
    setRefusal(
      refusedConnectionReason(
        edges,
        {
          source: from.id,
          target: to.id,
          sourceHandle: (backwards ? state.toHandle : state.fromHandle)?.id ?? null,
          targetHandle: (backwards ? state.fromHandle : state.toHandle)?.id ?? null,
        },
        nameOf,
      ),
    );
  };
  return (
    <div ref={canvasRef} className="relative min-w-0 flex-1" data-testid="canvas">
      <NodeRunContext value={runStatusOf}>
        <NodeIssuesContext value={nodeIssues}>
          <ReactFlow<FlowNode, FlowEdge>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            isValidConnection={isValidConnection}
            onConnectStart={() => setRefusal(null)}
            onConnectEnd={explainRefusal}
            onDragOver={onDragOver}
            onDrop={onDrop}
            onNodeClick={onNodeClick}
            onEdgeClick={onEdgeClick}
            deleteKeyCode={['Delete', 'Backspace']}
            fitView={fitView}
            fitViewOptions={{ padding: 0.2, minZoom: READABLE_MIN_ZOOM, maxZoom: 1 }}
            defaultEdgeOptions={edgeDefaults}
            snapToGrid
            snapGrid={[10, 10]}
            minZoom={0.2}
            aria-label="Workflow canvas"
          >
            <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cbd5e1" />
            <Controls showInteractive={false} />
            <MiniMap pannable zoomable className="!hidden md:!block" nodeStrokeWidth={3} />
            {refusal ? (
              <Panel position="bottom-center">
                <div
                  className="mb-2 flex max-w-lg items-start gap-3 rounded-lg bg-amber-50 px-3 py-2 text-xs text-amber-900 shadow-sm ring-1 ring-amber-200"
                  role="status"
                  data-testid="connection-refused"
                >
                  <p>Not connected. {refusal}</p>
                  <button
                    type="button"
                    className="shrink-0 text-amber-700 hover:underline"
                    onClick={() => setRefusal(null)}
                  >
                    Dismiss
                  </button>
                </div>
              </Panel>
            ) : null}
            {nodes.length === 0 ? (
              <Panel position="top-center">
                <div className="mt-16 rounded-xl bg-white/90 px-5 py-4 text-center shadow-sm ring-1 ring-slate-200">
                  <p className="text-sm font-medium text-slate-800">Your canvas is empty</p>
                  <p className="mt-1 text-xs text-slate-500">
                    Click a node type on the left, or drag it here. Connect nodes by dragging between their
                    handles.
                  </p>
                </div>
              </Panel>
            ) : null}
          </ReactFlow>
        </NodeIssuesContext>
      </NodeRunContext>
    </div>
  );
}
