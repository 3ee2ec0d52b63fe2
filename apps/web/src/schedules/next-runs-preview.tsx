/**
 * The next five runs of a cron in a time zone, with their UTC offsets and DST shifts marked. They
 * come from the server (the same iterator the runners fire with), a moment after typing stops, and
 * only for a cron and zone that pass the local check (`valid`).
 */
import { useQuery } from '@tanstack/react-query';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { RelativeTime } from '../ui/relative-time.tsx';
import { useDebouncedValue } from '../use-debounced-value.ts';
import { formatInZone, formatUtcOffset } from './schedule-form.ts';

export function NextRunsPreview({
  cron,
  timezone,
  valid,
}: {
  cron: string;
  timezone: string;
  valid: boolean;
}) {
  const trpc = useTRPC();
  const previewArgs = useDebouncedValue({ cron: cron.trim(), timezone: timezone.trim() }, 300);
  const previewable = valid && previewArgs.cron === cron.trim() && previewArgs.timezone === timezone.trim();
  const preview = useQuery({
    ...trpc.schedules.preview.queryOptions({ ...previewArgs, count: 5 }),
    enabled: previewable,
    placeholderData: (previous) => previous,
  });

  // The list still shows the previous answer while the next one loads; dimmed and marked busy.
  const stale = !previewable || preview.isFetching || preview.isPlaceholderData;

  return (
    <div>
      <p className="mb-1.5 text-xs font-medium text-slate-600">Next 5 runs ({timezone.trim() || '—'})</p>
      {!valid ? (
        <p className="text-xs text-slate-400">Shown once the cron and time zone are valid.</p>
      ) : preview.isError ? (
        <p className="text-xs text-rose-600" role="alert">
          {readApiError(preview.error).issues[0]?.message ?? readApiError(preview.error).message}
        </p>
      ) : !preview.data ? (
        <p className="text-xs text-slate-400">Working out the next runs…</p>
      ) : (
        <ol
          className={`space-y-1 ${stale ? 'opacity-60' : ''}`}
          aria-busy={stale}
          data-testid="schedule-next-runs"
        >
          {preview.data.occurrences.map((occurrence) => (
            <li
              key={occurrence.at.toISOString()}
              className="flex flex-wrap items-center gap-x-2 text-xs"
              data-testid="schedule-next-run"
            >
              <span className="font-medium text-slate-800 tabular-nums">
                {formatInZone(occurrence.at, previewArgs.timezone)}
              </span>
              <span className="text-slate-400">{formatUtcOffset(occurrence.utcOffsetMinutes)}</span>
              <span className="text-slate-400">
                · <RelativeTime date={occurrence.at} />
              </span>
              {occurrence.dstGap ? (
                <span
                  className="rounded-full bg-amber-50 px-1.5 text-[11px] text-amber-800 ring-1 ring-amber-200"
                  title={`${occurrence.local} does not exist on this day (clocks spring forward): it runs at the next valid time.`}
                  data-testid="schedule-dst-shift"
                >
                  DST: moved from {occurrence.local.slice(11)}
                </span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
