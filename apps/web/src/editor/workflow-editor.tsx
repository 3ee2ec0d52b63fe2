/**
 * The workflow editor: palette, React Flow canvas, inspector for the selected node, live
 * validation and saving of the draft, and running it: the run's input dialog, then the run live on
 * the same canvas (nodes light up as their steps run, succeed, fail or are skipped), with its
 * status bar and each node's step in the side panel.
 *
 * This component is the layout and the wiring; the state and behaviour live in the `use-*.ts`
 * hooks next to it (the draft, its validation, saving, editing and selecting on the canvas, the
 * shown run) and the parts of the screen in their own components.
 */
import { useRef } from 'react';
import { RunInputDialog } from '../runs/run-input-dialog.tsx';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { EditorCanvas } from './editor-canvas.tsx';
import { EditorRunBar } from './editor-run-bar.tsx';
import { EditorToolbar } from './editor-toolbar.tsx';
import { IssuesPanel } from './issues-panel.tsx';
import { NodeTestPanel } from './node-test-panel.tsx';
import { Palette } from './palette.tsx';
import { SelectionPanel } from './selection-panel.tsx';
import { EditorAside, SIDE_PANELS, ToolPanel } from './side-panels.tsx';
import { useCanvasEdges, useNodeNames } from './use-canvas-edges.ts';
import { useCanvasEditing } from './use-canvas-editing.ts';
import { useCanvasSelection } from './use-canvas-selection.ts';
import { useDefinitionValidation } from './use-definition-validation.ts';
import { useEditorRun } from './use-editor-run.ts';
import { usePins } from './use-pins.ts';
import { useSaveDraft } from './use-save-draft.ts';
import { useSaveShortcut } from './use-save-shortcut.ts';
import { useSidePanel } from './use-side-panel.ts';
import { useUnsavedChangesGuard } from './use-unsaved-changes-guard.ts';
import { useWorkflowDraft, type Workflow } from './use-workflow-draft.ts';
import { PinnedNodesContext } from './workflow-node.tsx';

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
  const canvasRef = useRef<HTMLDivElement>(null);
  const draft = useWorkflowDraft(workflow);
  const { nodes, edges, dirty, definitionJson } = draft;
  const validation = useDefinitionValidation(definitionJson, nodes, edges);
  const saving = useSaveDraft(workflow.id, draft, validation.showIssues);
  useSaveShortcut(saving.save);
  const blocker = useUnsavedChangesGuard(dirty);
  const editing = useCanvasEditing(draft, canvasRef);
  const selection = useCanvasSelection(draft);
  const run = useEditorRun({ dirty, saveDraft: saving.saveDraft });
  const nodeNames = useNodeNames(nodes);
  const pins = usePins(workflow.id);
  const pinnedIds = new Set(nodes.filter((n) => pins.outputs.has(n.id)).map((n) => n.id));
  const canvasEdges = useCanvasEdges(edges, nodeNames, validation.edgeIssues, run.runStatusOf);
  const aside = useSidePanel(
    showVersions ? 'versions' : null,
    selection.selectedNode?.id ?? selection.selectedEdge?.id ?? null,
  );

  return (
    <div className="flex h-full flex-col">
      <title>{`${dirty ? '• ' : ''}${draft.name.trim() || draft.savedName} · SWARM`}</title>
      <EditorToolbar
        workflow={workflow}
        name={draft.name}
        onNameChange={draft.setName}
        dirty={dirty}
        saving={saving.saving}
        saveFailed={saving.failed}
        saveError={saving.error}
        onSave={saving.save}
        sidePanel={aside.shown}
        onTogglePanel={aside.toggle}
        canRun={nodes.length > 0}
        onRun={run.openRunDialog}
      />

      {run.activeRunId ? <EditorRunBar run={run} totalNodes={nodes.length} /> : null}

      <div className="flex min-h-0 flex-1">
        <aside className="flex w-60 shrink-0 flex-col gap-6 overflow-y-auto border-r border-slate-200 bg-slate-50 p-3">
          <Palette onAdd={(entry) => editing.addNode(entry)} />
          <IssuesPanel
            issues={validation.issues}
            checking={validation.checking}
            nodeName={(id) => nodeNames.get(id) ?? null}
            onFocus={(issue) => {
              selection.focusIssue(issue);
              aside.showSelection();
            }}
          />
        </aside>

        <PinnedNodesContext value={pinnedIds}>
          <EditorCanvas
            canvasRef={canvasRef}
            nodes={nodes}
            edges={canvasEdges}
            onNodesChange={draft.onNodesChange}
            onEdgesChange={draft.onEdgesChange}
            onConnect={editing.onConnect}
            isValidConnection={editing.isValidConnection}
            onDragOver={editing.onDragOver}
            onDrop={editing.onDrop}
            onNodeClick={aside.showSelection}
            onEdgeClick={aside.showSelection}
            fitView={draft.openedWithNodes}
            nodeIssues={validation.nodeIssues}
            runStatusOf={run.runStatusOf}
          />
        </PinnedNodesContext>

        <EditorAside open={aside.open} shown={aside.shown}>
          {aside.open ? (
            // Mounted while the selection is in front, so what was typed in the panel survives.
            <div hidden={aside.shown === null}>
              <ToolPanel
                panel={aside.open}
                workflowId={workflow.id}
                extras={draft.extras}
                onSchemaChange={draft.setSchema}
                issues={validation.issues}
                checking={validation.checking}
                dirty={dirty}
                saveDraft={saving.saveDraft}
                onRestored={() => {
                  // The server's draft changed: drop the canvas state and load it again.
                  draft.markSaved(definitionJson, draft.name);
                  onReload?.();
                }}
              />
            </div>
          ) : null}
          {aside.shown === null ? (
            <>
              {aside.open ? (
                <button
                  type="button"
                  onClick={aside.showPanel}
                  className="mb-4 text-xs font-medium text-indigo-600 hover:text-indigo-800"
                  data-testid="back-to-panel"
                >
                  ← Back to {SIDE_PANELS.find((entry) => entry.id === aside.open)?.label}
                </button>
              ) : null}
              <SelectionPanel
                nodeCount={nodes.length}
                edgeCount={edges.length}
                selectedNode={selection.selectedNode}
                selectedEdge={selection.selectedEdge}
                run={run}
                nodeNames={nodeNames}
                nodeIssues={validation.nodeIssues}
                edgeIssues={validation.edgeIssues}
                dirty={dirty}
                updateNode={editing.updateNode}
                removeNode={editing.removeNode}
                removeEdge={editing.removeEdge}
                nodeTest={(node) => (
                  <NodeTestPanel
                    key={node.id}
                    workflowId={workflow.id}
                    nodeId={node.id}
                    pins={pins}
                    prepareDraft={async () => !dirty || saving.saveDraft()}
                  />
                )}
              />
            </>
          ) : null}
        </EditorAside>
      </div>

      <RunInputDialog
        open={run.runDialogOpen}
        onClose={run.closeRunDialog}
        workflowId={workflow.id}
        inputSchema={draft.extras.inputSchema}
        dirty={dirty}
        saveDraft={saving.saveDraft}
        onStarted={run.showRun}
        test={pinnedIds.size > 0}
        onDefinitionIssues={(runIssues) => validation.showIssues(definitionJson, runIssues)}
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
