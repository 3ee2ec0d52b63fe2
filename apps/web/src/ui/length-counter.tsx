/**
 * "12 / 200" under a text field with a length limit. Fields show their limit instead of cutting
 * what is typed or pasted at it (a browser's `maxLength` drops the rest without a word): the
 * counter turns red past the limit and the form refuses the value with "at most 200 characters".
 */
export function LengthCounter({ length, max, testId }: { length: number; max: number; testId?: string }) {
  const over = length > max;
  return (
    <p
      className={`mt-1 text-right text-[11px] tabular-nums ${over ? 'font-medium text-rose-600' : 'text-slate-400'}`}
      data-testid={testId}
      data-over={over ? 'true' : undefined}
    >
      {length} / {max}
      {over ? ` — ${length - max} over the limit` : ''}
    </p>
  );
}
