/**
 * The recursive heart of the schema form: `Field` draws one value by its spec (a checkbox, select,
 * number, text, JSON, or a group), `ObjectFields` an object's properties (the optional ones of a
 * long object under "More options"), and `ArrayField` a list of items that are fields or objects
 * themselves. They call each other, so they live together.
 */
import { type ReactNode, useContext, useId, useState } from 'react';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import { LengthCounter } from '../ui/length-counter.tsx';
import { type FieldProps, FormContext } from './form-context.ts';
import { IconButton } from './icon-button.tsx';
import { JsonInput } from './json-input.tsx';
import {
  childPath,
  type FieldSpec,
  fieldLabel,
  initialValue,
  isObject,
  isScalar,
  type PropertySpec,
  parseScalarInput,
  relativePath,
  type Scalar,
  setProperty,
} from './json-schema.ts';
import { NumberInput } from './number-input.tsx';
import { RecordField } from './record-field.tsx';

type ObjectSpec = Extract<FieldSpec, { kind: 'object' }>;

/** Objects with many fields show the optional ones left empty under "More options". */
const COLLAPSE_ABOVE = 6;

export function ObjectFields({
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
  const object = isObject(value) ? value : {};
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

/** A required field carries a red star (checked before anything is sent); an optional one says so. */
function RequiredMark({ required, testId }: { required: boolean; testId: string }) {
  return required ? (
    <span className="ml-0.5 text-rose-500" title="Required" data-testid={`${testId}-required`}>
      *<span className="sr-only"> (required)</span>
    </span>
  ) : (
    <span className="ml-1 font-normal text-slate-400">optional</span>
  );
}

export function Field(props: FieldProps) {
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
      <RequiredMark required={required} testId={testId} />
    </label>
  );
  const aria = {
    id,
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': describedBy,
    'data-testid': testId,
    'aria-required': required && spec.kind !== 'boolean' ? true : undefined,
    disabled,
  } as const;
  const placeholder = spec.default !== undefined && isScalar(spec.default) ? String(spec.default) : undefined;

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
              placeholder={placeholder}
              onChange={(e) => emit(e.target.value)}
              {...aria}
            />
          ) : (
            <input
              type={spec.inputType}
              className={`${inputClass} ${mono ? 'font-mono text-xs' : ''} ${ring}`}
              value={text}
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
          {spec.maxLength !== undefined ? (
            <LengthCounter length={text.length} max={spec.maxLength} testId={`${testId}-count`} />
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
        <RequiredMark required={required} testId={testId} />
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
