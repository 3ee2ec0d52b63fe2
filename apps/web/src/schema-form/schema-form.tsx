/**
 * A form drawn from a JSON Schema (see json-schema.ts for the subset it understands). It edits a
 * JSON value in place: every change calls `onChange` with the whole new value, emptied optional
 * fields disappear from it, and issues from the API (`{ path, message }` with paths like
 * `config.fallback[0].model`) are shown on the field they name; issues without a field are
 * listed above the form.
 */
import { createContext, type ReactNode, useContext, useEffect, useId, useMemo, useState } from 'react';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import {
  childPath,
  type FieldSpec,
  fieldLabel,
  initialValue,
  type PropertySpec,
  parseNumberInput,
  parseScalarInput,
  type Scalar,
  setProperty,
  unplacedIssues,
} from './json-schema.ts';

export interface FormIssue {
  path: string;
  message: string;
}

/** Extra help for one field, e.g. model names to suggest for the chosen provider. */
export interface FieldExtras {
  suggestions?: string[];
  hint?: ReactNode;
}

interface FormContextValue {
  issues: Map<string, string[]>;
  rootPath: string;
  testIdPrefix: string;
  extras: ((path: string, parent: unknown) => FieldExtras | undefined) | undefined;
  disabled: boolean;
}

const FormContext = createContext<FormContextValue>({
  issues: new Map(),
  rootPath: '',
  testIdPrefix: 'field',
  extras: undefined,
  disabled: false,
});

interface SchemaFormProps {
  spec: FieldSpec;
  value: unknown;
  onChange: (value: unknown) => void;
  /** Path of the value in API issues: `config` for a node config, `input` for a run input. */
  path: string;
  issues?: FormIssue[];
  /** Fields get `data-testid="<prefix>-<path below the root>"`, e.g. `config-field-model`. */
  testIdPrefix?: string;
  /** Label of the root field when the schema is not an object. */
  rootLabel?: string;
  extras?: (path: string, parent: unknown) => FieldExtras | undefined;
  disabled?: boolean;
}

export function SchemaForm({
  spec,
  value,
  onChange,
  path,
  issues = [],
  testIdPrefix = 'field',
  rootLabel = 'Value',
  extras,
  disabled = false,
}: SchemaFormProps) {
  const issueMap = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const issue of issues) map.set(issue.path, [...(map.get(issue.path) ?? []), issue.message]);
    return map;
  }, [issues]);
  const context = useMemo(
    () => ({ issues: issueMap, rootPath: path, testIdPrefix, extras, disabled }),
    [issueMap, path, testIdPrefix, extras, disabled],
  );
  const unplaced = unplacedIssues(issues, spec, value, path);

  return (
    <FormContext value={context}>
      <div className="space-y-4" data-testid={`${testIdPrefix}-form`}>
        {unplaced.length > 0 ? (
          <ul
            className="space-y-1 rounded-lg bg-rose-50 p-3 text-xs text-rose-700 ring-1 ring-rose-200"
            role="alert"
            data-testid={`${testIdPrefix}-issues`}
          >
            {unplaced.map((issue) => (
              <li key={`${issue.path}:${issue.message}`}>
                {issue.path && issue.path !== path ? <span className="font-mono">{issue.path}: </span> : null}
                {issue.message}
              </li>
            ))}
          </ul>
        ) : null}
        {spec.kind === 'object' ? (
          <ObjectFields spec={spec} value={value} onChange={onChange} path={path} collapseOptional />
        ) : (
          <Field
            spec={spec}
            name={rootLabel}
            label={rootLabel}
            required
            value={value}
            onChange={onChange}
            path={path}
            parent={undefined}
          />
        )}
      </div>
    </FormContext>
  );
}

// ---------------------------------------------------------------------------------------------

type ObjectSpec = Extract<FieldSpec, { kind: 'object' }>;

/** Objects with many fields show the optional ones left empty under "More options". */
const COLLAPSE_ABOVE = 6;

function ObjectFields({
  spec,
  value,
  onChange,
  path,
  collapseOptional = false,
}: {
  spec: ObjectSpec;
  value: unknown;
  onChange: (value: unknown) => void;
  path: string;
  collapseOptional?: boolean;
}) {
  const { issues } = useContext(FormContext);
  const object = isRecord(value) ? value : {};
  // Decided once, so a field does not jump out of the group (and lose focus) when it gets a value.
  const [collapsed] = useState(() =>
    collapseOptional && spec.properties.length > COLLAPSE_ABOVE
      ? new Set(spec.properties.filter((p) => !p.required && object[p.name] === undefined).map((p) => p.name))
      : new Set<string>(),
  );
  const [open, setOpen] = useState(false);
  const hasIssueInside = (property: PropertySpec) => {
    const at = childPath(path, property.name);
    for (const key of issues.keys())
      if (key === at || key.startsWith(`${at}.`) || key.startsWith(`${at}[`)) return true;
    return false;
  };
  const main = spec.properties.filter((p) => !collapsed.has(p.name));
  const more = spec.properties.filter((p) => collapsed.has(p.name));
  const forcedOpen = more.some(hasIssueInside);

  const renderProperty = (property: PropertySpec) => (
    <Field
      key={property.name}
      spec={property.spec}
      name={property.name}
      label={fieldLabel(property.spec, property.name)}
      required={property.required}
      value={object[property.name]}
      onChange={(next) => onChange(setProperty(value, property.name, next))}
      path={childPath(path, property.name)}
      parent={value}
    />
  );

  if (spec.properties.length === 0) {
    return <p className="text-xs text-slate-500">Nothing to configure.</p>;
  }
  return (
    <>
      {main.map(renderProperty)}
      {more.length > 0 ? (
        <details
          className="rounded-lg ring-1 ring-slate-200"
          open={open || forcedOpen}
          onToggle={(event) => setOpen((event.target as HTMLDetailsElement).open)}
        >
          <summary className="cursor-pointer rounded-lg px-3 py-2 text-xs font-medium text-slate-600 select-none hover:bg-slate-50">
            More options ({more.length})
          </summary>
          <div className="space-y-4 px-3 pt-1 pb-3">{more.map(renderProperty)}</div>
        </details>
      ) : null}
    </>
  );
}

interface FieldProps {
  spec: FieldSpec;
  name: string;
  label: string;
  required: boolean;
  value: unknown;
  onChange: (value: unknown) => void;
  path: string;
  parent: unknown;
}

function Field(props: FieldProps) {
  const { spec, label, required, path, value, onChange } = props;
  const { issues, rootPath, testIdPrefix, extras, disabled } = useContext(FormContext);
  const id = useId();
  const messages = issues.get(path) ?? [];
  const testId = `${testIdPrefix}-${relativePath(path, rootPath) || 'value'}`;
  const fieldExtras = extras?.(path, props.parent);
  const describedBy = `${id}-help`;
  const invalid = messages.length > 0;
  const ring = invalid ? 'ring-rose-400! focus:ring-rose-500!' : '';

  const help = (
    <div id={describedBy}>
      {messages.map((message) => (
        <p key={message} className="mt-1 text-xs text-rose-600" data-testid={`${testId}-error`}>
          {message}
        </p>
      ))}
      {spec.description ? <p className="mt-1 text-[11px] text-slate-500">{spec.description}</p> : null}
      {fieldExtras?.hint ? <div className="mt-1 text-[11px] text-slate-500">{fieldExtras.hint}</div> : null}
    </div>
  );
  const labelNode = (
    <label htmlFor={id} className="mb-1.5 block text-xs font-medium text-slate-700">
      {label}
      {required ? null : <span className="ml-1 font-normal text-slate-400">optional</span>}
    </label>
  );
  const aria = {
    id,
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': describedBy,
    'data-testid': testId,
    disabled,
  } as const;
  const placeholder =
    spec.default !== undefined && isScalarValue(spec.default) ? String(spec.default) : undefined;

  switch (spec.kind) {
    case 'object':
      return (
        <fieldset className="space-y-4 rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200" data-testid={testId}>
          <legend className="px-1 text-xs font-semibold text-slate-600">{label}</legend>
          {messages.length > 0 ? help : null}
          <ObjectFields spec={spec} value={value} onChange={onChange} path={path} />
        </fieldset>
      );
    case 'array':
      return (
        <ArrayField {...props} spec={spec} testId={testId} messages={messages} help={help} labelId={id} />
      );
    case 'record':
      return <RecordField {...props} spec={spec} testId={testId} help={help} labelId={id} />;
    case 'boolean': {
      const checked = typeof value === 'boolean' ? value : spec.default === true;
      return (
        <div>
          <label className="flex items-center gap-2 text-xs font-medium text-slate-700">
            <input
              type="checkbox"
              className="size-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-500"
              checked={checked}
              onChange={(e) => {
                const next = e.target.checked;
                onChange(!next && !required && spec.default !== true ? undefined : next);
              }}
              {...aria}
            />
            {label}
          </label>
          {help}
        </div>
      );
    }
    case 'enum': {
      const index = spec.options.indexOf(value as Scalar);
      return (
        <div>
          {labelNode}
          <select
            className={`${inputClass} ${ring}`}
            value={index >= 0 ? String(index) : value === undefined || value === null ? '' : 'other'}
            onChange={(e) => {
              if (e.target.value === '') onChange(undefined);
              else if (e.target.value !== 'other') onChange(spec.options[Number(e.target.value)]);
            }}
            {...aria}
          >
            {index < 0 && value !== undefined && value !== null ? (
              <option value="other">{String(value)}</option>
            ) : null}
            {index < 0 || !required ? (
              <option value="">
                {placeholder ? `Default (${placeholder})` : required ? 'Choose…' : '—'}
              </option>
            ) : null}
            {spec.options.map((option, i) => (
              <option key={String(option)} value={String(i)}>
                {String(option)}
              </option>
            ))}
          </select>
          {help}
        </div>
      );
    }
    case 'number':
      return (
        <div>
          {labelNode}
          <NumberInput
            value={value}
            integer={spec.integer}
            min={spec.minimum}
            max={spec.maximum}
            placeholder={placeholder}
            onChange={onChange}
            className={`${inputClass} ${ring}`}
            aria={aria}
          />
          {help}
        </div>
      );
    case 'scalar':
      return (
        <div>
          {labelNode}
          <input
            className={`${inputClass} ${ring}`}
            value={value === undefined || value === null ? '' : String(value)}
            placeholder={placeholder}
            onChange={(e) => onChange(parseScalarInput(e.target.value, spec))}
            {...aria}
          />
          {help}
        </div>
      );
    case 'string': {
      const text =
        typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
      const emit = (next: string) => onChange(next === '' && !required ? undefined : next);
      const listId = fieldExtras?.suggestions?.length ? `${id}-list` : undefined;
      const mono =
        /template|jsonata|expression/i.test(spec.description ?? '') || /expression|url/i.test(props.name);
      return (
        <div>
          {labelNode}
          {spec.multiline ? (
            <textarea
              rows={4}
              className={`${inputClass} resize-y ${mono ? 'font-mono text-xs' : ''} ${ring}`}
              value={text}
              maxLength={spec.maxLength}
              placeholder={placeholder}
              onChange={(e) => emit(e.target.value)}
              {...aria}
            />
          ) : (
            <input
              type={spec.inputType}
              className={`${inputClass} ${mono ? 'font-mono text-xs' : ''} ${ring}`}
              value={text}
              maxLength={spec.maxLength}
              placeholder={placeholder}
              list={listId}
              onChange={(e) => emit(e.target.value)}
              {...aria}
            />
          )}
          {listId ? (
            <datalist id={listId}>
              {fieldExtras?.suggestions?.map((suggestion) => (
                <option key={suggestion} value={suggestion} />
              ))}
            </datalist>
          ) : null}
          {help}
        </div>
      );
    }
    case 'json':
      return (
        <div>
          {labelNode}
          <JsonInput value={value} onChange={onChange} className={ring} aria={aria} />
          {help}
        </div>
      );
  }
}

function NumberInput({
  value,
  integer,
  min,
  max,
  placeholder,
  onChange,
  className,
  aria,
}: {
  value: unknown;
  integer: boolean;
  min: number | undefined;
  max: number | undefined;
  placeholder: string | undefined;
  onChange: (value: unknown) => void;
  className: string;
  aria: Record<string, unknown>;
}) {
  const external = typeof value === 'number' ? String(value) : '';
  const [text, setText] = useState(external);
  const [error, setError] = useState<string | null>(null);
  // Follow changes made elsewhere (the JSON editor) unless the text already means the same number.
  useEffect(() => {
    setText((current) => {
      const parsed = parseNumberInput(current, integer);
      const same =
        'value' in parsed &&
        (parsed.value === undefined ? external === '' : String(parsed.value) === external);
      if (same) return current;
      setError(null);
      return external;
    });
  }, [external, integer]);
  return (
    <>
      <input
        type="text"
        inputMode={integer ? 'numeric' : 'decimal'}
        className={`${className} ${error ? 'ring-rose-400!' : ''}`}
        value={text}
        placeholder={placeholder ?? (min !== undefined && max !== undefined ? `${min}–${max}` : undefined)}
        onChange={(e) => {
          setText(e.target.value);
          const parsed = parseNumberInput(e.target.value, integer);
          if ('error' in parsed) {
            setError(parsed.error);
            return;
          }
          setError(null);
          onChange(parsed.value);
        }}
        {...aria}
      />
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </>
  );
}

function JsonInput({
  value,
  onChange,
  className,
  aria,
}: {
  value: unknown;
  onChange: (value: unknown) => void;
  className: string;
  aria: Record<string, unknown>;
}) {
  const pretty = value === undefined ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = useState(pretty);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText((current) => {
      try {
        if (
          current.trim() === ''
            ? pretty === ''
            : JSON.stringify(JSON.parse(current)) === JSON.stringify(value)
        )
          return current;
      } catch {
        // Half-typed JSON is replaced by an outside change.
      }
      setError(null);
      return pretty;
    });
  }, [pretty, value]);
  return (
    <>
      <textarea
        rows={Math.min(10, Math.max(3, text.split('\n').length))}
        spellCheck={false}
        className={`${inputClass} resize-y font-mono text-xs leading-5 ${error ? 'ring-rose-400!' : className}`}
        value={text}
        placeholder="JSON"
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') {
            setError(null);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value));
            setError(null);
          } catch (err) {
            setError(err instanceof SyntaxError ? err.message : 'Invalid JSON');
          }
        }}
        {...aria}
      />
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </>
  );
}

function ArrayField({
  spec,
  label,
  required,
  value,
  onChange,
  path,
  testId,
  help,
  labelId,
}: FieldProps & {
  spec: Extract<FieldSpec, { kind: 'array' }>;
  testId: string;
  messages: string[];
  help: ReactNode;
  labelId: string;
}) {
  const { disabled } = useContext(FormContext);
  const items = Array.isArray(value) ? value : [];
  const full = spec.maxItems !== undefined && items.length >= spec.maxItems;
  const setItems = (next: unknown[]) => onChange(next.length === 0 && !required ? undefined : next);
  const move = (from: number, to: number) => {
    const next = [...items];
    const [item] = next.splice(from, 1);
    next.splice(to, 0, item);
    setItems(next);
  };
  const itemLabel = (i: number) => `${label} ${i + 1}`;
  return (
    <fieldset className="space-y-2" data-testid={testId} aria-describedby={`${labelId}-help`}>
      <legend className="mb-1.5 text-xs font-medium text-slate-700">
        {label}
        {required ? null : <span className="ml-1 font-normal text-slate-400">optional</span>}
      </legend>
      {items.length === 0 ? <p className="text-xs text-slate-400">None.</p> : null}
      <ol className="space-y-2">
        {items.map((item, i) => (
          // Items have no identity of their own; the index is what the API's issue paths use too.
          <li key={i} className="flex items-start gap-1.5" data-testid={`${testId}-item`}>
            <div className="min-w-0 flex-1">
              {spec.item.kind === 'object' ? (
                <div
                  className={`rounded-lg bg-slate-50 p-2.5 ring-1 ring-slate-200 ${
                    compactItem(spec.item) ? 'grid grid-cols-2 gap-2' : 'space-y-3'
                  }`}
                >
                  <ObjectFields
                    spec={spec.item}
                    value={item}
                    onChange={(next) => setItems(items.map((old, j) => (j === i ? next : old)))}
                    path={childPath(path, i)}
                  />
                </div>
              ) : (
                <Field
                  spec={spec.item}
                  name={itemLabel(i)}
                  label={itemLabel(i)}
                  required
                  value={item}
                  onChange={(next) => setItems(items.map((old, j) => (j === i ? next : old)))}
                  path={childPath(path, i)}
                  parent={items}
                />
              )}
            </div>
            <div className={`flex shrink-0 flex-col ${spec.item.kind === 'object' ? '' : 'pt-6'}`}>
              <IconButton
                label={`Remove ${itemLabel(i)}`}
                disabled={disabled}
                onClick={() => setItems(items.filter((_, j) => j !== i))}
              >
                ×
              </IconButton>
              {i > 0 ? (
                <IconButton
                  label={`Move ${itemLabel(i)} up`}
                  disabled={disabled}
                  onClick={() => move(i, i - 1)}
                >
                  ↑
                </IconButton>
              ) : null}
            </div>
          </li>
        ))}
      </ol>
      <Button
        size="sm"
        onClick={() =>
          setItems([...items, initialValue(spec.item) ?? (spec.item.kind === 'object' ? {} : '')])
        }
        disabled={disabled || full}
        data-testid={`${testId}-add`}
      >
        + Add {label.toLowerCase()}
      </Button>
      {help}
    </fieldset>
  );
}

function RecordField({
  spec,
  label,
  required,
  value,
  onChange,
  testId,
  help,
  labelId,
}: FieldProps & {
  spec: Extract<FieldSpec, { kind: 'record' }>;
  testId: string;
  help: ReactNode;
  labelId: string;
}) {
  const { disabled } = useContext(FormContext);
  // Rows are kept locally so a row can exist with an empty key while it is being typed.
  const fromValue = () =>
    Object.entries(isRecord(value) ? value : {}).map(([k, v]) => ({ key: k, value: v }));
  const [rows, setRows] = useState(fromValue);
  const emitted = JSON.stringify(value ?? null);
  const [lastEmitted, setLastEmitted] = useState(emitted);
  if (emitted !== lastEmitted) {
    setLastEmitted(emitted);
    setRows(fromValue());
  }
  const update = (next: Array<{ key: string; value: unknown }>) => {
    setRows(next);
    const object: Record<string, unknown> = {};
    for (const row of next) if (row.key !== '' && row.value !== undefined) object[row.key] = row.value;
    const result = Object.keys(object).length === 0 && !required ? undefined : object;
    setLastEmitted(JSON.stringify(result ?? null));
    onChange(result);
  };
  const parse = (text: string): unknown => {
    if (spec.value.kind === 'number') {
      const parsed = parseNumberInput(text, spec.value.integer);
      return 'value' in parsed ? parsed.value : text;
    }
    if (spec.value.kind === 'boolean') return text === 'true';
    return text;
  };
  return (
    <fieldset className="space-y-2" data-testid={testId} aria-describedby={`${labelId}-help`}>
      <legend className="mb-1.5 text-xs font-medium text-slate-700">
        {label}
        {required ? null : <span className="ml-1 font-normal text-slate-400">optional</span>}
      </legend>
      {rows.map((row, i) => (
        <div key={i} className="flex items-center gap-1.5">
          <input
            aria-label={`${label} name ${i + 1}`}
            className={`${inputClass} font-mono text-xs`}
            placeholder="name"
            value={row.key}
            disabled={disabled}
            onChange={(e) => update(rows.map((r, j) => (j === i ? { ...r, key: e.target.value } : r)))}
          />
          <input
            aria-label={`${label} value ${i + 1}`}
            className={`${inputClass} text-xs`}
            placeholder="value"
            value={row.value === undefined ? '' : String(row.value)}
            disabled={disabled}
            onChange={(e) =>
              update(rows.map((r, j) => (j === i ? { ...r, value: parse(e.target.value) } : r)))
            }
          />
          <IconButton
            label={`Remove ${label} ${i + 1}`}
            disabled={disabled}
            onClick={() => update(rows.filter((_, j) => j !== i))}
          >
            ×
          </IconButton>
        </div>
      ))}
      <Button
        size="sm"
        disabled={disabled}
        onClick={() => update([...rows, { key: '', value: '' }])}
        data-testid={`${testId}-add`}
      >
        + Add entry
      </Button>
      {help}
    </fieldset>
  );
}

function IconButton({
  label,
  onClick,
  disabled,
  children,
}: {
  label: string;
  onClick: () => void;
  disabled?: boolean;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      disabled={disabled}
      onClick={onClick}
      className="flex size-7 items-center justify-center rounded-md text-sm text-slate-500 hover:bg-slate-100 hover:text-slate-900 focus-visible:outline-2 focus-visible:outline-indigo-500 disabled:opacity-40"
    >
      {children}
    </button>
  );
}

/** Items of two short fields (a fallback's provider and model) sit side by side. */
function compactItem(spec: FieldSpec): boolean {
  return (
    spec.kind === 'object' &&
    spec.properties.length === 2 &&
    spec.properties.every(
      (p) =>
        p.spec.kind === 'enum' || p.spec.kind === 'number' || (p.spec.kind === 'string' && !p.spec.multiline),
    )
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalarValue(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** `config.fallback[0].model` below `config` → `fallback[0].model`. */
function relativePath(path: string, root: string): string {
  if (!root) return path;
  if (path === root) return '';
  if (path.startsWith(`${root}.`)) return path.slice(root.length + 1);
  if (path.startsWith(`${root}[`)) return path.slice(root.length);
  return path;
}
