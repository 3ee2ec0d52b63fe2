/**
 * The dashboard's Tremor charts, each in a titled panel with its own empty state. Values are
 * plotted in dollars (a chart axis needs numbers) and labelled from whole micro-dollars.
 */
// Deep imports: the package has no `sideEffects: false`, so its index would pull every Tremor
// component (date pickers, dialogs…) into this chunk — twice the size.
import BarChart from '@tremor/react/dist/components/chart-elements/BarChart/BarChart.js';
import BarList from '@tremor/react/dist/components/vis-elements/BarList/BarList.js';
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

/** Cost per bucket over time, stacked by a dimension (provider, model). */
export function StackedCostChart({ series, testId }: { series: StackedSeries; testId: string }) {
  if (series.rows.length === 0 || series.categories.length === 0) return <EmptyChart />;
  return (
    <div data-testid={testId} data-series={series.categories.join(',')}>
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
    </div>
  );
}

export interface RankedItem {
  name: string;
  value: number;
  href?: string;
}

/** Horizontal bars of dollar amounts, largest first (agent roles, providers' totals). */
export function CostBars({ items, testId }: { items: RankedItem[]; testId: string }) {
  if (items.length === 0) return <EmptyChart />;
  return (
    <div data-testid={testId}>
      <BarList data={items} valueFormatter={formatChartDollars} color="indigo" />
    </div>
  );
}

export function TokenBars({ items, testId }: { items: RankedItem[]; testId: string }) {
  if (items.every((item) => item.value === 0)) return <EmptyChart message="No tokens in this range" />;
  return (
    <div data-testid={testId}>
      <BarList data={items} valueFormatter={formatTokens} color="sky" />
    </div>
  );
}
