/**
 * Running the draft from the editor: the run input dialog, then the started run shown live on the
 * canvas (each node's step status, edges coloured by it), with cancel and re-run. Re-running from
 * the editor uses what is on the canvas: the draft, saved first; steps whose node did not change
 * are reused from the earlier run.
 */
import { useMemo, useState } from 'react';
import { nodeRunStatuses, statusOfNode } from '../runs/run-state.ts';
import { actionError, useRunActions } from '../runs/run-status-bar.tsx';
import { useLiveRun } from '../runs/use-live-run.ts';

/** What the side panel shows for the selected node while a run is shown. */
export type StepTab = 'step' | 'settings';

export function useEditorRun({ dirty, saveDraft }: { dirty: boolean; saveDraft: () => Promise<boolean> }) {
  const [runDialogOpen, setRunDialogOpen] = useState(false);
  const [activeRunId, setActiveRunId] = useState<string | null>(null);
  const [stepTab, setStepTab] = useState<StepTab>('step');
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
    setStepTab('step');
    setRunDialogOpen(false);
  };
  const { cancel, rerun } = useRunActions(activeRun, showRun);
  const rerunOnDraft = async (fromNodeId?: string) => {
    if (!activeRun || rerun.isPending) return;
    if (dirty && !(await saveDraft())) return;
    rerun.mutate({ id: activeRun.id, version: 'draft', ...(fromNodeId ? { fromNodeId } : {}) });
  };

  return {
    runDialogOpen,
    openRunDialog: () => setRunDialogOpen(true),
    closeRunDialog: () => setRunDialogOpen(false),
    /** The run shown on the canvas, if any; its data may still be loading (`runQuery`). */
    activeRunId,
    closeRun: () => setActiveRunId(null),
    runQuery,
    connection,
    subscription,
    activeRun,
    /** The step status of each node while a run is shown; null otherwise. */
    runStatusOf,
    showRun,
    cancel,
    rerun,
    actionError: actionError(cancel.error, rerun.error),
    rerunOnDraft,
    stepTab,
    setStepTab,
  };
}

export type EditorRun = ReturnType<typeof useEditorRun>;
