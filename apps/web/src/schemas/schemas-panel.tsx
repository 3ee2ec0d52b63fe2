/**
 * The editor's input/output schema panel: the workflow's `inputSchema` / `outputSchema` edited as
 * JSON Schema text, a sample value checked against it live (failures named by path), and the form
 * that the Run dialog will show for it. Edits go into the draft definition like any canvas edit, so
 * they are saved with "Save draft" and versioned by commits.
 */
import { useId, useMemo, useState } from 'react';
import type { ApiIssue } from '../api-error.ts';
import { describeSchema, initialValue } from '../schema-form/json-schema.ts';
import { SchemaForm } from '../schema-form/schema-form.tsx';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import {
  checkSample,
  formatSchema,
  type JsonSchema,
  parseSchemaText,
  STARTER_SCHEMA,
} from './schema-text.ts';

export type SchemaKey = 'inputSchema' | 'outputSchema';

interface SchemasPanelProps {
  inputSchema: JsonSchema | undefined;
  outputSchema: JsonSchema | undefined;
  /** Puts a schema into the draft (`undefined` removes it). */
  onChange: (key: SchemaKey, schema: JsonSchema | undefined) => void;
  /** The server's problems with the draft; those under `definition.<key>` are shown here. */
  issues: ApiIssue[];
  checking: boolean;
}

const TABS: Array<{ key: SchemaKey; label: string; prefix: string; hint: string }> = [
  {
    key: 'inputSchema',
    label: 'Input',
    prefix: 'input',
    hint: 'Every trigger (Run, API, schedule, webhook) checks its input against this schema before a run starts.',
  },
  {
    key: 'outputSchema',
    label: 'Output',
    prefix: 'output',
    hint: 'A run whose output does not match this schema fails, naming the paths.',
  },
];

export function SchemasPanel(props: SchemasPanelProps) {
  const [tab, setTab] = useState<SchemaKey>('inputSchema');
  const current = TABS.find((t) => t.key === tab) ?? TABS[0]!;
  return (
    <div className="space-y-4" data-testid="schemas-panel">
      <p className="text-sm font-semibold text-slate-900">Schemas</p>
      <div className="flex gap-1 rounded-lg bg-slate-100 p-1 text-xs" role="tablist">
        {TABS.map((t) => (
          <button
            key={t.key}
            type="button"
            role="tab"
            aria-selected={tab === t.key}
            onClick={() => setTab(t.key)}
            data-testid={`schema-tab-${t.key === 'inputSchema' ? 'input' : 'output'}`}
            className={`flex-1 rounded-md px-2 py-1 font-medium ${
              tab === t.key ? 'bg-white text-slate-900 shadow-sm' : 'text-slate-600 hover:text-slate-900'
            }`}
          >
            {t.label} schema{props[t.key] ? '' : ' (none)'}
          </button>
        ))}
      </div>
      {/* One editor per tab, so each keeps its own text and sample while switching. */}
      {TABS.map((t) => (
        <div key={t.key} hidden={t.key !== current.key}>
          <SchemaEditor
            schemaKey={t.key}
            prefix={t.prefix}
            hint={t.hint}
            schema={props[t.key]}
            onChange={(schema) => props.onChange(t.key, schema)}
            issues={props.issues.filter(
              (issue) =>
                issue.path === `definition.${t.key}` || issue.path.startsWith(`definition.${t.key}.`),
            )}
            checking={props.checking}
          />
        </div>
      ))}
    </div>
  );
}

function SchemaEditor({
  schemaKey,
  prefix,
  hint,
  schema,
  onChange,
  issues,
  checking,
}: {
  schemaKey: SchemaKey;
  prefix: string;
  hint: string;
  schema: JsonSchema | undefined;
  onChange: (schema: JsonSchema | undefined) => void;
  issues: ApiIssue[];
  checking: boolean;
}) {
  const schemaId = useId();
  const sampleId = useId();
  const testPrefix = schemaKey === 'inputSchema' ? 'input' : 'output';
  const [text, setText] = useState(() => formatSchema(schema));
  const parsed = useMemo(() => parseSchemaText(text), [text]);
  const spec = useMemo(() => (schema ? describeSchema(schema) : null), [schema]);

  const [sampleText, setSampleText] = useState(() =>
    JSON.stringify((spec ? initialValue(spec) : undefined) ?? {}, null, 2),
  );
  const sample = useMemo((): { value: unknown } | { error: string } => {
    try {
      return { value: JSON.parse(sampleText) as unknown };
    } catch (error) {
      return { error: error instanceof SyntaxError ? error.message : 'Invalid JSON' };
    }
  }, [sampleText]);
  const check = useMemo(
    () => (schema && 'value' in sample ? checkSample(schema, sample.value, prefix) : null),
    [schema, sample, prefix],
  );

  const edit = (next: string) => {
    setText(next);
    const result = parseSchemaText(next);
    if (result.state === 'schema') onChange(result.schema);
    else if (result.state === 'none') onChange(undefined);
  };

  return (
    <div className="space-y-5">
      <p className="text-xs text-slate-500">{hint}</p>
      <div>
        <div className="mb-1.5 flex items-center justify-between gap-2">
          <label htmlFor={schemaId} className="text-sm font-medium text-slate-700">
            JSON Schema
          </label>
          <div className="flex gap-1">
            {text.trim() === '' ? (
              <Button
                size="sm"
                variant="ghost"
                onClick={() => edit(formatSchema(STARTER_SCHEMA))}
                data-testid={`${testPrefix}-schema-starter`}
              >
                Start from an example
              </Button>
            ) : (
              <Button
                size="sm"
                variant="ghost"
                onClick={() => edit('')}
                data-testid={`${testPrefix}-schema-remove`}
              >
                Remove schema
              </Button>
            )}
          </div>
        </div>
        <textarea
          id={schemaId}
          rows={12}
          spellCheck={false}
          placeholder="No schema: any JSON is accepted."
          className={`${inputClass} font-mono text-xs ${parsed.state === 'invalid' || issues.length ? 'ring-rose-400!' : ''}`}
          value={text}
          onChange={(e) => edit(e.target.value)}
          aria-invalid={parsed.state === 'invalid' || issues.length > 0 ? true : undefined}
          data-testid={`${testPrefix}-schema-text`}
        />
        {parsed.state === 'invalid' ? (
          <p className="mt-1 text-xs text-rose-600" role="alert" data-testid={`${testPrefix}-schema-error`}>
            Not saved until it is valid JSON: {parsed.message}
          </p>
        ) : null}
        {issues.map((issue) => (
          <p
            key={`${issue.path}:${issue.message}`}
            // Dimmed while the server checks the latest text: it may no longer apply.
            className={`mt-1 text-xs text-rose-600 ${checking ? 'opacity-50' : ''}`}
            data-testid={`${testPrefix}-schema-error`}
          >
            <span className="font-mono">{issue.path}</span>: {issue.message}
          </p>
        ))}
        {parsed.state === 'schema' && issues.length === 0 ? (
          <p className="mt-1 text-xs text-slate-400">{checking ? 'Checking…' : 'Saved with the draft.'}</p>
        ) : null}
      </div>

      {schema ? (
        <>
          <div>
            <label htmlFor={sampleId} className="mb-1.5 block text-sm font-medium text-slate-700">
              Sample {prefix}
            </label>
            <textarea
              id={sampleId}
              rows={6}
              spellCheck={false}
              className={`${inputClass} font-mono text-xs`}
              value={sampleText}
              onChange={(e) => setSampleText(e.target.value)}
              data-testid={`${testPrefix}-sample`}
            />
            {'error' in sample ? (
              <p className="mt-1 text-xs text-rose-600">{sample.error}</p>
            ) : issues.length > 0 ? (
              // A schema the server's validator refuses says nothing about the sample yet.
              <p className="mt-1 text-xs text-slate-500" data-testid={`${testPrefix}-sample-waiting`}>
                The sample is checked once the schema is valid.
              </p>
            ) : check && check.issues.length > 0 ? (
              <ul
                className="mt-1.5 space-y-0.5 rounded-lg bg-rose-50 p-2 text-xs text-rose-700 ring-1 ring-rose-200"
                data-testid={`${testPrefix}-sample-issues`}
              >
                {check.issues.map((issue) => (
                  <li key={`${issue.path}:${issue.message}`} data-testid="sample-issue">
                    <span className="font-mono">{issue.path}</span>: {issue.message}
                  </li>
                ))}
              </ul>
            ) : check ? (
              <p className="mt-1 text-xs text-emerald-700" data-testid={`${testPrefix}-sample-valid`}>
                ✓ The sample matches the schema.
              </p>
            ) : null}
          </div>
          {spec ? (
            <div>
              <p className="mb-1.5 text-sm font-medium text-slate-700">Form preview</p>
              <div className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200">
                <SchemaForm
                  spec={spec}
                  value={'value' in sample ? sample.value : undefined}
                  onChange={(value) => setSampleText(JSON.stringify(value ?? {}, null, 2))}
                  path={prefix}
                  issues={check?.issues ?? []}
                  testIdPrefix={`${testPrefix}-preview`}
                  rootLabel={prefix === 'input' ? 'Input' : 'Output'}
                />
              </div>
            </div>
          ) : null}
        </>
      ) : null}
    </div>
  );
}
