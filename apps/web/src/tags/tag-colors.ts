/** The palette offered for new tags; users may still pick any `#rrggbb` with the colour input. */
export const TAG_COLORS = [
  '#6366f1',
  '#0ea5e9',
  '#10b981',
  '#84cc16',
  '#f59e0b',
  '#f97316',
  '#ef4444',
  '#ec4899',
  '#8b5cf6',
  '#64748b',
];

export function pickTagColor(seed: number): string {
  return TAG_COLORS[Math.abs(seed) % TAG_COLORS.length]!;
}
