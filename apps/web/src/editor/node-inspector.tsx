/**
 * The side panel for the selected node: name, read-only type, and its config as a form drawn from
 * the node type's JSON Schema (from the server's registry), with issues from validation shown on
 * their fields. "Advanced" shows the config as raw JSON instead (parse errors shown; the node keeps
 * its last valid config).
 */
import { type ReactNode, useCallback, useEffect, useId, useState } from 'react';
import { SchemaForm } from '../schema-form/schema-form.tsx';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import { LengthCounter } from '../ui/length-counter.tsx';
import type { FlowNode, WorkflowNodeData } from './graph.ts';
import { categoryStyle, NodeIcon } from './node-appearance.tsx';
import { useNodeType } from './node-palette.ts';
import type { LocatedIssue } from './validation-issues.ts';

/** Model names to suggest per provider (any name is accepted; these are the common ones). */
const MODEL_SUGGESTIONS: Record<string, string[]> = {
  mock: ['echo', 'delay:50', 'fail'],
  openai: ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini'],
  anthropic: ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'],
  gemini: ['gemini-2.5-pro', 'gemini-2.5-flash'],
};

/** Model suggestions for any `model` field next to a `provider` (the agent and its fallbacks). */
function configExtras(path: string, parent: unknown) {
  if (!path.endsWith('.model') || typeof parent !== 'object' || parent === null) return undefined;
  const provider = (parent as { provider?: unknown }).provider;
  return typeof provider === 'string' ? { suggestions: MODEL_SUGGESTIONS[provider] ?? [] } : undefined;
}

interface NodeInspectorProps {
  node: FlowNode;
  issues: LocatedIssue[];
  onChange: (patch: Partial<WorkflowNodeData>) => void;
  onDelete: () => void;
  /** Shown above _Delete node_: the node's test and pin section. */
  extra?: ReactNode;
}

export function NodeInspector({ node, issues, onChange, onDelete, extra }: NodeInspectorProps) {
  const entry = useNodeType(node.data.nodeType);
  const nameId = useId();
  const typeId = useId();
  const [advanced, setAdvanced] = useState(false);
  // Config issues go on the form's fields; the rest (name, id, the node as a whole) are listed here.
  const configIssues = issues
    .filter(
      (issue) =>
        issue.field === 'config' || issue.field.startsWith('config.') || issue.field.startsWith('config['),
    )
    .map((issue) => ({ path: issue.field, message: issue.message }));
  const otherIssues = issues.filter((issue) => !configIssues.some((c) => c.path === issue.field));
  const nameIssue = issues.find((issue) => issue.field === 'name')?.message;
  const setConfig = useCallback(
    (config: unknown) =>
      onChange({
        config: typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : {},
      }),
    [onChange],
  );

  return (
    <div className="space-y-5" data-testid="node-inspector">
      <div className="flex items-center gap-3">
        <span
          className={`flex size-9 items-center justify-center rounded-lg ${categoryStyle(entry.category).badge}`}
        >
          <NodeIcon type={node.data.nodeType} className="size-5" />
        </span>
        <div className="min-w-0">
          <p className="text-sm font-semibold text-slate-900">{entry.label}</p>
          <p className="truncate font-mono text-xs text-slate-500">{node.id}</p>
        </div>
      </div>

      {otherIssues.length > 0 ? (
        <ul
          className="space-y-1 rounded-lg bg-rose-50 p-3 text-xs text-rose-700 ring-1 ring-rose-200"
          role="alert"
        >
          {otherIssues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              {issue.field ? <span className="font-mono">{issue.field}: </span> : null}
              {issue.message}
            </li>
          ))}
        </ul>
      ) : null}

      <div>
        <label htmlFor={nameId} className="mb-1.5 block text-xs font-medium text-slate-700">
          Name
        </label>
        <input
          id={nameId}
          className={`${inputClass} ${nameIssue ? 'ring-rose-400!' : ''}`}
          value={node.data.name}
          placeholder={entry.label}
          onChange={(e) => onChange({ name: e.target.value })}
          aria-invalid={nameIssue ? true : undefined}
          data-testid="node-name-input"
        />
        <LengthCounter length={node.data.name.length} max={200} testId="node-name-count" />
      </div>
      <div>
        <label htmlFor={typeId} className="mb-1.5 block text-xs font-medium text-slate-700">
          Type
        </label>
        <input
          id={typeId}
          className={`${inputClass} font-mono`}
          value={node.data.nodeType}
          readOnly
          disabled
        />
        {entry.known ? null : (
          <p className="mt-1 text-xs text-amber-700">
            This server does not know this node type; its config can only be edited as JSON.
          </p>
        )}
      </div>

      <section aria-labelledby={`${typeId}-settings`}>
        <div className="mb-2 flex items-center justify-between">
          <h3
            id={`${typeId}-settings`}
            className="text-xs font-semibold tracking-wide text-slate-500 uppercase"
          >
            Settings
          </h3>
          <label className="flex items-center gap-1.5 text-xs text-slate-600">
            <input
              type="checkbox"
              className="size-3.5 rounded border-slate-300 text-indigo-600"
              checked={advanced || !entry.known}
              disabled={!entry.known}
              onChange={(e) => setAdvanced(e.target.checked)}
              data-testid="config-advanced-toggle"
            />
            Advanced (JSON)
          </label>
        </div>
        {advanced || !entry.known ? (
          <ConfigJsonEditor config={node.data.config} onChange={(config) => onChange({ config })} />
        ) : (
          <SchemaForm
            spec={entry.configSpec}
            value={node.data.config}
            onChange={setConfig}
            path="config"
            issues={configIssues}
            testIdPrefix="config-field"
            extras={configExtras}
          />
        )}
        {advanced && configIssues.length > 0 ? (
          <ul className="mt-2 space-y-0.5 text-xs text-rose-700">
            {configIssues.map((issue) => (
              <li key={`${issue.path}:${issue.message}`}>
                <span className="font-mono">{issue.path}</span>: {issue.message}
              </li>
            ))}
          </ul>
        ) : null}
      </section>

      {extra}

      <Button
        variant="secondary"
        className="w-full text-rose-700 hover:bg-rose-50"
        onClick={onDelete}
        data-testid="delete-node"
      >
        Delete node
      </Button>
    </div>
  );
}

function ConfigJsonEditor({
  config,
  onChange,
}: {
  config: Record<string, unknown>;
  onChange: (config: Record<string, unknown>) => void;
}) {
  const id = useId();
  const pretty = JSON.stringify(config, null, 2);
  const [text, setText] = useState(pretty);
  const [error, setError] = useState<string | null>(null);

  // Follow edits made elsewhere (the agent fields), unless the text already says the same thing.
  useEffect(() => {
    setText((current) => {
      try {
        if (JSON.stringify(JSON.parse(current)) === JSON.stringify(JSON.parse(pretty))) return current;
      } catch {
        // The textarea holds half-typed JSON; an outside change replaces it.
      }
      setError(null);
      return pretty;
    });
  }, [pretty]);

  const edit = (value: string) => {
    setText(value);
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        setError('Config must be a JSON object: { … }');
        return;
      }
      setError(null);
      onChange(parsed as Record<string, unknown>);
    } catch (err) {
      setError(err instanceof SyntaxError ? err.message : 'Invalid JSON');
    }
  };

  return (
    <div>
      <label htmlFor={id} className="sr-only">
        Config (JSON)
      </label>
      <textarea
        id={id}
        rows={10}
        spellCheck={false}
        className={`${inputClass} resize-y font-mono text-xs leading-5 ${error ? 'ring-rose-400! focus:ring-rose-500!' : ''}`}
        value={text}
        onChange={(e) => edit(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        data-testid="config-json"
      />
      {error ? (
        <p
          id={`${id}-error`}
          className="mt-1 text-xs text-rose-600"
          role="alert"
          data-testid="config-json-error"
        >
          {error}
        </p>
      ) : null}
    </div>
  );
}
