/** Labelled form fields with their error underneath, wired with aria attributes. */
import { type InputHTMLAttributes, type ReactNode, useId } from 'react';
import { LengthCounter } from './length-counter.tsx';

export const inputClass =
  'block w-full rounded-lg border-0 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500';

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  error?: string | undefined;
  hint?: string;
  /**
   * The longest value the server accepts: shown as a counter, never enforced with `maxLength`
   * (which silently drops whatever is typed or pasted past it); the server's refusal says why.
   */
  limit?: number;
  'data-testid'?: string;
}

export function Field({
  label,
  error,
  hint,
  limit,
  id,
  className = '',
  'data-testid': testId,
  ...rest
}: FieldProps) {
  const generated = useId();
  const inputId = id ?? generated;
  const messageId = `${inputId}-message`;
  return (
    <div className={className}>
      <label htmlFor={inputId} className="mb-1.5 block text-sm font-medium text-slate-700">
        {label}
      </label>
      <input
        id={inputId}
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? messageId : undefined}
        className={`${inputClass} ${error ? 'ring-rose-400! focus:ring-rose-500!' : ''}`}
        data-testid={testId}
        {...rest}
      />
      {limit !== undefined ? (
        <LengthCounter
          length={String(rest.value ?? '').length}
          max={limit}
          testId={testId ? `${testId}-count` : undefined}
        />
      ) : null}
      {error ? (
        <p id={messageId} className="mt-1.5 text-xs text-rose-600">
          {error}
        </p>
      ) : hint ? (
        <p id={messageId} className="mt-1.5 text-xs text-slate-500">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A label, any control (given `htmlFor` as its id) and its error underneath. */
export function FieldRow({
  label,
  htmlFor,
  error,
  children,
}: {
  label: string;
  htmlFor: string;
  error: string | undefined;
  children: ReactNode;
}) {
  return (
    <div>
      <label htmlFor={htmlFor} className="mb-1.5 block text-sm font-medium text-slate-700">
        {label}
      </label>
      {children}
      {error ? <p className="mt-1.5 text-xs text-rose-600">{error}</p> : null}
    </div>
  );
}
