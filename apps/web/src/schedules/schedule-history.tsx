/**
 * A schedule's history: each occurrence with its outcome (skipped, missed and failed ones with the
 * reason) in the schedule's time zone, and links to the runs started ones led to.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { formatInZone, OUTCOME_STYLES, type Schedule, type ScheduleFire } from './schedule-form.ts';

export function ScheduleHistory({ schedule }: { schedule: Schedule }) {
  const trpc = useTRPC();
  const history = useQuery(trpc.schedules.history.queryOptions({ id: schedule.id, limit: 50 }));
  if (history.isPending) return <p className="mt-2 text-xs text-slate-500">Loading history…</p>;
  if (history.isError)
    return (
      <p className="mt-2 text-xs text-rose-600" role="alert">
        {readApiError(history.error).message}
      </p>
    );
  if (history.data.items.length === 0)
    return <p className="mt-2 text-xs text-slate-500">Nothing has fired yet.</p>;
  return (
    <ol className="mt-2 space-y-1.5 border-t border-slate-100 pt-2" data-testid="schedule-history">
      {history.data.items.map((fire) => (
        <FireItem key={fire.id} fire={fire} timezone={schedule.timezone} />
      ))}
    </ol>
  );
}

export function FireItem({ fire, timezone }: { fire: ScheduleFire; timezone: string }) {
  const style = OUTCOME_STYLES[fire.outcome];
  return (
    <li className="text-xs" data-testid="schedule-fire" data-outcome={fire.outcome}>
      <div className="flex items-center gap-2">
        <span className={`rounded-full px-1.5 py-0.5 text-[11px] font-medium ring-1 ${style.className}`}>
          {style.label}
        </span>
        <span className="text-slate-700" title={fire.fireAt.toISOString()}>
          {formatInZone(fire.fireAt, timezone)}
        </span>
      </div>
      {fire.reason ? <p className="mt-0.5 pl-1 text-slate-500">{fire.reason}</p> : null}
      {fire.runs.length > 0 ? (
        <p className="mt-0.5 flex flex-wrap gap-x-2 pl-1">
          {fire.runs.map((run) => (
            <Link
              key={run.id}
              to={`/runs/${run.id}`}
              className="text-indigo-600 hover:underline"
              data-testid="schedule-fire-run"
            >
              {fire.runs.length > 1 ? `attempt ${run.triggerAttempt}: ` : 'run: '}
              {run.status}
            </Link>
          ))}
        </p>
      ) : null}
    </li>
  );
}
