/**
 * Saving the draft: `saveDraft` sends the definition and name as they are now and resolves whether
 * they were saved; a definition the server refuses has its issues shown like the live check's.
 */
import type { WorkflowDefinition } from '@swarm/engine';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type ApiIssue, readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import type { WorkflowDraft } from './use-workflow-draft.ts';

export function useSaveDraft(
  workflowId: string,
  draft: WorkflowDraft,
  showIssues: (json: string, issues: ApiIssue[]) => void,
) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.workflows.update.mutationOptions());
  /** Saves the draft as it is now; resolves whether it was saved (problems show next to the button). */
  const saveDraft = async (): Promise<boolean> => {
    if (update.isPending) return false;
    const json = draft.definitionJson;
    const definition = JSON.parse(json) as WorkflowDefinition;
    const nextName = draft.name.trim() || draft.savedName;
    try {
      await update.mutateAsync({ id: workflowId, name: nextName, definition });
    } catch (error) {
      const { issues } = readApiError(error);
      if (issues.length > 0) showIssues(json, issues);
      return false;
    }
    draft.markSaved(json, nextName);
    draft.setName(nextName);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.workflows.get.queryKey({ id: workflowId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.workflows.list.pathKey() }),
    ]);
    return true;
  };
  return {
    saveDraft,
    save: () => void saveDraft(),
    saving: update.isPending,
    /** The last save failed (the button stays enabled to try again). */
    failed: update.isError,
    error: update.error ? readApiError(update.error).message : null,
  };
}
