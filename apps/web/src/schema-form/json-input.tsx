/**
 * A raw JSON value in a textarea: the value changes only when the text parses, an error shows
 * while it does not, and changes made elsewhere replace the text unless it already means the same.
 */
import { useEffect, useState } from 'react';
import { inputClass } from '../ui/field.tsx';

export function JsonInput({
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
