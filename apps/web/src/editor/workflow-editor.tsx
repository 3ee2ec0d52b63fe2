/**
 * The workflow editor: palette, React Flow canvas, inspector for the selected node, live
 * validation and saving of the draft, and running it: the run's input dialog, then the run live on
 * the same canvas (nodes light up as their steps run, succeed, fail or are skipped), with its
 * status bar and each node's step in the side panel.
 *
 * The canvas state (React Flow nodes and edges) is the source of truth while editing; the
 * definition is derived from it and compared, as JSON, with the last saved one to know whether
 * there are unsaved changes. Validation runs on the server (it knows every node type's config
 * schema) a moment after the last change.
 */
import type { WorkflowDefinition } from '@swarm/engine';
import { checkWorkflowDefinition } from '@swarm/engine';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import {
  addEdge,
  Background,
  BackgroundVariant,
  type Connection,
  Controls,
  MiniMap,
  type NodeTypes,
  Panel,
  ReactFlow,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type XYPosition,
} from '@xyflow/react';
import {
  type DragEvent,
  lazy,
  Suspense,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { Link, useBlocker } from 'react-router';
import { type ApiIssue, readApiError } from '../api-error.ts';
import { withRunColours } from '../runs/run-canvas.tsx';
import { RunInputDialog } from '../runs/run-input-dialog.tsx';
import { isFinished, nodeRunStatuses, statusOfNode } from '../runs/run-state.ts';
import { actionError, RunPageLink, RunStatusBar, useRunActions } from '../runs/run-status-bar.tsx';
import { JsonBlock, Section, StepDetails } from '../runs/step-details.tsx';
import { useLiveRun } from '../runs/use-live-run.ts';
import { checkValue } from '../schema-form/json-schema.ts';
import { exportUrl } from '../transfer/transfer.ts';
import { type RouterOutputs, useTRPC, useTRPCClient } from '../trpc.ts';
import { Button, buttonClass } from '../ui/button.tsx';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { TagChip } from '../ui/tag-chip.tsx';
import { useDebouncedValue } from '../use-debounced-value.ts';
import { VersionsPanel } from '../versions/versions-panel.tsx';
import { TagPicker } from '../workflows/tag-picker.tsx';
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
  toDefinition,
  toFlow,
  type WorkflowNodeData,
} from './graph.ts';
import { IssuesPanel } from './issues-panel.tsx';
import { NodeInspector } from './node-inspector.tsx';
import { NodeTypesContext, type PaletteEntry } from './node-palette.ts';
import { PALETTE_DRAG_TYPE, Palette } from './palette.tsx';
import { groupByTarget, type LocatedIssue, locateIssues } from './validation-issues.ts';
import { NodeIssuesContext, NodeRunContext, WorkflowNodeCard } from './workflow-node.tsx';

type Workflow = RouterOutputs['workflows']['get'];

type SidePanel = 'schemas' | 'schedules' | 'webhooks' | 'versions';
const SIDE_PANELS: Array<{ id: SidePanel; label: string }> = [
  { id: 'schemas', label: 'Schemas' },
  { id: 'schedules', label: 'Schedules' },
  { id: 'webhooks', label: 'Webhooks' },
  { id: 'versions', label: 'Versions' },
];

const nodeTypes: NodeTypes = { workflow: WorkflowNodeCard };

// The trigger and schema panels bring ajv, cronstrue and jsonata: loaded when first opened.
const SchemasPanel = lazy(() =>
  import('../schemas/schemas-panel.tsx').then((m) => ({ default: m.SchemasPanel })),
);
const SchedulesPanel = lazy(() =>
  import('../schedules/schedules-panel.tsx').then((m) => ({ default: m.SchedulesPanel })),
);
const WebhooksPanel = lazy(() =>
  import('../webhooks/webhooks-panel.tsx').then((m) => ({ default: m.WebhooksPanel })),
);
const VALIDATE_DELAY_MS = 400;

interface ValidationResult {
  json: string;
  definition: WorkflowDefinition;
  issues: ApiIssue[];
}

export function WorkflowEditor({
  workflow,
  onReload,
  showVersions = false,
}: {
  workflow: Workflow;
  /** Loads the workflow again and mounts a fresh editor on it (after a restore). */
  onReload?: () => void;
  showVersions?: boolean;
}) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const rf = useReactFlow<FlowNode, FlowEdge>();
  const canvasRef = useRef<HTMLDivElement>(null);
  const catalog = useContext(NodeTypesContext);

  // The editor owns its state from here on; later refetches of the workflow only refresh tags.
  const [initial] = useState(() => toFlow(workflow.definition));
  const [nodes, setNodes, onNodesChange] = useNodesState<FlowNode>(initial.nodes);
  const [edges, setEdges, onEdgesChange] = useEdgesState<FlowEdge>(initial.edges);
  const [name, setName] = useState(workflow.name);
  // Parts of the definition beside the graph; the schema panel edits `inputSchema`/`outputSchema`.
  const [extras, setExtras] = useState(initial.extras);
  const [saved, setSaved] = useState(() => ({
    json: JSON.stringify(toDefinition(initial.nodes, initial.edges, initial.extras)),
    name: workflow.name,
  }));

  const definitionJson = useMemo(
    () => JSON.stringify(toDefinition(nodes, edges, extras)),
    [nodes, edges, extras],
  );
  const dirty = definitionJson !== saved.json || (name.trim() !== '' && name.trim() !== saved.name);

  // --- validation -------------------------------------------------------------------------
  const [validation, setValidation] = useState<ValidationResult | null>(null);
  const debouncedJson = useDebouncedValue(definitionJson, VALIDATE_DELAY_MS);
  useEffect(() => {
    let cancelled = false;
    const definition = JSON.parse(debouncedJson) as WorkflowDefinition;
    client.workflows.validate.mutate({ definition }).then(
      (result) => {
        if (!cancelled) setValidation({ json: debouncedJson, definition, issues: result.issues });
      },
      (error: unknown) => {
        if (cancelled) return;
        // Rejected input still names its problems; if the server is unreachable, check locally.
        const { issues } = readApiError(error);
        const fallback = issues.length > 0 ? issues : checkWorkflowDefinition(definition).issues;
        setValidation({ json: debouncedJson, definition, issues: fallback });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [debouncedJson, client]);

  // Config problems the form can see at once (a required field emptied), from each type's schema.
  const configIssues = useMemo(
    () =>
      nodes.flatMap((node, index): LocatedIssue[] => {
        const entry = catalog.get(node.data.nodeType);
        if (!entry.known) return [];
        return checkValue(entry.configSpec, node.data.config, 'config').map((issue) => ({
          path: `definition.nodes[${index}].${issue.path}`,
          message: issue.message,
          target: { kind: 'node', id: node.id },
          field: issue.path,
        }));
      }),
    [nodes, catalog],
  );
  const issues = useMemo(() => {
    const nodeIds = new Set(nodes.map((n) => n.id));
    const edgeIds = new Set(edges.map((e) => e.id));
    // Drop issues about things deleted since the check ran.
    const server = validation
      ? locateIssues(validation.issues, validation.definition).filter(
          (issue) =>
            !issue.target ||
            (issue.target.kind === 'node' ? nodeIds.has(issue.target.id) : edgeIds.has(issue.target.id)),
        )
      : [];
    const key = (issue: LocatedIssue) => `${issue.target?.id ?? ''}|${issue.field}|${issue.message}`;
    const seen = new Set(server.map(key));
    return [...server, ...configIssues.filter((issue) => !seen.has(key(issue)))];
  }, [validation, nodes, edges, configIssues]);
  const nodeIssues = useMemo(() => groupByTarget(issues, 'node'), [issues]);
  const edgeIssues = useMemo(() => groupByTarget(issues, 'edge'), [issues]);
  const checking = validation?.json !== definitionJson;

  // Edges are labelled with node names for screen readers, and drawn red when they have issues.
  const nodeNames = useMemo(
    () => new Map(nodes.map((n) => [n.id, n.data.name || catalog.get(n.data.nodeType).label])),
    [nodes, catalog],
  );
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

  // --- saving -----------------------------------------------------------------------------
  const update = useMutation(trpc.workflows.update.mutationOptions());
  /** Saves the draft as it is now; resolves whether it was saved (problems show next to the button). */
  const saveDraft = async (): Promise<boolean> => {
    if (update.isPending) return false;
    const json = definitionJson;
    const definition = JSON.parse(json) as WorkflowDefinition;
    const nextName = name.trim() || saved.name;
    try {
      await update.mutateAsync({ id: workflow.id, name: nextName, definition });
    } catch (error) {
      const { issues: saveIssues } = readApiError(error);
      if (saveIssues.length > 0) setValidation({ json, definition, issues: saveIssues });
      return false;
    }
    setSaved({ json, name: nextName });
    setName(nextName);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.workflows.get.queryKey({ id: workflow.id }) }),
      queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
    ]);
    return true;
  };
  const save = () => void saveDraft();
  const saveRef = useRef(save);
  saveRef.current = save;

  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        saveRef.current();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  useEffect(() => {
    if (!dirty) return;
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers only show the prompt when returnValue is set.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [dirty]);

  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) => dirty && currentLocation.pathname !== nextLocation.pathname,
  );

  // --- editing ----------------------------------------------------------------------------
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

  const nodeName = (id: string) => nodeNames.get(id) ?? null;

  // --- running ----------------------------------------------------------------------------
  const [runDialogOpen, setRunDialogOpen] = useState(false);
  const [activeRunId, setActiveRunId] = useState<string | null>(null);
  const [asideTab, setAsideTab] = useState<'step' | 'settings'>('step');
  const [sidePanel, setSidePanel] = useState<SidePanel | null>(showVersions ? 'versions' : null);
  const versionsOpen = sidePanel === 'versions';
  const togglePanel = (panel: SidePanel) => setSidePanel((open) => (open === panel ? null : panel));
  const { run: runQuery, connection, subscription } = useLiveRun(activeRunId);
  const activeRun = activeRunId ? runQuery.data : undefined;
  const runStatuses = useMemo(() => (activeRun ? nodeRunStatuses(activeRun) : null), [activeRun]);
  const runStatusOf = useMemo(
    () =>
      activeRun && runStatuses ? (nodeId: string) => statusOfNode(activeRun, runStatuses, nodeId) : null,
    [activeRun, runStatuses],
  );
  const showRun = (executionId: string) => {
    setActiveRunId(executionId);
    setAsideTab('step');
    setRunDialogOpen(false);
  };
  const canvasEdges = useMemo(
    () => (runStatusOf ? withRunColours(displayEdges, runStatusOf) : displayEdges),
    [displayEdges, runStatusOf],
  );
  const { cancel, rerun } = useRunActions(activeRun, showRun);
  const runActionError = actionError(cancel.error, rerun.error);
  // Re-running from the editor uses what is on the canvas: the draft, saved first. Steps whose node
  // did not change are reused from the earlier run.
  const rerunOnDraft = async (fromNodeId?: string) => {
    if (!activeRun || rerun.isPending) return;
    if (dirty && !(await saveDraft())) return;
    rerun.mutate({ id: activeRun.id, version: 'draft', ...(fromNodeId ? { fromNodeId } : {}) });
  };

  const saveError = update.error ? readApiError(update.error) : null;

  return (
    <div className="flex h-full flex-col">
      <title>{`${dirty ? '• ' : ''}${name.trim() || saved.name} · SWARM`}</title>
      <div className="flex shrink-0 flex-wrap items-center gap-3 border-b border-slate-200 bg-white px-4 py-2">
        <Link
          to="/"
          className="rounded-md px-2 py-1 text-sm text-slate-500 hover:bg-slate-100 hover:text-slate-800"
        >
          ← Workflows
        </Link>
        <label htmlFor="workflow-name" className="sr-only">
          Workflow name
        </label>
        <input
          id="workflow-name"
          value={name}
          maxLength={200}
          onChange={(e) => setName(e.target.value)}
          className="field-sizing-content max-w-md min-w-40 rounded-md border-0 bg-transparent px-2 py-1 text-base font-semibold text-slate-900 ring-inset hover:ring-1 hover:ring-slate-300 focus:ring-2 focus:ring-indigo-500 focus:outline-none"
          data-testid="editor-workflow-name"
        />
        <div className="flex flex-wrap items-center gap-1.5" data-testid="editor-tags">
          {workflow.tags.map((tag) => (
            <TagChip key={tag.id} tag={tag} />
          ))}
          <TagPicker workflowId={workflow.id} workflowName={workflow.name} tags={workflow.tags} />
        </div>
        <div className="ml-auto flex items-center gap-3">
          <SaveStatus dirty={dirty} saving={update.isPending} error={saveError?.message ?? null} />
          <Link
            to={`/workflows/${workflow.id}/runs`}
            className={buttonClass('ghost')}
            data-testid="workflow-runs-tab"
          >
            Runs
          </Link>
          <a
            href={exportUrl(workflow.id)}
            download
            className={buttonClass('ghost')}
            title={
              dirty ? 'Exports the saved draft; save first to include unsaved changes' : 'Download as JSON'
            }
            data-testid="export-workflow"
          >
            Export
          </a>
          <div className="flex gap-0.5 rounded-lg bg-slate-100 p-0.5">
            {SIDE_PANELS.map((panel) => (
              <button
                key={panel.id}
                type="button"
                onClick={() => togglePanel(panel.id)}
                aria-pressed={sidePanel === panel.id}
                data-testid={`${panel.id}-toggle`}
                className={`rounded-md px-2.5 py-1 text-xs font-medium ${
                  sidePanel === panel.id
                    ? 'bg-white text-slate-900 shadow-sm'
                    : 'text-slate-600 hover:text-slate-900'
                }`}
              >
                {panel.label}
              </button>
            ))}
          </div>
          <Button
            onClick={save}
            disabled={update.isPending || (!dirty && !update.isError)}
            title="Save draft (Ctrl+S)"
            data-testid="save-workflow"
          >
            {update.isPending ? 'Saving…' : 'Save draft'}
          </Button>
          <Button
            variant="primary"
            onClick={() => setRunDialogOpen(true)}
            disabled={nodes.length === 0}
            title={nodes.length === 0 ? 'Add nodes first' : 'Run this workflow'}
            data-testid="run-workflow"
          >
            <PlayIcon />
            Run
          </Button>
        </div>
      </div>

      {activeRunId ? (
        activeRun ? (
          <RunStatusBar
            run={activeRun}
            connection={connection}
            onReconnect={() => subscription.reset()}
            totalNodes={nodes.length}
            onCancel={() => cancel.mutate({ id: activeRun.id })}
            cancelling={cancel.isPending}
            onRerun={() => void rerunOnDraft()}
            rerunning={rerun.isPending}
            error={runActionError}
          >
            <RunPageLink id={activeRun.id} />
            <Button
              size="sm"
              variant="ghost"
              onClick={() => setActiveRunId(null)}
              aria-label="Close the run view"
              data-testid="close-run-view"
            >
              ✕
            </Button>
          </RunStatusBar>
        ) : (
          <div className="border-b border-slate-200 bg-white px-4 py-2 text-sm text-slate-500" role="status">
            {runQuery.isError ? readApiError(runQuery.error).message : 'Loading run…'}
          </div>
        )
      ) : null}

      <div className="flex min-h-0 flex-1">
        <aside className="flex w-60 shrink-0 flex-col gap-6 overflow-y-auto border-r border-slate-200 bg-slate-50 p-3">
          <Palette onAdd={(entry) => addNode(entry)} />
          <IssuesPanel issues={issues} checking={checking} nodeName={nodeName} onFocus={focusIssue} />
        </aside>

        <div ref={canvasRef} className="relative min-w-0 flex-1" data-testid="canvas">
          <NodeRunContext value={runStatusOf}>
            <NodeIssuesContext value={nodeIssues}>
              <ReactFlow<FlowNode, FlowEdge>
                nodes={nodes}
                edges={canvasEdges}
                nodeTypes={nodeTypes}
                onNodesChange={onNodesChange}
                onEdgesChange={onEdgesChange}
                onConnect={onConnect}
                isValidConnection={isValidConnection}
                onDragOver={onDragOver}
                onDrop={onDrop}
                deleteKeyCode={['Delete', 'Backspace']}
                fitView={initial.nodes.length > 0}
                fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
                defaultEdgeOptions={edgeDefaults}
                snapToGrid
                snapGrid={[10, 10]}
                minZoom={0.2}
                aria-label="Workflow canvas"
              >
                <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#cbd5e1" />
                <Controls showInteractive={false} />
                <MiniMap pannable zoomable className="!hidden md:!block" nodeStrokeWidth={3} />
                {nodes.length === 0 ? (
                  <Panel position="top-center">
                    <div className="mt-16 rounded-xl bg-white/90 px-5 py-4 text-center shadow-sm ring-1 ring-slate-200">
                      <p className="text-sm font-medium text-slate-800">Your canvas is empty</p>
                      <p className="mt-1 text-xs text-slate-500">
                        Click a node type on the left, or drag it here. Connect nodes by dragging between
                        their handles.
                      </p>
                    </div>
                  </Panel>
                ) : null}
              </ReactFlow>
            </NodeIssuesContext>
          </NodeRunContext>
        </div>

        <aside
          className={`${sidePanel && sidePanel !== 'versions' ? 'w-[28rem]' : 'w-80'} shrink-0 overflow-y-auto border-l border-slate-200 bg-white p-4`}
          aria-label={SIDE_PANELS.find((panel) => panel.id === sidePanel)?.label ?? 'Selected item'}
        >
          <Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
            {sidePanel === 'schemas' ? (
              <SchemasPanel
                inputSchema={extras.inputSchema}
                outputSchema={extras.outputSchema}
                onChange={(key, schema) =>
                  setExtras((current) => {
                    const { [key]: _old, ...rest } = current;
                    return schema ? { ...rest, [key]: schema } : rest;
                  })
                }
                issues={issues}
                checking={checking}
              />
            ) : sidePanel === 'schedules' ? (
              <SchedulesPanel workflowId={workflow.id} inputSchema={extras.inputSchema} />
            ) : sidePanel === 'webhooks' ? (
              <WebhooksPanel workflowId={workflow.id} inputSchema={extras.inputSchema} />
            ) : versionsOpen ? (
              <VersionsPanel
                workflowId={workflow.id}
                dirty={dirty}
                saveDraft={saveDraft}
                onRestored={() => {
                  // The server's draft changed: drop the canvas state and load it again.
                  setSaved({ json: definitionJson, name });
                  onReload?.();
                }}
              />
            ) : (
              <>
                {selectedNode && activeRun && runStatusOf ? (
                  <div className="mb-4 flex gap-1 rounded-lg bg-slate-100 p-1 text-xs" role="tablist">
                    {(['step', 'settings'] as const).map((tab) => (
                      <button
                        key={tab}
                        type="button"
                        role="tab"
                        aria-selected={asideTab === tab}
                        onClick={() => setAsideTab(tab)}
                        data-testid={`aside-tab-${tab}`}
                        className={`flex-1 rounded-md px-2 py-1 font-medium ${
                          asideTab === tab
                            ? 'bg-white text-slate-900 shadow-sm'
                            : 'text-slate-600 hover:text-slate-900'
                        }`}
                      >
                        {tab === 'step' ? 'Run step' : 'Settings'}
                      </button>
                    ))}
                  </div>
                ) : null}
                {selectedNode && activeRun && runStatusOf && asideTab === 'step' ? (
                  <StepDetails
                    key={`${activeRun.id}:${selectedNode.id}`}
                    nodeId={selectedNode.id}
                    nodeName={nodeNames.get(selectedNode.id) ?? selectedNode.id}
                    entry={catalog.get(selectedNode.data.nodeType)}
                    status={runStatusOf(selectedNode.id)}
                    step={activeRun.steps.find((step) => step.nodeId === selectedNode.id)}
                    onRerunFrom={
                      isFinished(activeRun.status) ? () => void rerunOnDraft(selectedNode.id) : undefined
                    }
                    rerunning={rerun.isPending}
                    rerunError={rerun.error ? readApiError(rerun.error).message : null}
                    rerunHint={`Runs the current draft${dirty ? ' (saved first)' : ''}: unchanged steps before this node are reused from this run; this node and everything after it run again.`}
                  />
                ) : selectedNode ? (
                  <NodeInspector
                    key={selectedNode.id}
                    node={selectedNode}
                    issues={nodeIssues.get(selectedNode.id) ?? []}
                    onChange={(patch) => updateNode(selectedNode.id, patch)}
                    onDelete={() => rf.deleteElements({ nodes: [{ id: selectedNode.id }] })}
                  />
                ) : selectedEdge ? (
                  <div className="space-y-4" data-testid="edge-inspector">
                    <p className="text-sm font-semibold text-slate-900">Connection</p>
                    <p className="text-sm text-slate-600">
                      {nodeName(selectedEdge.source) ?? selectedEdge.source} →{' '}
                      {nodeName(selectedEdge.target) ?? selectedEdge.target}
                    </p>
                    {(edgeIssues.get(selectedEdge.id) ?? []).map((issue) => (
                      <p key={issue.message} className="text-xs text-rose-700">
                        {issue.message}
                      </p>
                    ))}
                    <Button
                      className="w-full text-rose-700 hover:bg-rose-50"
                      onClick={() => rf.deleteElements({ edges: [{ id: selectedEdge.id }] })}
                      data-testid="delete-edge"
                    >
                      Delete connection
                    </Button>
                  </div>
                ) : activeRun ? (
                  <div className="space-y-5" data-testid="run-summary">
                    <p className="text-sm text-slate-500">
                      Select a node to see its step: input, output and provider calls.
                    </p>
                    {activeRun.error ? (
                      <div className="rounded-lg bg-rose-50 p-3 ring-1 ring-rose-200" role="alert">
                        <p className="font-mono text-[11px] text-rose-500">{activeRun.error.code}</p>
                        <p className="mt-0.5 text-sm text-rose-800">{activeRun.error.message}</p>
                      </div>
                    ) : null}
                    <Section title="Run output">
                      <JsonBlock
                        value={activeRun.output}
                        testId="run-output"
                        empty={isFinished(activeRun.status) ? 'No output' : 'Not finished yet'}
                      />
                    </Section>
                    <Section title="Run input">
                      <JsonBlock value={activeRun.input} testId="run-input" />
                    </Section>
                  </div>
                ) : (
                  <div className="text-sm text-slate-500">
                    <p className="font-medium text-slate-700">Nothing selected</p>
                    <p className="mt-1">Select a node to edit its name and settings.</p>
                    <dl className="mt-6 grid grid-cols-2 gap-3">
                      <div className="rounded-lg bg-slate-50 p-3">
                        <dt className="text-xs text-slate-500">Nodes</dt>
                        <dd className="text-lg font-semibold text-slate-900" data-testid="node-count">
                          {nodes.length}
                        </dd>
                      </div>
                      <div className="rounded-lg bg-slate-50 p-3">
                        <dt className="text-xs text-slate-500">Connections</dt>
                        <dd className="text-lg font-semibold text-slate-900" data-testid="edge-count">
                          {edges.length}
                        </dd>
                      </div>
                    </dl>
                    <p className="mt-6 text-xs leading-5 text-slate-400">
                      Tips: Delete or Backspace removes the selection · Ctrl/⌘+S saves · Shift-drag selects an
                      area.
                    </p>
                  </div>
                )}
              </>
            )}
          </Suspense>
        </aside>
      </div>

      <RunInputDialog
        open={runDialogOpen}
        onClose={() => setRunDialogOpen(false)}
        workflowId={workflow.id}
        inputSchema={extras.inputSchema}
        dirty={dirty}
        saveDraft={saveDraft}
        onStarted={showRun}
        onDefinitionIssues={(runIssues) =>
          setValidation({
            json: definitionJson,
            definition: JSON.parse(definitionJson) as WorkflowDefinition,
            issues: runIssues,
          })
        }
      />

      <ConfirmDialog
        open={blocker.state === 'blocked'}
        title="Leave without saving?"
        message="This workflow has unsaved changes. If you leave now they will be lost."
        confirmLabel="Discard changes"
        danger
        onConfirm={() => blocker.proceed?.()}
        onCancel={() => blocker.reset?.()}
      />
    </div>
  );
}

function SaveStatus({ dirty, saving, error }: { dirty: boolean; saving: boolean; error: string | null }) {
  if (error && !saving) {
    return (
      <span
        className="max-w-80 truncate text-sm text-rose-700"
        role="alert"
        title={error}
        data-testid="save-error"
      >
        Not saved: {error}
      </span>
    );
  }
  if (dirty) {
    return (
      <span className="flex items-center gap-1.5 text-sm text-amber-700" data-testid="unsaved-indicator">
        <span className="size-2 rounded-full bg-amber-500" />
        Unsaved changes
      </span>
    );
  }
  return (
    <span className="flex items-center gap-1.5 text-sm text-slate-500" data-testid="saved-indicator">
      <span className="size-2 rounded-full bg-emerald-500" />
      {saving ? 'Saving…' : 'All changes saved'}
    </span>
  );
}

function PlayIcon() {
  return (
    <svg viewBox="0 0 20 20" fill="currentColor" className="size-4" aria-hidden="true">
      <path d="M6.3 2.84A1.5 1.5 0 0 0 4 4.11v11.78a1.5 1.5 0 0 0 2.3 1.27l9.34-5.89a1.5 1.5 0 0 0 0-2.54L6.3 2.84Z" />
    </svg>
  );
}
