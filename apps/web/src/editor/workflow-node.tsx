/**
 * The card every node is drawn as: type badge, name, a one-line summary of its config, and its
 * validation problems (red ring plus the messages) straight on the canvas.
 */
import { Handle, type NodeProps, Position } from '@xyflow/react';
import { createContext, memo, useContext } from 'react';
import type { FlowNode } from './graph.ts';
import { CATEGORY_STYLE, NodeIcon } from './node-appearance.tsx';
import { paletteEntry } from './node-palette.ts';
import type { LocatedIssue } from './validation-issues.ts';

/** Issues per node id; read through context so issues never have to be copied into node data. */
export const NodeIssuesContext = createContext<Map<string, LocatedIssue[]>>(new Map());

function summarize(type: string, config: Record<string, unknown>): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  switch (type) {
    case 'agent':
      return [text(config.provider), text(config.model)].filter(Boolean).join(' · ');
    case 'http':
      return [text(config.method), text(config.url)].filter(Boolean).join(' ');
    case 'transform':
    case 'condition':
      return text(config.expression);
    default:
      return '';
  }
}

const handleClass = 'size-3! border-2! border-white! bg-slate-400! hover:bg-indigo-500!';

export const WorkflowNodeCard = memo(function WorkflowNodeCard({ id, data, selected }: NodeProps<FlowNode>) {
  const entry = paletteEntry(data.nodeType);
  const style = CATEGORY_STYLE[entry.category];
  const issues = useContext(NodeIssuesContext).get(id) ?? [];
  const summary = summarize(data.nodeType, data.config);
  const hasIssues = issues.length > 0;

  return (
    <div
      data-testid="canvas-node"
      data-node-id={id}
      data-node-type={data.nodeType}
      data-invalid={hasIssues ? 'true' : undefined}
      className={`w-60 rounded-xl bg-white text-left shadow-sm ring-1 transition-shadow ${
        hasIssues
          ? 'ring-2 ring-rose-500'
          : selected
            ? 'ring-2 ring-indigo-500 shadow-md'
            : 'ring-slate-200 hover:shadow-md'
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
      {entry.hasOutput ? (
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
