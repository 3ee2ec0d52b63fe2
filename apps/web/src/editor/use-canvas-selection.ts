/**
 * What is selected on the canvas — one node, or (with no node selected) an edge — and jumping to
 * the thing an issue is about: select it alone and centre the view on it.
 */
import { useReactFlow } from '@xyflow/react';
import { type FlowEdge, type FlowNode, NODE_HEIGHT, NODE_WIDTH } from './graph.ts';
import type { WorkflowDraft } from './use-workflow-draft.ts';
import type { LocatedIssue } from './validation-issues.ts';

export function useCanvasSelection({
  nodes,
  edges,
  setNodes,
  setEdges,
}: Pick<WorkflowDraft, 'nodes' | 'edges' | 'setNodes' | 'setEdges'>) {
  const rf = useReactFlow<FlowNode, FlowEdge>();

  const selectedNodes = nodes.filter((n) => n.selected);
  const selectedNode = selectedNodes.length === 1 ? selectedNodes[0] : undefined;
  const selectedEdge = selectedNodes.length === 0 ? edges.find((e) => e.selected) : undefined;

  const focusIssue = (issue: LocatedIssue) => {
    const target = issue.target;
    if (!target) return;
    setNodes((current) =>
      current.map((n) => ({ ...n, selected: target.kind === 'node' && n.id === target.id })),
    );
    setEdges((current) =>
      current.map((e) => ({ ...e, selected: target.kind === 'edge' && e.id === target.id })),
    );
    const nodeId = target.kind === 'node' ? target.id : edges.find((e) => e.id === target.id)?.source;
    const node = nodeId ? rf.getNode(nodeId) : undefined;
    if (node) {
      const width = node.measured?.width ?? NODE_WIDTH;
      const height = node.measured?.height ?? NODE_HEIGHT;
      rf.setCenter(node.position.x + width / 2, node.position.y + height / 2, {
        zoom: rf.getZoom(),
        duration: 300,
      });
    }
  };

  return { selectedNode, selectedEdge, focusIssue };
}
