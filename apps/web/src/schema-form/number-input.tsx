/**
 * A number typed as text: the text is kept as typed (a half-typed `1.` or `-` stays), the value
 * changes only when it parses, and an error shows while it does not.
 */
import { useEffect, useState } from 'react';
import { parseNumberInput } from './json-schema.ts';

export function NumberInput({
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
