/**
 * The dashboard's Tremor charts, each in a titled panel with its own empty state. Values are
 * plotted in dollars (a chart axis needs numbers) and labelled from whole micro-dollars.
 */
// Deep imports: the package has no `sideEffects: false`, so its index would pull every Tremor
// component (date pickers, dialogs…) into this chunk — twice the size.
import BarChart from '@tremor/react/dist/components/chart-elements/BarChart/BarChart.js';
import type { ReactNode } from 'react';
import { colorsFor } from './chart-colors.ts';
import { formatChartDollars, formatTokens, type StackedSeries } from './figures.ts';

export function Panel({
  title,
  action,
  children,
  testId,
}: {
  title: string;
  action?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="rounded-xl bg-white p-5 shadow-sm ring-1 ring-slate-200" data-testid={testId}>
      <div className="mb-4 flex items-center justify-between gap-3">
        <h2 className="text-sm font-semibold text-slate-900">{title}</h2>
        {action}
      </div>
      {children}
    </section>
  );
}

export function EmptyChart({ message = 'No costs in this range' }: { message?: string }) {
  return (
    <div
      className="flex h-56 items-center justify-center rounded-lg border border-dashed border-slate-200 text-sm text-slate-500"
      data-testid="chart-empty"
    >
      {message}
    </div>
  );
}

/** One bar per `bucket` (a time bucket, a provider), stacked by category (a model), in dollars. */
export function StackedCostChart({
  series,
  label,
  testId,
}: {
  series: StackedSeries;
  label: string;
  testId: string;
}) {
  if (series.rows.length === 0 || series.categories.length === 0) return <EmptyChart />;
  return (
    <figure data-testid={testId} data-series={series.categories.join(',')} aria-label={label}>
      <BarChart
        className="h-64"
        data={series.rows}
        index="bucket"
        categories={series.categories}
        colors={colorsFor(series.categories)}
        valueFormatter={formatChartDollars}
        stack
        yAxisWidth={72}
        showAnimation={false}
      />
    </figure>
  );
}

export interface RankedItem {
  name: string;
  value: number;
}

/**
 * Horizontal bars, largest first: a name, a bar as wide as its share of the largest, the value.
 * (Tremor's BarList tints its bars with Tailwind 3's `bg-opacity-*`, which Tailwind 4 dropped.)
 */
function RankedBars({
  items,
  format,
  barClass,
  testId,
  sort = true,
}: {
  items: RankedItem[];
  format: (value: number) => string;
  barClass: string;
  testId: string;
  sort?: boolean;
}) {
  const rows = sort ? [...items].sort((a, b) => b.value - a.value) : items;
  const max = Math.max(0, ...rows.map((item) => item.value));
  return (
    <ul className="space-y-1.5" data-testid={testId}>
      {rows.map((item) => (
        <li
          key={item.name}
          className="flex items-center gap-3 text-sm"
          data-testid="ranked-row"
          data-name={item.name}
        >
          <div className="relative h-8 min-w-0 flex-1">
            <div
              className={`absolute inset-y-0 left-0 rounded ${barClass}`}
              style={{ width: `${max > 0 ? (item.value / max) * 100 : 0}%` }}
            />
            <span className="absolute inset-y-0 left-2 flex max-w-full items-center truncate pr-2 text-slate-800">
              {item.name}
            </span>
          </div>
          <span className="w-24 shrink-0 text-right tabular-nums text-slate-700" data-testid="ranked-value">
            {format(item.value)}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Dollar amounts by a dimension (agent role, workflow). */
export function CostBars({ items, testId }: { items: RankedItem[]; testId: string }) {
  if (items.length === 0) return <EmptyChart />;
  return <RankedBars items={items} format={formatChartDollars} barClass="bg-indigo-100" testId={testId} />;
}

/** Tokens by bucket, in the buckets' own order. */
export function TokenBars({ items, testId }: { items: RankedItem[]; testId: string }) {
  if (items.every((item) => item.value === 0)) return <EmptyChart message="No tokens in this range" />;
  return (
    <RankedBars items={items} format={formatTokens} barClass="bg-sky-100" testId={testId} sort={false} />
  );
}
