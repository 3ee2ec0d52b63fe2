/**
 * Provider health as every runner shares it: per provider and model, the circuit breaker's state,
 * the error rate and latency percentiles over a chosen window; and the recent provider events
 * (fallbacks of the user's runs, breaker changes).
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { formatDuration } from '../runs/run-state.ts';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { inputClass } from '../ui/field.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';

type HealthRow = RouterOutputs['providers']['health']['items'][number];
type ProviderEvent = RouterOutputs['providers']['events'][number];

const WINDOWS = [
  { minutes: 15, label: 'Last 15 minutes' },
  { minutes: 60, label: 'Last hour' },
  { minutes: 24 * 60, label: 'Last 24 hours' },
  { minutes: 7 * 24 * 60, label: 'Last 7 days' },
];

const BREAKER_STYLE: Record<string, { label: string; className: string }> = {
  closed: { label: 'Closed', className: 'bg-emerald-100 text-emerald-800' },
  open: { label: 'Open', className: 'bg-rose-100 text-rose-800' },
  half_open: { label: 'Half-open', className: 'bg-amber-100 text-amber-800' },
};

export function ProviderHealth() {
  const trpc = useTRPC();
  const [windowMinutes, setWindowMinutes] = useState(60);
  const health = useQuery({
    ...trpc.providers.health.queryOptions({ windowMinutes }),
    refetchInterval: 15_000,
  });

  return (
    <div>
      <div className="mb-3 flex justify-end">
        <label htmlFor="health-window" className="sr-only">
          Health window
        </label>
        <select
          id="health-window"
          className={`${inputClass} w-44`}
          value={windowMinutes}
          onChange={(e) => setWindowMinutes(Number(e.target.value))}
          data-testid="health-window"
        >
          {WINDOWS.map((w) => (
            <option key={w.minutes} value={w.minutes}>
              {w.label}
            </option>
          ))}
        </select>
      </div>
      {health.isPending ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : health.isError ? (
        <p className="text-sm text-rose-600" role="alert">
          {readApiError(health.error).message}
        </p>
      ) : health.data.items.length === 0 ? (
        <p
          className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-8 text-center text-sm text-slate-500"
          data-testid="health-empty"
        >
          No provider calls in this window, and every circuit is closed.
        </p>
      ) : (
        <div className="overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
          <table className="w-full text-left text-sm" data-testid="health-table">
            <thead className="border-b border-slate-200 text-xs text-slate-500">
              <tr>
                <th className="px-4 py-2.5 font-medium">Provider / model</th>
                <th className="px-4 py-2.5 font-medium">Breaker</th>
                <th className="px-4 py-2.5 text-right font-medium">Calls</th>
                <th className="px-4 py-2.5 text-right font-medium">Error rate</th>
                <th className="px-4 py-2.5 text-right font-medium">p50</th>
                <th className="px-4 py-2.5 text-right font-medium">p95</th>
                <th className="px-4 py-2.5 font-medium">Last call</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {health.data.items.map((row) => (
                <HealthTableRow key={`${row.provider}/${row.model}`} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function HealthTableRow({ row }: { row: HealthRow }) {
  const breaker = BREAKER_STYLE[row.state] ?? { label: row.state, className: 'bg-slate-100 text-slate-700' };
  const rate = row.errorRate;
  return (
    <tr data-testid="health-row" data-provider={row.provider} data-model={row.model}>
      <td className="px-4 py-2.5 font-mono text-xs text-slate-800">
        {row.provider}/{row.model}
        {row.servedModels.length > 0 ? (
          // One row per requested model, as its breaker counts: the snapshots that answered for it.
          <span className="block text-[11px] text-slate-500" data-testid="served-models">
            served as {row.servedModels.join(', ')}
          </span>
        ) : null}
      </td>
      <td className="px-4 py-2.5">
        <span
          className={`rounded-full px-2 py-0.5 text-xs font-medium ${breaker.className}`}
          title={row.openedAt ? `Last opened ${row.openedAt.toLocaleString()}` : undefined}
          data-testid="breaker-state"
        >
          {breaker.label}
        </span>
      </td>
      <td className="px-4 py-2.5 text-right tabular-nums">
        {row.attempts}
        {row.abandoned > 0 ? (
          // Given up on by a workflow's own latency threshold or short timeout: not the provider's
          // fault, so neither a call nor an error here, as the breaker does not count it either.
          <span
            className="block text-[11px] text-slate-500"
            title="Attempts a workflow gave up on under its own latency threshold or short timeout. They are not counted as errors, and they don't count toward the shared breaker."
            data-testid="abandoned-attempts"
          >
            +{row.abandoned} abandoned
          </span>
        ) : null}
      </td>
      <td
        className={`px-4 py-2.5 text-right tabular-nums ${rate !== null && rate >= 0.2 ? 'font-medium text-rose-700' : ''}`}
      >
        {rate === null ? '—' : `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)}%`}
      </td>
      <td className="px-4 py-2.5 text-right tabular-nums">{formatDuration(row.p50LatencyMs)}</td>
      <td className="px-4 py-2.5 text-right tabular-nums">{formatDuration(row.p95LatencyMs)}</td>
      <td className="px-4 py-2.5 text-xs text-slate-500">
        {row.lastAttemptAt ? <RelativeTime date={row.lastAttemptAt} /> : '—'}
      </td>
    </tr>
  );
}

export function ProviderEvents() {
  const trpc = useTRPC();
  const events = useQuery({ ...trpc.providers.events.queryOptions({ limit: 50 }), refetchInterval: 15_000 });
  if (events.isPending) return <p className="text-sm text-slate-500">Loading…</p>;
  if (events.isError)
    return (
      <p className="text-sm text-rose-600" role="alert">
        {readApiError(events.error).message}
      </p>
    );
  if (events.data.length === 0)
    return (
      <p
        className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-8 text-center text-sm text-slate-500"
        data-testid="events-empty"
      >
        No fallbacks or breaker changes yet.
      </p>
    );
  return (
    <ol
      className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
      data-testid="provider-events"
    >
      {events.data.map((event) => (
        <EventRow key={event.id} event={event} />
      ))}
    </ol>
  );
}

function ref(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const { provider, model } = value as { provider?: unknown; model?: unknown };
  return typeof provider === 'string' && typeof model === 'string' ? `${provider}/${model}` : null;
}

function EventRow({ event }: { event: ProviderEvent }) {
  const source = `${event.provider}/${event.model}`;
  let text: string;
  if (event.kind === 'fallback') {
    const to = ref(event.detail.to);
    text = `${source} → ${to ?? 'next provider'}`;
  } else {
    const from = typeof event.detail.from === 'string' ? event.detail.from : '?';
    const to = typeof event.detail.to === 'string' ? event.detail.to : '?';
    text = `${source}: circuit ${from.replace('_', '-')} → ${to.replace('_', '-')}`;
  }
  return (
    <li
      className="flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2.5 text-sm"
      data-testid="provider-event"
    >
      <span
        className={`rounded px-1.5 py-0.5 text-[11px] font-medium ${
          event.kind === 'fallback' ? 'bg-indigo-50 text-indigo-700' : 'bg-amber-50 text-amber-800'
        }`}
      >
        {event.kind}
      </span>
      <span className="font-mono text-xs text-slate-800">{text}</span>
      {event.errorClass ? <span className="text-xs text-rose-700">{event.errorClass}</span> : null}
      <span className="ml-auto flex items-center gap-3 text-xs text-slate-500">
        {event.executionId ? (
          <Link to={`/runs/${event.executionId}`} className="hover:text-indigo-600">
            run
          </Link>
        ) : null}
        <RelativeTime date={event.occurredAt} />
      </span>
    </li>
  );
}
