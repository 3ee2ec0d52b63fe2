/**
 * The chart palette. Tremor turns each name into classes at runtime (`fill-sky-500`), so every
 * name here must be in the `@source inline(...)` safelist in src/index.css, or its series draws
 * without a colour.
 */
export const CHART_COLORS = [
  'indigo',
  'sky',
  'emerald',
  'amber',
  'rose',
  'violet',
  'teal',
  'orange',
  'fuchsia',
  'lime',
  'cyan',
] as const;

/** "Other" is grey so the folded tail never looks like a real series. */
export function colorsFor(categories: readonly string[]): string[] {
  let next = 0;
  return categories.map((category) =>
    category === 'Other' ? 'slate' : (CHART_COLORS[next++ % CHART_COLORS.length] ?? 'indigo'),
  );
}
