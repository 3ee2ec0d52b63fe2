/** Labelled form rows of the schedule form: a choice with its hint, and a whole-number input. */
import { type ReactNode, useId } from 'react';
import { inputClass } from '../ui/field.tsx';

export function ChoiceRow<T extends string>({
  label,
  value,
  options,
  onChange,
  testId,
  children,
}: {
  label: string;
  value: T;
  options: ReadonlyArray<{ value: T; label: string; hint: string }>;
  onChange: (value: T) => void;
  testId: string;
  children?: ReactNode;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1.5 block text-sm font-medium text-slate-700">
        {label}
      </label>
      <select
        id={id}
        className={inputClass}
        value={value}
        onChange={(e) => onChange(e.target.value as T)}
        data-testid={testId}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <p className="mt-1 text-xs text-slate-500">{options.find((o) => o.value === value)?.hint}</p>
      {children ? <div className="mt-2">{children}</div> : null}
    </div>
  );
}

export function NumberRow({
  label,
  value,
  onChange,
  error,
  testId,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
  testId: string;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1.5 block text-xs font-medium text-slate-600">
        {label}
      </label>
      <input
        id={id}
        inputMode="numeric"
        className={`${inputClass} ${error ? 'ring-rose-400!' : ''}`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        data-testid={testId}
      />
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </div>
  );
}
