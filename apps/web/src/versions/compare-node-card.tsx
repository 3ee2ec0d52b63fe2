/**
 * A node on the compare canvases. Zoomed out far enough that a card's text is a few pixels high
 * (two 500-node versions open at the minimum zoom) it is drawn as a plain card — category colour,
 * name, handles — with a fraction of the full card's elements, so the canvas paints in a fraction
 * of the time. Zoomed in, it is the editor's card.
 */
import type { NodeProps, ReactFlowState } from '@xyflow/react';
import { useStore } from '@xyflow/react';
import { memo } from 'react';
import type { FlowNode } from '../editor/graph.ts';
import { categoryStyle } from '../editor/node-appearance.tsx';
import { useNodeType } from '../editor/node-palette.ts';
import { handleClass, WorkflowNodeCard } from '../editor/workflow-node.tsx';

/** Below this zoom the full card's text is under 6 px: not readable, so not worth drawing. */
const DETAIL_ZOOM = 0.4;

/** React Flow's handle look (position, size, dot) without its behaviour. */
const HANDLE = 'react-flow__handle';

const zoomedOut = (state: ReactFlowState) => state.transform[2] < DETAIL_ZOOM;

export const CompareNodeCard = memo(function CompareNodeCard(props: NodeProps<FlowNode>) {
  return useStore(zoomedOut) ? <PlainCard {...props} /> : <WorkflowNodeCard {...props} />;
});

/**
 * Same size and handle dots as the full card, nothing else. The dots are plain elements styled as
 * React Flow's handles, not `<Handle>`s: nothing connects on this canvas and its edges are drawn
 * from the presized handles (compare-edge-lines.ts), so a component per dot would be pure cost.
 */
function PlainCard({ id, data }: NodeProps<FlowNode>) {
  const entry = useNodeType(data.nodeType);
  const outputs = entry.outputs;
  return (
    <div
      data-testid="canvas-node"
      data-node-id={id}
      data-node-type={data.nodeType}
      title={data.name || entry.label}
      className="flex h-14 w-60 items-center gap-2.5 rounded-xl border border-slate-200 bg-white px-3"
    >
      {entry.hasInput ? <span className={`${HANDLE} react-flow__handle-left ${handleClass}`} /> : null}
      <span className={`size-8 shrink-0 rounded-lg ${categoryStyle(entry.category).badge}`} />
      <span className="truncate text-sm font-medium text-slate-900">{data.name || entry.label}</span>
      {outputs.map((output, i) => (
        <span
          key={output}
          className={`${HANDLE} react-flow__handle-right ${handleClass}`}
          style={outputs.length > 1 ? { top: `${((i + 1) / (outputs.length + 1)) * 100}%` } : undefined}
        />
      ))}
    </div>
  );
}
