/** A string-keyed record as editable name/value rows. */
import { type ReactNode, useContext, useState } from 'react';
import { Button } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import { type FieldProps, FormContext } from './form-context.ts';
import { IconButton } from './icon-button.tsx';
import { type FieldSpec, isObject, parseNumberInput } from './json-schema.ts';

export function RecordField({
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
    Object.entries(isObject(value) ? value : {}).map(([k, v]) => ({ key: k, value: v }));
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
