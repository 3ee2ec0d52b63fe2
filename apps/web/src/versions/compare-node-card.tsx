/**
 * A node on the compare canvases. Zoomed out far enough that a card's text is a few pixels high
 * (two 500-node versions open at the minimum zoom) it is drawn as a plain card — category colour,
 * name, handles — with a fraction of the full card's elements, so the canvas paints in a fraction
 * of the time. Zoomed in, it is the editor's card.
 */
import { Handle, type NodeProps, Position, type ReactFlowState, useStore } from '@xyflow/react';
import { memo } from 'react';
import type { FlowNode } from '../editor/graph.ts';
import { categoryStyle } from '../editor/node-appearance.tsx';
import { useNodeType } from '../editor/node-palette.ts';
import { handleClass, WorkflowNodeCard } from '../editor/workflow-node.tsx';

/** Below this zoom the full card's text is under 6 px: not readable, so not worth drawing. */
const DETAIL_ZOOM = 0.4;

const zoomedOut = (state: ReactFlowState) => state.transform[2] < DETAIL_ZOOM;

export const CompareNodeCard = memo(function CompareNodeCard(props: NodeProps<FlowNode>) {
  return useStore(zoomedOut) ? <PlainCard {...props} /> : <WorkflowNodeCard {...props} />;
});

/** Same size and handles as the full card (edges meet it in the same places), nothing else. */
function PlainCard({ id, data }: NodeProps<FlowNode>) {
  const entry = useNodeType(data.nodeType);
  const branching = entry.outputs.length > 1;
  return (
    <div
      data-testid="canvas-node"
      data-node-id={id}
      data-node-type={data.nodeType}
      title={data.name || entry.label}
      className="flex h-14 w-60 items-center gap-2.5 rounded-xl bg-white px-3 shadow-sm ring-1 ring-slate-200"
    >
      {entry.hasInput ? (
        <Handle type="target" position={Position.Left} isConnectable={false} className={handleClass} />
      ) : null}
      <span className={`size-8 shrink-0 rounded-lg ${categoryStyle(entry.category).badge}`} />
      <span className="truncate text-sm font-medium text-slate-900">{data.name || entry.label}</span>
      {branching ? (
        entry.outputs.map((output, i) => (
          <Handle
            key={output}
            id={output}
            type="source"
            position={Position.Right}
            isConnectable={false}
            className={handleClass}
            style={{ top: `${((i + 1) / (entry.outputs.length + 1)) * 100}%` }}
          />
        ))
      ) : entry.outputs.length === 1 ? (
        <Handle type="source" position={Position.Right} isConnectable={false} className={handleClass} />
      ) : null}
    </div>
  );
}
