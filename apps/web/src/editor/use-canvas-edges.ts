/**
 * How the canvas names nodes and draws edges: a node's name (or its type's label when unnamed);
 * edges labelled with node names for screen readers, drawn red when they have issues, and coloured
 * by their steps while a run is shown.
 */
import { useContext, useMemo } from 'react';
import { withRunColours } from '../runs/run-canvas.tsx';
import type { NodeRunStatus } from '../runs/run-state.ts';
import type { FlowEdge, FlowNode } from './graph.ts';
import { NodeTypesContext } from './node-palette.ts';
import type { LocatedIssue } from './validation-issues.ts';

/** Each node's shown name by id. */
export function useNodeNames(nodes: FlowNode[]): Map<string, string> {
  const catalog = useContext(NodeTypesContext);
  return useMemo(
    () => new Map(nodes.map((n) => [n.id, n.data.name || catalog.get(n.data.nodeType).label])),
    [nodes, catalog],
  );
}

export function useCanvasEdges(
  edges: FlowEdge[],
  nodeNames: Map<string, string>,
  edgeIssues: Map<string, LocatedIssue[]>,
  runStatusOf: ((nodeId: string) => NodeRunStatus) | null,
): FlowEdge[] {
  const displayEdges = useMemo(
    () =>
      edges.map((edge) => {
        const ariaLabel = `Connection from ${nodeNames.get(edge.source) ?? edge.source} to ${nodeNames.get(edge.target) ?? edge.target}`;
        return edgeIssues.has(edge.id)
          ? { ...edge, ariaLabel, style: { stroke: '#e11d48', strokeWidth: 2 }, animated: true }
          : { ...edge, ariaLabel };
      }),
    [edges, edgeIssues, nodeNames],
  );
  return useMemo(
    () => (runStatusOf ? withRunColours(displayEdges, runStatusOf) : displayEdges),
    [displayEdges, runStatusOf],
  );
}
