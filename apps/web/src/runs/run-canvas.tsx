/**
 * A run drawn on a read-only canvas: the workflow's graph with every node coloured by its step's
 * status. Clicking a node selects it (its step is shown beside the canvas).
 */
import type { WorkflowDefinition } from '@swarm/engine';
import {
  Background,
  BackgroundVariant,
  Controls,
  type NodeMouseHandler,
  type NodeTypes,
  ReactFlow,
} from '@xyflow/react';
import { useMemo } from 'react';
import { type FlowEdge, type FlowNode, toFlow } from '../editor/graph.ts';
import { NodeRunContext, WorkflowNodeCard } from '../editor/workflow-node.tsx';
import type { NodeRunStatus } from './run-state.ts';

const nodeTypes: NodeTypes = { workflow: WorkflowNodeCard };

const EDGE_COLOURS: Partial<Record<NodeRunStatus, string>> = {
  succeeded: '#10b981',
  failed: '#f43f5e',
  running: '#0ea5e9',
};

/** Edges out of a node that ran carry its colour, so the path the run took stands out. */
export function withRunColours<E extends FlowEdge>(
  edges: E[],
  statusOf: (nodeId: string) => NodeRunStatus,
): E[] {
  return edges.map((edge) => {
    const status = statusOf(edge.source);
    const stroke = EDGE_COLOURS[status];
    return stroke ? { ...edge, style: { stroke, strokeWidth: 2 }, animated: status === 'running' } : edge;
  });
}

interface RunCanvasProps {
  definition: WorkflowDefinition;
  statusOf: (nodeId: string) => NodeRunStatus;
  selectedNodeId: string | null;
  onSelect: (nodeId: string | null) => void;
}

export function RunCanvas({ definition, statusOf, selectedNodeId, onSelect }: RunCanvasProps) {
  const flow = useMemo(() => toFlow(definition), [definition]);
  const nodes = useMemo(
    () => flow.nodes.map((node) => ({ ...node, selected: node.id === selectedNodeId })),
    [flow, selectedNodeId],
  );
  // Edges out of a node that finished carry its colour, so the path the run took stands out.
  const edges = useMemo(
    () =>
      flow.edges.map((edge) => {
        const status = statusOf(edge.source);
        const stroke = EDGE_COLOURS[status];
        return stroke ? { ...edge, style: { stroke, strokeWidth: 2 }, animated: status === 'running' } : edge;
      }),
    [flow, statusOf],
  );
  const onNodeClick: NodeMouseHandler<FlowNode> = (_, node) => onSelect(node.id);

  return (
    <NodeRunContext value={statusOf}>
      <ReactFlow<FlowNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        onNodeClick={onNodeClick}
        onPaneClick={() => onSelect(null)}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        minZoom={0.2}
        deleteKeyCode={null}
        aria-label="Run canvas"
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cbd5e1" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </NodeRunContext>
  );
}
