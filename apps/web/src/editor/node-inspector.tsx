/**
 * The side panel for the selected node: name, read-only type, the config as JSON (parse errors
 * shown, the node keeps its last valid config), and for agents friendly fields for the settings
 * people change most.
 */
import { useEffect, useId, useState } from 'react';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import type { FlowNode, WorkflowNodeData } from './graph.ts';
import { CATEGORY_STYLE, NodeIcon } from './node-appearance.tsx';
import { paletteEntry } from './node-palette.ts';
import type { LocatedIssue } from './validation-issues.ts';

const PROVIDERS = [
  { value: 'mock', label: 'Mock' },
  { value: 'openai', label: 'OpenAI' },
  { value: 'anthropic', label: 'Anthropic' },
  { value: 'gemini', label: 'Gemini' },
];

const MODEL_SUGGESTIONS: Record<string, string[]> = {
  mock: ['echo', 'delay:50', 'fail'],
  openai: ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini'],
  anthropic: ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1'],
  gemini: ['gemini-2.5-pro', 'gemini-2.5-flash'],
};

interface NodeInspectorProps {
  node: FlowNode;
  issues: LocatedIssue[];
  onChange: (patch: Partial<WorkflowNodeData>) => void;
  onDelete: () => void;
}

export function NodeInspector({ node, issues, onChange, onDelete }: NodeInspectorProps) {
  const entry = paletteEntry(node.data.nodeType);
  const nameId = useId();
  const typeId = useId();
  const fieldIssue = (field: string) =>
    issues.find((issue) => issue.field === field || issue.field.startsWith(`${field}.`))?.message;
  const setConfig = (key: string, value: unknown) => {
    const config = { ...node.data.config };
    if (value === undefined || value === '') delete config[key];
    else config[key] = value;
    onChange({ config });
  };

  return (
    <div className="space-y-5" data-testid="node-inspector">
      <div className="flex items-center gap-3">
        <span
          className={`flex size-9 items-center justify-center rounded-lg ${CATEGORY_STYLE[entry.category].badge}`}
        >
          <NodeIcon type={node.data.nodeType} className="size-5" />
        </span>
        <div className="min-w-0">
          <p className="text-sm font-semibold text-slate-900">{entry.label}</p>
          <p className="truncate font-mono text-xs text-slate-500">{node.id}</p>
        </div>
      </div>

      {issues.length > 0 ? (
        <ul
          className="space-y-1 rounded-lg bg-rose-50 p-3 text-xs text-rose-700 ring-1 ring-rose-200"
          role="alert"
        >
          {issues.map((issue) => (
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
          className={inputClass}
          value={node.data.name}
          maxLength={200}
          placeholder={entry.label}
          onChange={(e) => onChange({ name: e.target.value })}
          data-testid="node-name-input"
        />
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
      </div>

      {node.data.nodeType === 'agent' ? (
        <AgentFields config={node.data.config} setConfig={setConfig} fieldIssue={fieldIssue} />
      ) : null}

      <ConfigJsonEditor config={node.data.config} onChange={(config) => onChange({ config })} />

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

function AgentFields({
  config,
  setConfig,
  fieldIssue,
}: {
  config: Record<string, unknown>;
  setConfig: (key: string, value: unknown) => void;
  fieldIssue: (field: string) => string | undefined;
}) {
  const base = useId();
  const str = (key: string) => (typeof config[key] === 'string' ? (config[key] as string) : '');
  const provider = str('provider');
  const errorText = (field: string) => {
    const message = fieldIssue(`config.${field}`);
    return message ? <p className="mt-1 text-xs text-rose-600">{message}</p> : null;
  };
  const ring = (field: string) =>
    fieldIssue(`config.${field}`) ? 'ring-rose-400! focus:ring-rose-500!' : '';

  return (
    <fieldset className="space-y-4 rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200">
      <legend className="sr-only">Agent settings</legend>
      <p className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Agent</p>
      <div>
        <label htmlFor={`${base}-role`} className="mb-1.5 block text-xs font-medium text-slate-700">
          Role
        </label>
        <input
          id={`${base}-role`}
          className={`${inputClass} ${ring('role')}`}
          value={str('role')}
          placeholder="researcher, critic, writer…"
          onChange={(e) => setConfig('role', e.target.value)}
          data-testid="agent-role"
        />
        {errorText('role')}
      </div>
      <div className="grid grid-cols-2 gap-2">
        <div>
          <label htmlFor={`${base}-provider`} className="mb-1.5 block text-xs font-medium text-slate-700">
            Provider
          </label>
          <select
            id={`${base}-provider`}
            className={`${inputClass} ${ring('provider')}`}
            value={provider}
            onChange={(e) => setConfig('provider', e.target.value)}
            data-testid="agent-provider"
          >
            {provider && !PROVIDERS.some((p) => p.value === provider) ? (
              <option value={provider}>{provider}</option>
            ) : null}
            {provider ? null : <option value="">Choose…</option>}
            {PROVIDERS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
          {errorText('provider')}
        </div>
        <div>
          <label htmlFor={`${base}-model`} className="mb-1.5 block text-xs font-medium text-slate-700">
            Model
          </label>
          <input
            id={`${base}-model`}
            className={`${inputClass} ${ring('model')}`}
            value={str('model')}
            list={`${base}-models`}
            onChange={(e) => setConfig('model', e.target.value)}
            data-testid="agent-model"
          />
          <datalist id={`${base}-models`}>
            {(MODEL_SUGGESTIONS[provider] ?? []).map((model) => (
              <option key={model} value={model} />
            ))}
          </datalist>
          {errorText('model')}
        </div>
      </div>
      <div>
        <label htmlFor={`${base}-system`} className="mb-1.5 block text-xs font-medium text-slate-700">
          System prompt
        </label>
        <textarea
          id={`${base}-system`}
          rows={2}
          className={`${inputClass} resize-y ${ring('systemPrompt')}`}
          value={str('systemPrompt')}
          onChange={(e) => setConfig('systemPrompt', e.target.value)}
        />
        {errorText('systemPrompt')}
      </div>
      <div>
        <label htmlFor={`${base}-prompt`} className="mb-1.5 block text-xs font-medium text-slate-700">
          Prompt
        </label>
        <textarea
          id={`${base}-prompt`}
          rows={4}
          className={`${inputClass} resize-y font-mono text-xs ${ring('prompt')}`}
          value={str('prompt')}
          placeholder="{{input.query}}"
          onChange={(e) => setConfig('prompt', e.target.value)}
          data-testid="agent-prompt"
        />
        <p className="mt-1 text-[11px] text-slate-500">
          Use <code>{'{{input.query}}'}</code> or <code>{'{{nodes.<id>.output}}'}</code>.
        </p>
        {errorText('prompt')}
      </div>
    </fieldset>
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
      <label htmlFor={id} className="mb-1.5 block text-xs font-medium text-slate-700">
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
