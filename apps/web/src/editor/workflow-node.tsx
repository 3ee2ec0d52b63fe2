/**
 * The card every node is drawn as: type badge, name, a one-line summary of its config, its
 * validation problems (red ring plus the messages), and — while a run is shown — its step's
 * status (coloured ring and icon). Handles come from the node type: no input handle for types
 * that take no inputs, one output handle per named output (a condition's `true` and `false`).
 */
import { Handle, type NodeProps, Position } from '@xyflow/react';
import { createContext, memo, useContext } from 'react';
import type { NodeRunStatus } from '../runs/run-state.ts';
import { STATUS_STYLE, StatusIcon } from '../runs/run-status.tsx';
import type { FlowNode } from './graph.ts';
import { categoryStyle, NodeIcon } from './node-appearance.tsx';
import { useNodeType } from './node-palette.ts';
import type { LocatedIssue } from './validation-issues.ts';

/** Issues per node id; read through context so issues never have to be copied into node data. */
export const NodeIssuesContext = createContext<Map<string, LocatedIssue[]>>(new Map());

/** Ids of the nodes with a pinned output (test runs use it instead of running the node). */
export const PinnedNodesContext = createContext<ReadonlySet<string>>(new Set());

/** Step status per node id while a run is shown on the canvas; null when no run is shown. */
export const NodeRunContext = createContext<((nodeId: string) => NodeRunStatus) | null>(null);

function summarize(type: string, config: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  switch (type) {
    case 'agent':
      return [text(config.provider), text(config.model)].filter(Boolean).join(' · ');
    case 'http':
      return [text(config.method) || 'GET', text(config.url)].filter(Boolean).join(' ');
    case 'transform':
    case 'condition':
      return text(config.expression);
    default:
      return '';
  }
}

/** Shared with the compare page's plain card, whose handles must sit where these do. */
export const handleClass = 'size-3! border-2! border-white! bg-slate-400! hover:bg-indigo-500!';

export const WorkflowNodeCard = memo(function WorkflowNodeCard({ id, data, selected }: NodeProps<FlowNode>) {
  const entry = useNodeType(data.nodeType);
  const style = categoryStyle(entry.category);
  const issues = useContext(NodeIssuesContext).get(id) ?? [];
  const runStatusOf = useContext(NodeRunContext);
  const runStatus = runStatusOf ? runStatusOf(id) : null;
  const pinned = useContext(PinnedNodesContext).has(id);
  const summary = summarize(data.nodeType, data.config);
  const hasIssues = issues.length > 0 && runStatus === null;
  const branching = entry.outputs.length > 1;

  const ring = runStatus
    ? `ring-2 ${STATUS_STYLE[runStatus].ring} ${selected ? 'shadow-lg outline-2 outline-offset-2 outline-indigo-400' : ''}`
    : hasIssues
      ? 'ring-2 ring-rose-500'
      : selected
        ? 'ring-2 ring-indigo-500 shadow-md'
        : 'ring-slate-200 hover:shadow-md';

  return (
    <div
      data-testid="canvas-node"
      data-node-id={id}
      data-node-type={data.nodeType}
      data-invalid={hasIssues ? 'true' : undefined}
      data-run-status={runStatus ?? undefined}
      data-pinned={pinned ? 'true' : undefined}
      className={`w-60 rounded-xl bg-white text-left shadow-sm ring-1 transition-shadow ${ring} ${
        runStatus === 'skipped' || runStatus === 'not-run' ? 'opacity-60' : ''
      }`}
    >
      {entry.hasInput ? (
        <Handle
          type="target"
          position={Position.Left}
          className={handleClass}
          data-testid={`target-handle-${id}`}
        />
      ) : null}
      <div className="flex items-center gap-2.5 px-3 py-2.5">
        <span className={`flex size-8 shrink-0 items-center justify-center rounded-lg ${style.badge}`}>
          <NodeIcon type={data.nodeType} />
        </span>
        <div className="min-w-0 flex-1">
          <p className="truncate text-sm font-medium text-slate-900" data-testid="node-name">
            {data.name || entry.label}
          </p>
          <p className="truncate text-xs text-slate-500">
            {summary || (data.name && data.name !== entry.label ? entry.label : entry.description)}
          </p>
        </div>
        {pinned ? (
          <span
            className="shrink-0 rounded-full bg-amber-100 px-1.5 py-0.5 text-[10px] font-semibold text-amber-800"
            title="Pinned: editor test runs use its pinned output instead of running it"
            data-testid="node-pin-badge"
          >
            📌 Pinned
          </span>
        ) : null}
        {runStatus ? (
          <span
            className={`flex size-6 shrink-0 items-center justify-center rounded-full ${STATUS_STYLE[runStatus].badge}`}
            title={STATUS_STYLE[runStatus].label}
            data-testid="node-run-status"
          >
            <StatusIcon status={runStatus} />
            <span className="sr-only">{STATUS_STYLE[runStatus].label}</span>
          </span>
        ) : null}
      </div>
      {hasIssues ? (
        <ul
          className="space-y-0.5 rounded-b-xl border-t border-rose-100 bg-rose-50 px-3 py-1.5"
          data-testid="node-issues"
        >
          {issues.slice(0, 3).map((issue) => (
            <li
              key={`${issue.path}:${issue.message}`}
              className="truncate text-[11px] text-rose-700"
              title={issue.message}
            >
              {issue.field ? <span className="font-mono">{issue.field}: </span> : null}
              {issue.message}
            </li>
          ))}
          {issues.length > 3 ? (
            <li className="text-[11px] text-rose-600">+{issues.length - 3} more</li>
          ) : null}
        </ul>
      ) : null}
      {branching ? (
        entry.outputs.map((output, i) => {
          const top = `${((i + 1) / (entry.outputs.length + 1)) * 100}%`;
          return (
            <div key={output}>
              <span
                className="pointer-events-none absolute left-full ml-2 -translate-y-full text-[10px] font-medium text-slate-500"
                style={{ top }}
              >
                {output}
              </span>
              <Handle
                id={output}
                type="source"
                position={Position.Right}
                style={{ top }}
                className={handleClass}
                data-testid={`source-handle-${id}-${output}`}
                title={`Output “${output}”`}
              />
            </div>
          );
        })
      ) : entry.outputs.length === 1 ? (
        <Handle
          type="source"
          position={Position.Right}
          className={handleClass}
          data-testid={`source-handle-${id}`}
        />
      ) : null}
    </div>
  );
});
