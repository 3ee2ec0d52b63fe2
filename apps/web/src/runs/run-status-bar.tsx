/**
 * The bar above a run's canvas: status, how long it took (or has been going), what it cost, how
 * many nodes are done, and the actions that fit its state (cancel while it runs, re-run after).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { CostValue } from '../money/cost-value.tsx';
import { useTRPC } from '../trpc.ts';
import { Button, buttonClass } from '../ui/button.tsx';
import { formatDuration, isFinished, type RunDetail, runDurationMs } from './run-state.ts';
import { StatusBadge } from './run-status.tsx';
import { useNow } from './use-live-run.ts';

/** Cancel and re-run for one run; a re-run reports the new run's id. */
export function useRunActions(run: RunDetail | undefined, onStarted: (executionId: string) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cancel = useMutation(
    trpc.runs.cancel.mutationOptions({
      onSuccess: () => {
        if (run) void queryClient.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ id: run.id }) });
      },
    }),
  );
  const rerun = useMutation(
    trpc.runs.rerun.mutationOptions({
      onSuccess: ({ executionId }) => {
        void queryClient.invalidateQueries({ queryKey: trpc.runs.list.pathKey() });
        onStarted(executionId);
      },
    }),
  );
  return { cancel, rerun };
}

interface RunStatusBarProps {
  run: RunDetail;
  connection: 'live' | 'connecting' | 'error' | 'off';
  /** Reconnects a stream that broke off. */
  onReconnect?: () => void;
  totalNodes: number;
  onCancel: () => void;
  cancelling: boolean;
  onRerun: () => void;
  rerunning: boolean;
  error: string | null;
  /** Extra controls (open the run page, close the run view). */
  children?: ReactNode;
}

export function RunStatusBar({
  run,
  connection,
  onReconnect,
  totalNodes,
  onCancel,
  cancelling,
  onRerun,
  rerunning,
  error,
  children,
}: RunStatusBarProps) {
  const finished = isFinished(run.status);
  const now = useNow(!finished);
  // An agent's turns and tool calls are part of its step, not nodes of their own.
  const done = run.steps.filter((step) => step.status !== 'running' && step.parentNodeId === null).length;
  const cancelRequested = run.cancelRequestedAt !== null && !finished;

  return (
    <div
      className="flex flex-wrap items-center gap-x-4 gap-y-2 border-b border-slate-200 bg-white px-4 py-2 text-sm"
      data-testid="run-status-bar"
      data-run-id={run.id}
      data-status={run.status}
      role="status"
      aria-live="polite"
    >
      <StatusBadge status={run.status} testId="run-status" />
      {connection === 'live' ? (
        <span
          className="flex items-center gap-1.5 text-xs text-sky-700"
          title="Receiving live updates"
          data-testid="run-live"
        >
          <span className="size-1.5 animate-pulse rounded-full bg-sky-500" />
          Live
        </span>
      ) : connection === 'connecting' ? (
        <span className="text-xs text-slate-500">Connecting…</span>
      ) : connection === 'error' ? (
        <span className="flex items-center gap-2 text-xs text-amber-700" role="alert">
          Live updates stopped.
          {onReconnect ? (
            <button type="button" className="underline" onClick={onReconnect}>
              Reconnect
            </button>
          ) : null}
        </span>
      ) : null}
      <Metric label="Duration">
        <span data-testid="run-duration">{formatDuration(runDurationMs(run, now))}</span>
      </Metric>
      <Metric label="Cost">
        <CostValue cost={run} testId="run-cost" />
      </Metric>
      <Metric label="Nodes">
        {Math.min(done, totalNodes)}/{totalNodes}
      </Metric>
      {run.rerunOf ? (
        <Link to={`/runs/${run.rerunOf}`} className="text-xs text-slate-500 hover:text-indigo-600">
          Re-run of an earlier run{run.rerunFromNode ? ` from ${run.rerunFromNode}` : ''}
        </Link>
      ) : null}
      {run.error ? (
        <span
          className="max-w-md truncate text-xs text-rose-700"
          title={run.error.message}
          data-testid="run-error"
        >
          {run.error.nodeId ? <span className="font-mono">{run.error.nodeId}: </span> : null}
          {run.error.message}
        </span>
      ) : null}
      {error ? (
        <span className="text-xs text-rose-700" role="alert">
          {error}
        </span>
      ) : null}
      <div className="ml-auto flex items-center gap-2">
        {finished ? (
          <Button size="sm" onClick={onRerun} disabled={rerunning} data-testid="rerun-run">
            {rerunning ? 'Starting…' : 'Re-run'}
          </Button>
        ) : (
          <Button
            size="sm"
            variant="danger"
            onClick={onCancel}
            disabled={cancelling || cancelRequested}
            data-testid="cancel-run"
          >
            {cancelRequested ? 'Cancelling…' : 'Cancel run'}
          </Button>
        )}
        {children}
      </div>
    </div>
  );
}

function Metric({ label, children }: { label: string; children: ReactNode }) {
  return (
    <span className="flex items-baseline gap-1.5">
      <span className="text-xs text-slate-500">{label}</span>
      <span className="font-medium text-slate-900 tabular-nums">{children}</span>
    </span>
  );
}

export function RunPageLink({ id }: { id: string }) {
  return (
    <Link to={`/runs/${id}`} className={buttonClass('ghost', 'sm')} data-testid="open-run-page">
      Details
    </Link>
  );
}

export function actionError(...errors: unknown[]): string | null {
  const error = errors.find(Boolean);
  return error ? readApiError(error).message : null;
}
