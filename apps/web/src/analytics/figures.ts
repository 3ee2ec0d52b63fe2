/**
 * How the dashboard says its numbers: percentages, token counts, unpriced attempts (a count, never
 * "$0"), chart values, and the CSV export link. Money stays integer micro-dollars until the last
 * step; charts plot dollars as floats but label them from whole micro-dollars again.
 */
import { formatDollars, MICROS_PER_DOLLAR } from '../money/money.ts';

/** 0.1234 → "12.3%", 1 → "100%", null (nothing to divide by) → "—". */
export function formatPercent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return '—';
  const percent = rate * 100;
  if (percent === 0 || percent === 100 || Number.isInteger(percent)) return `${percent}%`;
  if (percent < 0.1) return '<0.1%';
  return `${percent.toFixed(1)}%`;
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 });
const whole = new Intl.NumberFormat('en-US');

/** 950 → "950", 12_345 → "12.35K", 3_400_000 → "3.4M". */
export function formatTokens(count: number): string {
  return count < 10_000 ? whole.format(count) : compact.format(count);
}

/** "1 attempt without a price", "3 attempts without a price"; null when every attempt had one. */
export function formatUnpriced(count: number): string | null {
  if (count <= 0) return null;
  return `${whole.format(count)} ${count === 1 ? 'attempt' : 'attempts'} without a price`;
}

/**
 * Attempts whose cost is unknown, by why: "1 attempt without a price, 2 answers without usage";
 * null when every attempt's cost is known. Failed calls without usage are not among them.
 */
export function formatUnknownCost(figure: {
  unpricedAttempts: number;
  noUsageAttempts: number;
}): string | null {
  const parts = [formatUnpriced(figure.unpricedAttempts)];
  const n = figure.noUsageAttempts;
  if (n > 0) parts.push(`${whole.format(n)} ${n === 1 ? 'answer' : 'answers'} without usage`);
  const said = parts.filter((part): part is string => part !== null);
  return said.length > 0 ? said.join(', ') : null;
}

/**
 * Beside cost per successful run: how many successful runs it leaves out because an attempt's cost
 * is unknown (no price, or an answer without usage: averaging them in as $0 would understate it);
 * null when none.
 */
export function formatExcludedUnpricedRuns(count: number): string | null {
  if (count <= 0) return null;
  return `excludes ${whole.format(count)} ${count === 1 ? 'run' : 'runs'} of unknown cost`;
}

/** For plotting only: a chart axis wants a number. */
export const microsToChartDollars = (micros: number) => micros / MICROS_PER_DOLLAR;

/** A plotted value back to a label, rounded to the micro-dollar it came from. */
export const formatChartDollars = (dollars: number) => formatDollars(Math.round(dollars * MICROS_PER_DOLLAR));

/** Cost per successful run in micro-dollars, or null when nothing succeeded. */
export function costPerRun(costMicros: number, runs: number): number | null {
  return runs > 0 ? Math.round(costMicros / runs) : null;
}

export interface ExportFilters {
  from: Date;
  to: Date;
  workflowId?: string | undefined;
}

/** The CSV download link for what the dashboard shows (same range, same workflow filter). */
export function csvExportHref({ from, to, workflowId }: ExportFilters): string {
  const params = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
  if (workflowId) params.set('workflowId', workflowId);
  return `/api/analytics/export.csv?${params.toString()}`;
}

export interface SeriesPoint {
  bucket: string;
  key: string;
  costMicros: number;
}

export interface StackedSeries {
  /** One row per bucket, in first-seen order: `{ bucket, [category]: dollars }`. */
  rows: Array<Record<string, string | number>>;
  /** The categories to stack, largest total first; "Other" last when some were folded. */
  categories: string[];
}

export const OTHER = 'Other';

/**
 * Pivots (bucket, key, cost) points into rows a stacked chart can draw. Beyond `maxSeries` the
 * smallest keys are folded into "Other", so a long tail of models still adds up to the total.
 */
export function stackSeries(points: readonly SeriesPoint[], maxSeries = 6): StackedSeries {
  const totals = new Map<string, number>();
  for (const point of points) totals.set(point.key, (totals.get(point.key) ?? 0) + point.costMicros);
  const ranked = [...totals.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k]) => k);
  const folds = ranked.length > maxSeries;
  const kept = new Set(folds ? ranked.slice(0, maxSeries - 1) : ranked);
  const categories = folds ? [...kept, OTHER] : ranked;

  const byBucket = new Map<string, Map<string, number>>();
  for (const point of points) {
    const category = kept.has(point.key) ? point.key : OTHER;
    let row = byBucket.get(point.bucket);
    if (!row) {
      row = new Map();
      byBucket.set(point.bucket, row);
    }
    row.set(category, (row.get(category) ?? 0) + point.costMicros);
  }
  const rows = [...byBucket.entries()].map(([bucket, costs]) => {
    const row: Record<string, string | number> = { bucket };
    for (const category of categories) row[category] = microsToChartDollars(costs.get(category) ?? 0);
    return row;
  });
  return { rows, categories };
}
