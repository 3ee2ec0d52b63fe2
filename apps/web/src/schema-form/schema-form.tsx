/**
 * A form drawn from a JSON Schema (see json-schema.ts for the subset it understands). It edits a
 * JSON value in place: every change calls `onChange` with the whole new value, emptied optional
 * fields disappear from it, and issues from the API (`{ path, message }` with paths like
 * `config.fallback[0].model`) are shown on the field they name; issues without a field are
 * listed above the form.
 */
import { useMemo } from 'react';
import { FormContext, type FormExtras } from './form-context.ts';
import { type FieldSpec, unplacedIssues } from './json-schema.ts';
import { Field, ObjectFields } from './schema-field.tsx';

export interface FormIssue {
  path: string;
  message: string;
}

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
  extras?: FormExtras;
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
