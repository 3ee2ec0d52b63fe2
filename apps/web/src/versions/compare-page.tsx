/**
 * Route `/workflows/:id/compare?from=&to=` (each a version id or `draft`): the two sides on
 * read-only canvases next to each other, added nodes and edges green, removed red, modified
 * amber, moved marked; a summary of the changes; and, for a clicked node, the diff of its config.
 */
import type { WorkflowDefinition } from '@swarm/engine';
import { useQuery } from '@tanstack/react-query';
import {
  Background,
  BackgroundVariant,
  type NodeTypes,
  ReactFlow,
  type Rect,
  type Viewport,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { diff } from 'jsondiffpatch';
import * as htmlFormatter from 'jsondiffpatch/formatters/html';
import 'jsondiffpatch/formatters/styles/html.css';
import {
  type ReactNode,
  startTransition,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { readApiError } from '../api-error.ts';
import { type FlowEdge, type FlowNode, toFlow } from '../editor/graph.ts';
import { type NodeTypeCatalog, NodeTypesContext } from '../editor/node-palette.ts';
import { useNodeTypeCatalog } from '../editor/use-node-types.ts';
import { PageError, PageLoading } from '../layout/page-state.tsx';
import { useTRPC } from '../trpc.ts';
import { CompareEdgeLayer } from './compare-edge-layer.tsx';
import { edgeLines, visibleRect } from './compare-edge-lines.ts';
import { COMPARE_MAX_ZOOM, COMPARE_MIN_ZOOM, cardBox, openingViewport, presized } from './compare-layout.ts';
import { compareMarks, type DiffMark, MARK_COLOURS, nodeColour, type SideMarks } from './compare-marks.ts';
import { CompareNodeCard } from './compare-node-card.tsx';
import { compareQueries, readCompareSides } from './compare-queries.ts';

const nodeTypes: NodeTypes = { workflow: CompareNodeCard };

/** How a side is named above its canvas: the draft, or the version's number and message. */
function sideLabel(side: { version: { number: number; commitMessage: string } | null }): string {
  return side.version ? `v${side.version.number} · ${side.version.commitMessage}` : 'Draft';
}

export default function ComparePage() {
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const { from, to } = readCompareSides(id, params);
  const trpc = useTRPC();
  const queries = compareQueries(trpc, { workflowId: id, from, to });
  const { list: nodeTypesQuery, catalog } = useNodeTypeCatalog();
  const versions = useQuery(queries.versions);
  const ready = from !== '' && to !== '';
  const comparison = useQuery({ ...queries.comparison, enabled: ready });
  const [selected, setSelected] = useState<string | null>(null);

  const marks = useMemo(
    () =>
      comparison.data
        ? {
            from: compareMarks(comparison.data.summary, 'from'),
            to: compareMarks(comparison.data.summary, 'to'),
          }
        : null,
    [comparison.data],
  );
  const fromDefinition = comparison.data?.from.definition;
  const toDefinition = comparison.data?.to.definition;
  const changes = useMemo(
    () =>
      marks && fromDefinition && toDefinition
        ? [...changedBoxes(fromDefinition, marks.from), ...changedBoxes(toDefinition, marks.to)]
        : [],
    [marks, fromDefinition, toDefinition],
  );

  const choose = (key: 'from' | 'to', value: string) => {
    const next = new URLSearchParams(params);
    next.set(key, value);
    setParams(next, { replace: true });
  };
  const options = [
    { value: 'draft', label: 'Draft' },
    ...(versions.data?.items ?? []).map((v) => ({ value: v.id, label: `v${v.number} · ${v.commitMessage}` })),
  ];

  const error = comparison.error ?? nodeTypesQuery.error;
  let body: ReactNode;
  if (!ready) body = <p className="p-6 text-sm text-slate-500">Choose two versions to compare.</p>;
  else if (error)
    body = <PageError message={readApiError(error).message} onRetry={() => comparison.refetch()} />;
  else if (!comparison.data || !marks || !catalog) body = <PageLoading label="Comparing…" />;
  else {
    const { summary, from: fromSide, to: toSide } = comparison.data;
    const names = new Map(
      [...fromSide.definition.nodes, ...toSide.definition.nodes].map((n) => [n.id, n.name || n.type]),
    );
    const edgeName = (e: { source: string; target: string }) =>
      `${names.get(e.source) ?? e.source} → ${names.get(e.target) ?? e.target}`;
    body = (
      <NodeTypesContext value={catalog}>
        <div className="flex min-h-0 flex-1">
          <div className="grid min-w-0 flex-1 grid-cols-2 gap-px bg-slate-200">
            <SideCanvas
              title={`From: ${sideLabel(fromSide)}`}
              definition={fromSide.definition}
              marks={marks.from}
              changes={changes}
              catalog={catalog}
              onSelect={setSelected}
              testId="compare-from"
            />
            <SideCanvas
              title={`To: ${sideLabel(toSide)}`}
              definition={toSide.definition}
              marks={marks.to}
              changes={changes}
              catalog={catalog}
              onSelect={setSelected}
              testId="compare-to"
            />
          </div>
          <aside className="w-80 shrink-0 space-y-5 overflow-y-auto border-l border-slate-200 bg-white p-4">
            {selected ? (
              <NodeConfigDiff nodeId={selected} from={fromSide.definition} to={toSide.definition} />
            ) : null}
            <div data-testid="compare-summary">
              <p className="text-sm font-semibold text-slate-900">Changes</p>
              <p className="mt-1 flex flex-wrap gap-x-3 gap-y-1 text-xs text-slate-500">
                {(['added', 'removed', 'modified', 'moved'] as const).map((mark) => (
                  <span key={mark} className="inline-flex items-center gap-1">
                    <span className="size-2 rounded-full" style={{ background: MARK_COLOURS[mark] }} />
                    {mark}
                  </span>
                ))}
              </p>
              <p className="mt-1 text-xs text-slate-400">Click a node to see how its config changed.</p>
              {summary.identical ? (
                <p className="mt-2 text-sm text-slate-500" data-testid="compare-identical">
                  No differences.
                </p>
              ) : (
                <ul className="mt-2 space-y-1 text-sm">
                  {summary.nodes.added.map((n) => (
                    <SummaryLine key={`a-${n.id}`} mark="added" text={`Node ${n.name} added`} />
                  ))}
                  {summary.nodes.removed.map((n) => (
                    <SummaryLine key={`r-${n.id}`} mark="removed" text={`Node ${n.name} removed`} />
                  ))}
                  {summary.nodes.modified.map((n) => (
                    <SummaryLine
                      key={`m-${n.id}`}
                      mark="modified"
                      text={`Node ${n.name} changed: ${n.fields.join(', ')}`}
                      onClick={() => setSelected(n.id)}
                    />
                  ))}
                  {summary.nodes.moved.map((n) => (
                    <SummaryLine key={`v-${n.id}`} mark="moved" text={`Node ${n.name} moved`} />
                  ))}
                  {summary.edges.added.map((e) => (
                    <SummaryLine key={`ea-${e.id}`} mark="added" text={`Connection ${edgeName(e)} added`} />
                  ))}
                  {summary.edges.removed.map((e) => (
                    <SummaryLine
                      key={`er-${e.id}`}
                      mark="removed"
                      text={`Connection ${edgeName(e)} removed`}
                    />
                  ))}
                  {summary.edges.modified.map((e) => (
                    <SummaryLine
                      key={`em-${e.id}`}
                      mark="modified"
                      text={`Connection ${edgeName(e)} changed: ${e.fields.join(', ')}`}
                    />
                  ))}
                  {summary.changed.map((part) => (
                    <SummaryLine key={`c-${part}`} mark="modified" text={`${part} changed`} />
                  ))}
                </ul>
              )}
            </div>
          </aside>
        </div>
      </NodeTypesContext>
    );
  }

  return (
    <div className="flex h-full flex-col">
      <title>Compare versions · SWARM</title>
      <div className="flex shrink-0 flex-wrap items-center gap-3 border-b border-slate-200 bg-white px-4 py-2">
        <Link
          to={`/workflows/${id}`}
          className="rounded-md px-2 py-1 text-sm text-slate-500 hover:bg-slate-100 hover:text-slate-800"
        >
          ← Editor
        </Link>
        <h1 className="text-base font-semibold text-slate-900">Compare</h1>
        {(['from', 'to'] as const).map((key) => (
          <label key={key} className="flex items-center gap-1.5 text-sm text-slate-600">
            {key === 'from' ? 'From' : 'To'}
            <select
              value={key === 'from' ? from : to}
              onChange={(e) => choose(key, e.target.value)}
              className="max-w-60 rounded-md border-0 py-1 text-sm ring-1 ring-slate-300"
              data-testid={`compare-select-${key}`}
            >
              {key === 'from' && from === '' ? <option value="">Choose…</option> : null}
              {options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      {body}
    </div>
  );
}

function SummaryLine({ mark, text, onClick }: { mark: DiffMark; text: string; onClick?: () => void }) {
  return (
    <li className="flex items-start gap-2" data-testid="compare-change" data-mark={mark}>
      <span className="mt-1.5 size-2 shrink-0 rounded-full" style={{ background: MARK_COLOURS[mark] }} />
      {onClick ? (
        <button type="button" onClick={onClick} className="text-left text-slate-700 hover:underline">
          {text}
        </button>
      ) : (
        <span className="text-slate-700">{text}</span>
      )}
    </li>
  );
}

/** The cards a side marks as changed, and the end cards of the connections it marks. */
function changedBoxes(definition: WorkflowDefinition, marks: SideMarks): Rect[] {
  const ids = new Set(marks.nodes.keys());
  for (const edge of definition.edges) if (marks.edges.has(edge.id)) ids.add(edge.source).add(edge.target);
  return definition.nodes.filter((n) => ids.has(n.id)).map((n) => cardBox(n.position));
}

/** The nodes whose cards overlap what a pane of this size shows at `viewport`, or lie within half a pane of it. */
function nodesNear(
  nodes: readonly FlowNode[],
  viewport: Viewport,
  width: number,
  height: number,
): FlowNode[] {
  const view = visibleRect([viewport.x, viewport.y, viewport.zoom], width, height);
  const marginX = (view.x2 - view.x) / 2;
  const marginY = (view.y2 - view.y) / 2;
  return nodes.filter((node) => {
    const box = cardBox(node.position);
    return (
      box.x < view.x2 + marginX &&
      box.x + box.width > view.x - marginX &&
      box.y < view.y2 + marginY &&
      box.y + box.height > view.y - marginY
    );
  });
}

function SideCanvas({
  title,
  definition,
  marks,
  changes,
  catalog,
  onSelect,
  testId,
}: {
  title: string;
  definition: WorkflowDefinition;
  marks: SideMarks;
  /** Both sides' changed cards: where the canvas opens when the graph is too big to show whole. */
  changes: readonly Rect[];
  catalog: NodeTypeCatalog;
  onSelect: (nodeId: string) => void;
  testId: string;
}) {
  const { nodes, lines } = useMemo(() => {
    const flow = toFlow(definition);
    const nodes = flow.nodes.map((flowNode): FlowNode => {
      const node = presized(flowNode, catalog.get(flowNode.data.nodeType));
      const nodeMarks = marks.nodes.get(node.id);
      const colour = nodeColour(nodeMarks);
      return colour
        ? {
            ...node,
            className: (nodeMarks ?? []).map((m) => `diff-${m}`).join(' '),
            style: { outline: `3px solid ${colour}`, outlineOffset: 3, borderRadius: 12 },
          }
        : node;
    });
    const edges = flow.edges.map((edge): FlowEdge => {
      const mark = marks.edges.get(edge.id);
      return mark
        ? { ...edge, className: `diff-${mark}`, style: { stroke: MARK_COLOURS[mark], strokeWidth: 2.5 } }
        : edge;
    });
    return { nodes, lines: edgeLines(nodes, edges) };
  }, [definition, marks, catalog]);
  // The pane's size, read before React Flow mounts, so its first render already has the opening
  // viewport and can leave out every card outside it.
  const paneRef = useRef<HTMLDivElement>(null);
  const [pane, setPane] = useState<{ width: number; height: number } | null>(null);
  useLayoutEffect(() => {
    const element = paneRef.current;
    if (element) setPane({ width: element.clientWidth, height: element.clientHeight });
  }, []);
  const viewport = useMemo(
    () => (pane ? openingViewport(nodes, changes, pane.width, pane.height) : null),
    [nodes, changes, pane],
  );
  // React Flow's work on its first render grows with every node it is given, in view or not (it
  // indexes, positions and culls them all): the first frame gets only the cards in view (and a
  // margin), the rest follow once that frame has been painted, before anyone can pan to them.
  const [allNodes, setAllNodes] = useState(false);
  const firstNodes = useMemo(
    () => (pane && viewport ? nodesNear(nodes, viewport, pane.width, pane.height) : []),
    [nodes, viewport, pane],
  );
  useEffect(() => {
    if (!viewport) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A task queued from an animation frame runs after that frame is painted.
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => startTransition(() => setAllNodes(true)), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [viewport]);
  return (
    <section className="relative flex min-h-0 flex-col bg-white" data-testid={testId} aria-label={title}>
      <p className="truncate border-b border-slate-100 px-3 py-1.5 text-xs font-medium text-slate-600">
        {title}
      </p>
      <div ref={paneRef} className="min-h-0 flex-1">
        {pane && viewport ? (
          <ReactFlow<FlowNode, FlowEdge>
            nodes={allNodes ? nodes : firstNodes}
            nodeTypes={nodeTypes}
            nodesDraggable={false}
            nodesConnectable={false}
            elementsSelectable={false}
            edgesFocusable={false}
            onNodeClick={(_, node) => onSelect(node.id)}
            onlyRenderVisibleElements
            width={pane.width}
            height={pane.height}
            defaultViewport={viewport}
            minZoom={COMPARE_MIN_ZOOM}
            maxZoom={COMPARE_MAX_ZOOM}
            aria-label={title}
          >
            <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cbd5e1" />
            <CompareEdgeLayer lines={lines} markerId={`${testId}-arrow`} />
          </ReactFlow>
        ) : null}
      </div>
    </section>
  );
}

function NodeConfigDiff({
  nodeId,
  from,
  to,
}: {
  nodeId: string;
  from: WorkflowDefinition;
  to: WorkflowDefinition;
}) {
  const before = from.nodes.find((n) => n.id === nodeId);
  const after = to.nodes.find((n) => n.id === nodeId);
  const left = before?.config ?? {};
  const delta = diff(left, after?.config ?? {});
  const html = delta ? htmlFormatter.format(delta, left) : null;
  return (
    <div data-testid="node-config-diff">
      <p className="text-sm font-semibold text-slate-900">{after?.name ?? before?.name ?? nodeId}: config</p>
      {!before ? <p className="mt-1 text-xs text-emerald-700">Added in the newer side.</p> : null}
      {!after ? <p className="mt-1 text-xs text-rose-700">Removed in the newer side.</p> : null}
      {html ? (
        <div
          // Long values (a prompt, a URL) wrap inside the panel instead of running off to the side.
          className="mt-2 overflow-x-auto text-xs [&_pre]:[overflow-wrap:anywhere] [&_pre]:whitespace-pre-wrap"
          data-testid="node-config-diff-body"
          // jsondiffpatch's HTML formatter escapes the values it prints.
          dangerouslySetInnerHTML={{ __html: html }}
        />
      ) : (
        <p className="mt-2 text-sm text-slate-500">The config is the same on both sides.</p>
      )}
    </div>
  );
}
