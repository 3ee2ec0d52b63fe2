/**
 * Route `/runs/:id`: one run, live while it goes on — its graph with each node's status, the
 * status bar (cancel, re-run), and beside it the selected node's step or, with nothing selected,
 * the run's input, output and steps in the order they ran. Loaded lazily (React Flow).
 */
import { ReactFlowProvider } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useContext, useMemo, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { readApiError } from '../api-error.ts';
import { NodeTypesContext } from '../editor/node-palette.ts';
import { useNodeTypeCatalog } from '../editor/use-node-types.ts';
import { PageError, PageLoading } from '../layout/page-state.tsx';
import { CostValue } from '../money/cost-value.tsx';
import { buttonClass } from '../ui/button.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { agentTurnsOf } from './agent-turns.tsx';
import { RunCanvas } from './run-canvas.tsx';
import { RunNotifications } from './run-notifications.tsx';
import { formatDuration, isFinished, nodeRunStatuses, type RunDetail, statusOfNode } from './run-state.ts';
import { StatusBadge } from './run-status.tsx';
import { actionError, RunStatusBar, useRunActions } from './run-status-bar.tsx';
import { JsonBlock, Section, StepDetails } from './step-details.tsx';
import { useLiveRun } from './use-live-run.ts';

export default function RunPage() {
  const { id = '' } = useParams();
  const { run, connection, subscription } = useLiveRun(id);
  const { list: nodeTypes, catalog } = useNodeTypeCatalog();

  if (run.isPending || nodeTypes.isPending) return <PageLoading label="Loading run…" />;
  if (run.isError) {
    const error = readApiError(run.error);
    if (error.code === 'NOT_FOUND' || error.code === 'BAD_REQUEST') {
      return (
        <div className="mx-auto max-w-md py-24 text-center">
          <h1 className="text-xl font-semibold text-slate-900">Run not found</h1>
          <p className="mt-2 text-sm text-slate-600">It may have been deleted with its workflow.</p>
          <Link to="/runs" className={buttonClass('primary', 'md', 'mt-6')}>
            All runs
          </Link>
        </div>
      );
    }
    return <PageError message={error.message} onRetry={() => run.refetch()} />;
  }
  if (nodeTypes.isError || !catalog) {
    return <PageError message={readApiError(nodeTypes.error).message} onRetry={() => nodeTypes.refetch()} />;
  }
  return (
    <NodeTypesContext value={catalog}>
      <ReactFlowProvider key={id}>
        <RunView run={run.data} connection={connection} onReconnect={() => subscription.reset()} />
      </ReactFlowProvider>
    </NodeTypesContext>
  );
}

function RunView({
  run,
  connection,
  onReconnect,
}: {
  run: RunDetail;
  connection: ReturnType<typeof useLiveRun>['connection'];
  onReconnect: () => void;
}) {
  const navigate = useNavigate();
  const [selected, setSelected] = useState<string | null>(null);
  // The graph this run executed (its snapshot), not the workflow's draft as it is now.
  const definition = run.definition;
  const statuses = useMemo(() => nodeRunStatuses(run), [run]);
  const statusOf = useMemo(() => (nodeId: string) => statusOfNode(run, statuses, nodeId), [run, statuses]);
  const { cancel, rerun } = useRunActions(run, (executionId) => {
    setSelected(null);
    navigate(`/runs/${executionId}`);
  });
  const catalog = useContext(NodeTypesContext);
  const nodeById = new Map(definition.nodes.map((node) => [node.id, node]));
  const selectedNode = selected ? nodeById.get(selected) : undefined;
  const stepNodeName = (nodeId: string) => nodeById.get(nodeId)?.name || nodeId;

  return (
    <div className="flex h-full flex-col">
      <title>{`Run · ${run.workflowName} · SWARM`}</title>
      <div className="flex shrink-0 flex-wrap items-center gap-3 border-b border-slate-200 bg-white px-4 py-2">
        <Link
          to="/runs"
          className="rounded-md px-2 py-1 text-sm text-slate-500 hover:bg-slate-100 hover:text-slate-800"
        >
          ← Runs
        </Link>
        <h1 className="text-base font-semibold text-slate-900">
          Run of{' '}
          <Link
            to={`/workflows/${run.workflowId}`}
            className="hover:text-indigo-600"
            data-testid="run-workflow-link"
          >
            {run.workflowName}
          </Link>
        </h1>
        <span className="font-mono text-xs text-slate-400" title={run.id}>
          {run.id.slice(0, 8)}
        </span>
        <span className="text-xs text-slate-500">
          {run.trigger}
          {run.kind === 'run' ? '' : run.kind === 'node_test' ? ' (node test)' : ' (test run)'} · created{' '}
          <RelativeTime date={run.createdAt} />
        </span>
      </div>
      <RunStatusBar
        run={run}
        connection={connection}
        onReconnect={onReconnect}
        totalNodes={definition.nodes.length}
        onCancel={() => cancel.mutate({ id: run.id })}
        cancelling={cancel.isPending}
        onRerun={() => rerun.mutate({ id: run.id })}
        rerunning={rerun.isPending}
        error={actionError(cancel.error, rerun.error)}
      />
      <div className="flex min-h-0 flex-1">
        <div className="relative min-w-0 flex-1" data-testid="run-canvas">
          <RunCanvas
            definition={definition}
            statusOf={statusOf}
            selectedNodeId={selected}
            onSelect={setSelected}
          />
        </div>
        <aside
          className="w-96 shrink-0 overflow-y-auto border-l border-slate-200 bg-white p-4"
          aria-label="Run details"
        >
          {selected ? (
            <StepDetails
              key={selected}
              nodeId={selected}
              nodeName={stepNodeName(selected)}
              entry={catalog.get(
                selectedNode?.type ?? run.steps.find((s) => s.nodeId === selected)?.nodeType ?? '',
              )}
              status={statusOf(selected)}
              step={run.steps.find((step) => step.nodeId === selected)}
              turns={agentTurnsOf(run.steps, selected)}
              onRerunFrom={
                isFinished(run.status) ? () => rerun.mutate({ id: run.id, fromNodeId: selected }) : undefined
              }
              rerunning={rerun.isPending}
              rerunError={rerun.error ? readApiError(rerun.error).message : null}
            />
          ) : (
            <div className="space-y-5">
              <Section title="Steps">
                {run.steps.length === 0 ? (
                  <p className="text-xs text-slate-500">No step has started yet.</p>
                ) : (
                  <ol
                    className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200"
                    data-testid="run-steps"
                  >
                    {run.steps
                      .filter((step) => step.parentNodeId === null)
                      .map((step) => (
                        <li key={step.id}>
                          <button
                            type="button"
                            onClick={() => setSelected(step.nodeId)}
                            className="flex w-full items-center gap-2 px-3 py-2 text-left text-xs hover:bg-slate-50"
                            data-testid="run-step-row"
                          >
                            <StatusBadge status={step.status} />
                            <span className="min-w-0 flex-1 truncate font-medium text-slate-800">
                              {stepNodeName(step.nodeId)}
                            </span>
                            <span className="text-slate-500 tabular-nums">
                              {formatDuration(step.durationMs)}
                            </span>
                            {step.costMicros === null || step.costMicros > 0 ? (
                              <span className="text-slate-500 tabular-nums">
                                <CostValue cost={step} testId="step-cost" />
                              </span>
                            ) : null}
                          </button>
                        </li>
                      ))}
                  </ol>
                )}
              </Section>
              {run.error ? (
                <div className="rounded-lg bg-rose-50 p-3 ring-1 ring-rose-200" role="alert">
                  <p className="font-mono text-[11px] text-rose-500">{run.error.code}</p>
                  <p className="mt-0.5 text-sm text-rose-800">{run.error.message}</p>
                </div>
              ) : null}
              {run.status === 'failed' ? <RunNotifications executionId={run.id} /> : null}
              <Section title="Output">
                <JsonBlock
                  value={run.output}
                  testId="run-output"
                  empty={isFinished(run.status) ? 'No output' : 'Not finished yet'}
                />
              </Section>
              <Section title="Input">
                <JsonBlock value={run.input} testId="run-input" />
              </Section>
            </div>
          )}
        </aside>
      </div>
    </div>
  );
}
