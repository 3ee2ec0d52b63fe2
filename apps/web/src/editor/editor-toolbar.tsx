/**
 * The bar above the editor: back to the list, the workflow's name (edited in place) and tags, the
 * save status, links to its runs and its export, the side panel toggles, save and run.
 */
import { Link } from 'react-router';
import { exportUrl } from '../transfer/transfer.ts';
import { Button, buttonClass } from '../ui/button.tsx';
import { LengthCounter } from '../ui/length-counter.tsx';
import { TagChip } from '../ui/tag-chip.tsx';
import { TagPicker } from '../workflows/tag-picker.tsx';
import { SaveStatus } from './save-status.tsx';
import { SIDE_PANELS, type SidePanel } from './side-panels.tsx';
import type { Workflow } from './use-workflow-draft.ts';

/** The API's limit on a workflow's name (`workflows.update`). */
const WORKFLOW_NAME_LIMIT = 200;

interface EditorToolbarProps {
  workflow: Workflow;
  name: string;
  onNameChange: (name: string) => void;
  dirty: boolean;
  saving: boolean;
  /** The last save failed: saving stays possible without further changes. */
  saveFailed: boolean;
  saveError: string | null;
  onSave: () => void;
  sidePanel: SidePanel | null;
  onTogglePanel: (panel: SidePanel) => void;
  /** There is something to run (at least one node). */
  canRun: boolean;
  onRun: () => void;
}

export function EditorToolbar({
  workflow,
  name,
  onNameChange,
  dirty,
  saving,
  saveFailed,
  saveError,
  onSave,
  sidePanel,
  onTogglePanel,
  canRun,
  onRun,
}: EditorToolbarProps) {
  return (
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
        onChange={(e) => onNameChange(e.target.value)}
        aria-invalid={name.length > WORKFLOW_NAME_LIMIT ? true : undefined}
        className={`field-sizing-content max-w-md min-w-40 rounded-md border-0 bg-transparent px-2 py-1 text-base font-semibold text-slate-900 ring-inset hover:ring-1 hover:ring-slate-300 focus:ring-2 focus:ring-indigo-500 focus:outline-none ${name.length > WORKFLOW_NAME_LIMIT ? 'ring-1 ring-rose-400' : ''}`}
        data-testid="editor-workflow-name"
      />
      {/* Shown near the limit, not cut at it: the save is refused with the reason past it. */}
      {name.length > WORKFLOW_NAME_LIMIT * 0.9 ? (
        <LengthCounter length={name.length} max={WORKFLOW_NAME_LIMIT} testId="editor-workflow-name-count" />
      ) : null}
      <div className="flex flex-wrap items-center gap-1.5" data-testid="editor-tags">
        {workflow.tags.map((tag) => (
          <TagChip key={tag.id} tag={tag} />
        ))}
        <TagPicker workflowId={workflow.id} workflowName={workflow.name} tags={workflow.tags} />
      </div>
      <div className="ml-auto flex items-center gap-3">
        <SaveStatus dirty={dirty} saving={saving} error={saveError} />
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
              onClick={() => onTogglePanel(panel.id)}
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
          onClick={onSave}
          disabled={saving || (!dirty && !saveFailed)}
          title="Save draft (Ctrl+S)"
          data-testid="save-workflow"
        >
          {saving ? 'Saving…' : 'Save draft'}
        </Button>
        <Button
          variant="primary"
          onClick={onRun}
          disabled={!canRun}
          title={canRun ? 'Run this workflow' : 'Add nodes first'}
          data-testid="run-workflow"
        >
          <PlayIcon />
          Run
        </Button>
      </div>
    </div>
  );
}

function PlayIcon() {
  return (
    <svg viewBox="0 0 20 20" fill="currentColor" className="size-4" aria-hidden="true">
      <path d="M6.3 2.84A1.5 1.5 0 0 0 4 4.11v11.78a1.5 1.5 0 0 0 2.3 1.27l9.34-5.89a1.5 1.5 0 0 0 0-2.54L6.3 2.84Z" />
    </svg>
  );
}
