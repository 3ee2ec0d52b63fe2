/**
 * The bar above the canvas while a run is shown on it: the run's status bar (cancel, re-run on the
 * draft, open the run page, close the run view), or why the run cannot be shown yet.
 */
import { readApiError } from '../api-error.ts';
import { RunPageLink, RunStatusBar } from '../runs/run-status-bar.tsx';
import { Button } from '../ui/button.tsx';
import type { EditorRun } from './use-editor-run.ts';

export function EditorRunBar({ run, totalNodes }: { run: EditorRun; totalNodes: number }) {
  const { activeRun, runQuery } = run;
  if (!activeRun) {
    return (
      <div className="border-b border-slate-200 bg-white px-4 py-2 text-sm text-slate-500" role="status">
        {runQuery.isError ? readApiError(runQuery.error).message : 'Loading run…'}
      </div>
    );
  }
  return (
    <RunStatusBar
      run={activeRun}
      connection={run.connection}
      onReconnect={() => run.subscription.reset()}
      totalNodes={totalNodes}
      onCancel={() => run.cancel.mutate({ id: activeRun.id })}
      cancelling={run.cancel.isPending}
      onRerun={() => void run.rerunOnDraft()}
      rerunning={run.rerun.isPending}
      error={run.actionError}
    >
      <RunPageLink id={activeRun.id} />
      <Button
        size="sm"
        variant="ghost"
        onClick={run.closeRun}
        aria-label="Close the run view"
        data-testid="close-run-view"
      >
        ✕
      </Button>
    </RunStatusBar>
  );
}
