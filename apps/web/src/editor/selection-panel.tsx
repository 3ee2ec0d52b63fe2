/**
 * The side panel when no tool panel is open: the selected node's settings (or, while a run is
 * shown, its step — input, output, provider calls — with a tab back to the settings), the selected
 * connection, the shown run's summary, or counts and tips when nothing is selected.
 */
import { type ReactNode, useContext } from 'react';
import { readApiError } from '../api-error.ts';
import { agentTurnsOf } from '../runs/agent-turns.tsx';
import { isFinished } from '../runs/run-state.ts';
import { JsonBlock, Section, StepDetails } from '../runs/step-details.tsx';
import { Button } from '../ui/button.tsx';
import type { FlowEdge, FlowNode, WorkflowNodeData } from './graph.ts';
import { NodeInspector } from './node-inspector.tsx';
import { NodeTypesContext } from './node-palette.ts';
import type { EditorRun, StepTab } from './use-editor-run.ts';
import type { LocatedIssue } from './validation-issues.ts';

interface SelectionPanelProps {
  nodeCount: number;
  edgeCount: number;
  selectedNode: FlowNode | undefined;
  selectedEdge: FlowEdge | undefined;
  run: EditorRun;
  nodeNames: Map<string, string>;
  nodeIssues: Map<string, LocatedIssue[]>;
  edgeIssues: Map<string, LocatedIssue[]>;
  /** The draft has unsaved changes (a re-run saves it first). */
  dirty: boolean;
  updateNode: (id: string, patch: Partial<WorkflowNodeData>) => void;
  removeNode: (id: string) => void;
  removeEdge: (id: string) => void;
  /** The selected node's test and pin section (under its settings). */
  nodeTest?: ((node: FlowNode) => ReactNode) | undefined;
}

export function SelectionPanel({
  nodeCount,
  edgeCount,
  selectedNode,
  selectedEdge,
  run,
  nodeNames,
  nodeIssues,
  edgeIssues,
  dirty,
  updateNode,
  removeNode,
  removeEdge,
  nodeTest,
}: SelectionPanelProps) {
  const catalog = useContext(NodeTypesContext);
  const { activeRun, runStatusOf, rerun, stepTab } = run;
  const nodeName = (id: string) => nodeNames.get(id) ?? null;
  return (
    <>
      {selectedNode && activeRun && runStatusOf ? <StepTabs tab={stepTab} onChange={run.setStepTab} /> : null}
      {selectedNode && activeRun && runStatusOf && stepTab === 'step' ? (
        <StepDetails
          key={`${activeRun.id}:${selectedNode.id}`}
          nodeId={selectedNode.id}
          nodeName={nodeNames.get(selectedNode.id) ?? selectedNode.id}
          entry={catalog.get(selectedNode.data.nodeType)}
          status={runStatusOf(selectedNode.id)}
          step={activeRun.steps.find((step) => step.nodeId === selectedNode.id)}
          turns={agentTurnsOf(activeRun.steps, selectedNode.id)}
          onRerunFrom={
            isFinished(activeRun.status) ? () => void run.rerunOnDraft(selectedNode.id) : undefined
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
          onDelete={() => removeNode(selectedNode.id)}
          extra={nodeTest?.(selectedNode)}
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
            onClick={() => removeEdge(selectedEdge.id)}
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
        <NothingSelected nodeCount={nodeCount} edgeCount={edgeCount} />
      )}
    </>
  );
}

/** Switches between the selected node's run step and its settings while a run is shown. */
function StepTabs({ tab, onChange }: { tab: StepTab; onChange: (tab: StepTab) => void }) {
  return (
    <div className="mb-4 flex gap-1 rounded-lg bg-slate-100 p-1 text-xs" role="tablist">
      {(['step', 'settings'] as const).map((option) => (
        <button
          key={option}
          type="button"
          role="tab"
          aria-selected={tab === option}
          onClick={() => onChange(option)}
          data-testid={`aside-tab-${option}`}
          className={`flex-1 rounded-md px-2 py-1 font-medium ${
            tab === option ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600 hover:text-slate-900'
          }`}
        >
          {option === 'step' ? 'Run step' : 'Settings'}
        </button>
      ))}
    </div>
  );
}

function NothingSelected({ nodeCount, edgeCount }: { nodeCount: number; edgeCount: number }) {
  return (
    <div className="text-sm text-slate-500">
      <p className="font-medium text-slate-700">Nothing selected</p>
      <p className="mt-1">Select a node to edit its name and settings.</p>
      <dl className="mt-6 grid grid-cols-2 gap-3">
        <div className="rounded-lg bg-slate-50 p-3">
          <dt className="text-xs text-slate-500">Nodes</dt>
          <dd className="text-lg font-semibold text-slate-900" data-testid="node-count">
            {nodeCount}
          </dd>
        </div>
        <div className="rounded-lg bg-slate-50 p-3">
          <dt className="text-xs text-slate-500">Connections</dt>
          <dd className="text-lg font-semibold text-slate-900" data-testid="edge-count">
            {edgeCount}
          </dd>
        </div>
      </dl>
      <p className="mt-6 text-xs leading-5 text-slate-400">
        Tips: Delete or Backspace removes the selection · Ctrl/⌘+S saves · Shift-drag selects an area.
      </p>
    </div>
  );
}
