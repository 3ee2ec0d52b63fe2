/**
 * The edges of a compare canvas, drawn in one SVG inside React Flow's viewport (between the edges'
 * and the nodes' layers, so cards stay on top). React Flow draws each edge as its own component
 * in its own `<svg>`, which on two 500-node versions was half of the page's work before its first
 * paint; these edges are never clicked, dragged or reconnected, so one path each is all they need.
 * Like React Flow with `onlyRenderVisibleElements`, only edges whose end cards' box overlaps the
 * viewport are in the DOM; the rest are added as the canvas is panned or zoomed.
 */
import { EdgeLabelRenderer, type ReactFlowState, useStore } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { type EdgeLine, overlaps, visibleRect } from './compare-edge-lines.ts';

/** React Flow's default edge colour and closed arrowhead (`MarkerType.ArrowClosed`, 18 × 18). */
const ARROW_COLOUR = '#b1b1b7';
const ARROW_SIZE = 18;

const viewSelector = (s: ReactFlowState) => {
  const view = visibleRect(s.transform, s.width, s.height);
  // Rounded so that a pan of a few pixels does not re-render the layer.
  return `${Math.floor(view.x / 50)},${Math.floor(view.y / 50)},${Math.ceil(view.x2 / 50)},${Math.ceil(view.y2 / 50)}`;
};

export const CompareEdgeLayer = memo(function CompareEdgeLayer({
  lines,
  markerId,
}: {
  lines: readonly EdgeLine[];
  /** Unique on the page: both canvases have an arrowhead of their own. */
  markerId: string;
}) {
  const viewKey = useStore(viewSelector);
  const paths = useMemo(
    () =>
      lines.map((line) => ({
        box: line.box,
        element: (
          <g key={line.id} className={`react-flow__edge ${line.className ?? ''}`} data-id={line.id}>
            <path className="react-flow__edge-path" d={line.path} style={line.style} />
          </g>
        ),
      })),
    [lines, markerId],
  );
  const visible = useMemo(() => {
    const [x, y, x2, y2] = viewKey.split(',').map((v) => Number(v) * 50) as [number, number, number, number];
    return paths.filter((p) => overlaps(p.box, { x, y, x2, y2 })).map((p) => p.element);
  }, [paths, viewKey]);
  return (
    <EdgeLabelRenderer>
      <svg
        className="pointer-events-none absolute top-0 left-0 overflow-visible"
        width={1}
        height={1}
        data-testid="compare-edges"
        aria-hidden="true"
        // Inherited by every path: one attribute instead of one per edge.
        markerEnd={`url(#${markerId})`}
      >
        <defs>
          <marker
            className="react-flow__arrowhead"
            id={markerId}
            markerWidth={ARROW_SIZE}
            markerHeight={ARROW_SIZE}
            viewBox="-10 -10 20 20"
            markerUnits="strokeWidth"
            orient="auto-start-reverse"
            refX="0"
            refY="0"
          >
            <polyline
              className="arrowclosed"
              style={{ stroke: ARROW_COLOUR, fill: ARROW_COLOUR, strokeWidth: 1 }}
              strokeLinecap="round"
              strokeLinejoin="round"
              points="-5,-4 0,0 -5,4 -5,-4"
            />
          </marker>
        </defs>
        {visible}
      </svg>
    </EdgeLabelRenderer>
  );
});
