/**
 * The cost dashboard (`/analytics`): spend today / this week / this month / all time in the
 * browser's time zone, then everything about the chosen range and workflow — the trend, stacked
 * breakdowns by provider and by model, the most expensive workflows, cost per successful run,
 * what failures cost, the fallback rate and tokens by bucket — plus a CSV export of the same
 * rows. Loaded lazily: Tremor and Recharts stay out of the first chunk.
 */
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { formatDollars } from '../money/money.ts';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button, buttonClass } from '../ui/button.tsx';
import { inputClass } from '../ui/field.tsx';
import { CostBars, Panel, StackedCostChart, TokenBars } from './cost-charts.tsx';
import {
  browserTimeZone,
  formatBucket,
  presetRange,
  type RangeSelection,
  rangeFromSearch,
  rangeToSearch,
  resolveRange,
  type TrendInterval,
} from './date-range.ts';
import {
  csvExportHref,
  formatExcludedUnpricedRuns,
  formatPercent,
  formatUnknownCost,
  microsToChartDollars,
  stackSeries,
} from './figures.ts';
import { RangePicker } from './range-picker.tsx';

export default function AnalyticsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const selection = rangeFromSearch(params);
  const workflowId = params.get('workflow') || undefined;
  const timeZone = useMemo(browserTimeZone, []);

  // "Now" is fixed when the range is chosen (or refreshed), so the query keys stay put between renders.
  const [now, setNow] = useState(() => new Date());
  const resolved = resolveRange(selection, now);
  const range = resolved.ok ? resolved.range : presetRange('30d', now);
  const [intervalChoice, setIntervalChoice] = useState<TrendInterval | null>(null);
  // The API draws hourly trends for at most 93 days.
  const hourlyAllowed = range.to.getTime() - range.from.getTime() <= 93 * 86_400_000;
  const interval = hourlyAllowed ? (intervalChoice ?? range.interval) : 'day';

  const setSelection = (next: RangeSelection) => {
    setNow(new Date());
    setIntervalChoice(null);
    setParams((prev) => rangeToSearch(next, prev), { replace: true });
  };
  const setWorkflow = (id: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (id) next.set('workflow', id);
        else next.delete('workflow');
        return next;
      },
      { replace: true },
    );

  const filters = { from: range.from, to: range.to, ...(workflowId ? { workflowId } : {}) };
  const workflows = useQuery(trpc.workflows.list.queryOptions({ limit: 200 }));
  const summary = useQuery({
    ...trpc.analytics.summary.queryOptions({ ...filters, timeZone }),
    placeholderData: keepPreviousData,
  });
  const trends = useQuery({
    ...trpc.analytics.trends.queryOptions({ ...filters, interval, timeZone }),
    placeholderData: keepPreviousData,
  });
  const expensive = useQuery({
    ...trpc.analytics.expensiveWorkflows.queryOptions({ ...filters, limit: 10 }),
    placeholderData: keepPreviousData,
  });
  const usage = useQuery({
    ...trpc.analytics.usage.queryOptions(filters),
    placeholderData: keepPreviousData,
  });

  return (
    <div className="mx-auto max-w-6xl px-4 py-8 sm:px-6" data-testid="analytics-page">
      <title>Costs · SWARM</title>
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Costs</h1>
          <p className="mt-1 text-sm text-slate-600">
            What your workflows spend on AI providers, in your time zone ({timeZone}).
          </p>
        </div>
        <div className="flex gap-2">
          <Button
            variant="ghost"
            onClick={() => {
              // A preset's window ends at "now" as of when it was chosen; move it up to this minute.
              setNow(new Date());
              void queryClient.invalidateQueries({ queryKey: trpc.analytics.pathKey() });
            }}
            data-testid="analytics-refresh"
          >
            Refresh
          </Button>
          <Link to="/budgets" className={buttonClass('secondary')}>
            Budgets
          </Link>
          <a
            href={csvExportHref(filters)}
            download
            className={buttonClass('secondary')}
            data-testid="export-csv"
          >
            Download CSV
          </a>
        </div>
      </div>

      <div className="mt-6 flex flex-wrap items-start gap-3">
        <RangePicker value={selection} onChange={setSelection} />
        <div>
          <label htmlFor="analytics-workflow" className="sr-only">
            Workflow
          </label>
          <select
            id="analytics-workflow"
            className={`${inputClass} w-56 py-1.5`}
            value={workflowId ?? ''}
            onChange={(event) => setWorkflow(event.target.value)}
            data-testid="analytics-workflow"
          >
            <option value="">All workflows</option>
            {workflowId && !workflows.data?.items.some((w) => w.id === workflowId) ? (
              <option value={workflowId}>This workflow</option>
            ) : null}
            {workflows.data?.items.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </div>
      </div>

      {summary.isError ? (
        <div className="mt-6">
          <PageError message={readApiError(summary.error).message} onRetry={() => summary.refetch()} />
        </div>
      ) : (
        <>
          <Totals summary={summary} />
          <RangeFigures summary={summary} />
        </>
      )}

      <div className="mt-6 grid gap-6">
        <Panel
          title="Cost over time"
          testId="trend-panel"
          action={
            <fieldset className="inline-flex rounded-md ring-1 ring-slate-300">
              <legend className="sr-only">Bucket size</legend>
              {(['hour', 'day'] as const).map((choice) => (
                <button
                  key={choice}
                  type="button"
                  aria-pressed={interval === choice}
                  disabled={choice === 'hour' && !hourlyAllowed}
                  title={
                    choice === 'hour' && !hourlyAllowed ? 'Hourly is for ranges up to 93 days' : undefined
                  }
                  data-testid={`interval-${choice}`}
                  onClick={() => setIntervalChoice(choice)}
                  className={`px-2.5 py-1 text-xs font-medium first-of-type:rounded-l-md last-of-type:rounded-r-md disabled:cursor-not-allowed disabled:text-slate-300 ${
                    interval === choice
                      ? 'bg-slate-800 text-white'
                      : 'bg-white text-slate-600 hover:bg-slate-50'
                  }`}
                >
                  {choice === 'hour' ? 'Hourly' : 'Daily'}
                </button>
              ))}
            </fieldset>
          }
        >
          <QueryBody query={trends} label="trend">
            {(data) => <TrendChart data={data} spansDays={range.interval === 'day'} />}
          </QueryBody>
        </Panel>
      </div>

      <div className="mt-6 grid gap-6 lg:grid-cols-2">
        <Panel title="By provider and model" testId="provider-panel">
          <QueryBody query={summary} label="breakdown">
            {(data) => (
              <>
                <StackedCostChart
                  testId="provider-model-chart"
                  label="Cost by provider, stacked by model"
                  series={stackSeries(
                    // Models without a price are listed below as counts, not stacked as $0.
                    pricedRows(data.byModel).map((row) => ({
                      bucket: row.provider,
                      key: row.model,
                      costMicros: row.costMicros,
                    })),
                  )}
                />
                <UnpricedList
                  rows={data.byModel.map((row) => ({
                    name: `${row.provider}/${row.model}`,
                    note: formatUnknownCost(row),
                  }))}
                />
              </>
            )}
          </QueryBody>
        </Panel>
        <Panel title="By agent role" testId="role-panel">
          <QueryBody query={summary} label="breakdown">
            {(data) => (
              <>
                <CostBars
                  testId="role-bars"
                  items={pricedRows(data.byAgentRole).map((row) => ({
                    name: row.agentRole ?? '(no role)',
                    value: microsToChartDollars(row.costMicros),
                  }))}
                />
                <UnpricedList
                  rows={data.byAgentRole.map((row) => ({
                    name: row.agentRole ?? '(no role)',
                    note: formatUnknownCost(row),
                  }))}
                />
              </>
            )}
          </QueryBody>
        </Panel>
        <Panel title="Tokens" testId="usage-panel">
          <QueryBody query={usage} label="token usage">
            {(data) => (
              <TokenBars
                testId="token-bars"
                items={[
                  { name: 'Input', value: data.tokens.inputTokens },
                  { name: 'Cached input (read)', value: data.tokens.cacheReadTokens },
                  { name: 'Cache write', value: data.tokens.cacheWriteTokens },
                  { name: 'Output', value: data.tokens.outputTokens },
                  { name: 'Reasoning', value: data.tokens.reasoningTokens },
                ]}
              />
            )}
          </QueryBody>
        </Panel>
        <Panel title="By workflow" testId="workflow-panel">
          <QueryBody query={summary} label="breakdown">
            {(data) => (
              <CostBars
                testId="workflow-bars"
                items={pricedRows(data.byWorkflow).map((row) => ({
                  name: row.name ?? 'Deleted workflow',
                  value: microsToChartDollars(row.costMicros),
                }))}
              />
            )}
          </QueryBody>
        </Panel>
      </div>

      <div className="mt-6">
        <Panel title="Most expensive workflows" testId="expensive-panel">
          <QueryBody query={expensive} label="workflows">
            {(data) =>
              data.items.length === 0 ? (
                <p className="text-sm text-slate-500" data-testid="expensive-empty">
                  No workflow spent anything in this range.
                </p>
              ) : (
                <table className="w-full text-left text-sm" data-testid="expensive-table">
                  <thead className="border-b border-slate-200 text-xs text-slate-500">
                    <tr>
                      <th className="py-2 pr-4 font-medium">Workflow</th>
                      <th className="py-2 pr-4 text-right font-medium">Cost</th>
                      <th className="py-2 pr-4 text-right font-medium">Runs (succeeded / failed)</th>
                      <th className="py-2 text-right font-medium">Per successful run</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {data.items.map((row) => (
                      <tr key={row.workflowId} data-testid="expensive-row" data-workflow-id={row.workflowId}>
                        <td className="py-2 pr-4">
                          {row.name === null ? (
                            <span className="text-slate-500">Deleted workflow</span>
                          ) : (
                            <Link
                              to={`/workflows/${row.workflowId}/runs`}
                              className="font-medium text-indigo-700 hover:underline"
                              data-testid="expensive-link"
                            >
                              {row.name}
                            </Link>
                          )}
                        </td>
                        <td className="py-2 pr-4 text-right tabular-nums" data-testid="expensive-cost">
                          <Cost micros={row.costMicros} unknown={formatUnknownCost(row)} />
                        </td>
                        <td className="py-2 pr-4 text-right tabular-nums">
                          {row.runsSucceeded} / {row.runsFailed}
                        </td>
                        <td className="py-2 text-right tabular-nums" data-testid="expensive-per-run">
                          {row.costMicros === null
                            ? 'unknown'
                            : formatDollars(row.costPerSuccessfulRunMicros)}
                          {row.succeededUnpriced > 0 ? (
                            <span
                              className="block text-xs text-amber-700"
                              data-testid="expensive-per-run-excluded"
                            >
                              {formatExcludedUnpricedRuns(row.succeededUnpriced)}
                            </span>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )
            }
          </QueryBody>
        </Panel>
      </div>
    </div>
  );
}

type Summary = RouterOutputs['analytics']['summary'];
type Trends = RouterOutputs['analytics']['trends'];

/** A cost, with the attempts that had no price beside it: never "$0" for an unknown amount. */
function Cost({ micros, unknown: note }: { micros: number | null; unknown: string | null }) {
  return (
    <span>
      {micros === null ? <span data-testid="cost-unknown">unknown</span> : formatDollars(micros)}
      {note ? (
        <span className="block text-xs text-amber-700" data-testid="unpriced">
          {note}
        </span>
      ) : null}
    </span>
  );
}

function TrendChart({ data, spansDays }: { data: Trends; spansDays: boolean }) {
  const rows = data.points.map((point) => ({
    bucket: formatBucket(point.start, data.interval, spansDays),
    Cost: microsToChartDollars(point.costMicros ?? 0),
  }));
  const unpriced = formatUnknownCost({
    unpricedAttempts: data.points.reduce((sum, point) => sum + point.unpricedAttempts, 0),
    noUsageAttempts: data.points.reduce((sum, point) => sum + point.noUsageAttempts, 0),
  });
  const hasAny = data.points.some((point) => point.attempts > 0);
  return (
    <>
      <StackedCostChart
        testId="trend-chart"
        label={`Cost per ${data.interval}`}
        series={{ rows: hasAny ? rows : [], categories: ['Cost'] }}
      />
      {unpriced ? <p className="mt-2 text-xs text-amber-700">Not plotted: {unpriced}.</p> : null}
    </>
  );
}

/** Rows with a known cost (those whose attempts all lacked a price have `costMicros: null`). */
function pricedRows<T extends { costMicros: number | null }>(
  rows: readonly T[],
): (T & { costMicros: number })[] {
  return rows.filter((row): row is T & { costMicros: number } => row.costMicros !== null);
}

/** Rows with attempts of unknown cost, said as counts (never stacked or barred as $0). */
function UnpricedList({ rows }: { rows: { name: string; note: string | null }[] }) {
  const unpriced = rows.filter((row) => row.note !== null);
  if (unpriced.length === 0) return null;
  return (
    <ul className="mt-3 space-y-0.5 text-xs text-amber-700" data-testid="unpriced-list">
      {unpriced.map((row) => (
        <li key={row.name}>
          {row.name}: {row.note}
        </li>
      ))}
    </ul>
  );
}

function Totals({ summary }: { summary: { data: Summary | undefined } }) {
  const periods = [
    { key: 'today', label: 'Today' },
    { key: 'thisWeek', label: 'This week' },
    { key: 'thisMonth', label: 'This month' },
    { key: 'allTime', label: 'All time' },
  ] as const;
  return (
    <dl className="mt-6 grid grid-cols-2 gap-4 lg:grid-cols-4" data-testid="totals">
      {periods.map((period) => {
        const total = summary.data?.totals[period.key];
        const unpriced = total ? formatUnknownCost(total) : null;
        return (
          <div
            key={period.key}
            className="rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
            data-testid={`total-${period.key}`}
          >
            <dt className="text-xs font-medium text-slate-500">{period.label}</dt>
            <dd className="mt-1 text-2xl font-semibold tabular-nums text-slate-900" data-testid="total-cost">
              {total ? (
                total.costMicros === null ? (
                  'unknown'
                ) : (
                  formatDollars(total.costMicros)
                )
              ) : (
                <Placeholder />
              )}
            </dd>
            {unpriced ? (
              <dd className="mt-1 text-xs text-amber-700" data-testid="total-unpriced">
                {unpriced}
              </dd>
            ) : null}
          </div>
        );
      })}
    </dl>
  );
}

function RangeFigures({ summary }: { summary: { data: Summary | undefined } }) {
  const data = summary.data?.period;
  const plural = (n: number, word: string) => `${n} ${n === 1 ? word : `${word}s`}`;
  const figures = data
    ? [
        {
          key: 'range-cost',
          label: 'In this range',
          value: data.costMicros === null ? 'unknown' : formatDollars(data.costMicros),
          note: formatUnknownCost(data) ?? plural(data.attempts, 'provider call'),
        },
        {
          key: 'per-run',
          label: 'Per successful run',
          value: formatDollars(data.runs.costPerSuccessfulRunMicros),
          note: [
            plural(data.runs.succeeded, 'successful run'),
            formatExcludedUnpricedRuns(data.runs.succeededUnpriced),
          ]
            .filter(Boolean)
            .join(' · '),
        },
        {
          key: 'failure-cost',
          label: 'Spent on failed attempts',
          value: formatDollars(data.failures.failedAttemptCostMicros),
          note: `${plural(data.failures.failedAttempts, 'failed attempt')} · failed runs cost ${formatDollars(data.failures.failedRunCostMicros)}`,
        },
        {
          key: 'fallback-rate',
          label: 'Fallback rate',
          value: formatPercent(data.fallback.fallbackRate),
          note: `${plural(data.fallback.fallbackAttempts, 'fallback')}, ${plural(data.fallback.retryAttempts, 'retry')} of ${plural(data.attempts, 'attempt')}`.replace(
            'retrys',
            'retries',
          ),
        },
      ]
    : null;
  return (
    <dl className="mt-4 grid grid-cols-2 gap-4 lg:grid-cols-4" data-testid="range-figures">
      {(figures ?? [0, 1, 2, 3].map((i) => ({ key: String(i), label: '', value: null, note: null }))).map(
        (figure) => (
          <div
            key={figure.key}
            className="rounded-xl bg-white p-4 ring-1 ring-slate-200"
            data-testid={figure.key}
          >
            <dt className="text-xs font-medium text-slate-500">{figure.label}</dt>
            <dd className="mt-1 text-lg font-semibold tabular-nums text-slate-900" data-testid="figure-value">
              {figure.value ?? <Placeholder />}
            </dd>
            {figure.note ? (
              <dd className="mt-0.5 text-xs text-slate-500" data-testid="figure-note">
                {figure.note}
              </dd>
            ) : null}
          </div>
        ),
      )}
    </dl>
  );
}

function Placeholder() {
  return (
    <span className="inline-block h-7 w-24 animate-pulse rounded bg-slate-100">
      <span className="sr-only">Loading</span>
    </span>
  );
}

/** A panel's body: loading, error (with retry), or the data. */
function QueryBody<T>({
  query,
  label,
  children,
}: {
  query: {
    data: T | undefined;
    isPending: boolean;
    isError: boolean;
    error: unknown;
    refetch: () => unknown;
  };
  label: string;
  children: (data: T) => React.ReactNode;
}) {
  if (query.isPending)
    return (
      <div className="flex h-56 items-center justify-center text-sm text-slate-500" role="status">
        Loading {label}…
      </div>
    );
  if (query.isError || query.data === undefined)
    return <PageError message={readApiError(query.error).message} onRetry={() => query.refetch()} />;
  return <>{children(query.data)}</>;
}
