/**
 * One schedule in the panel's list: its cron in words, zone and version, next and last run, run
 * count and policies, pause/resume, and its actions — edit, history, delete.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { DeleteWithConfirm } from '../ui/dialog.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { formatInZone, type Schedule } from './schedule-form.ts';
import { ScheduleHistory } from './schedule-history.tsx';

export function ScheduleItem({ schedule, onEdit }: { schedule: Schedule; onEdit: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [showHistory, setShowHistory] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.schedules.pathKey() });
  const pause = useMutation(trpc.schedules.pause.mutationOptions({ onSuccess: refresh }));
  const resume = useMutation(trpc.schedules.resume.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.schedules.delete.mutationOptions({ onSuccess: refresh }));
  const toggleError = pause.error ?? resume.error;

  return (
    <li
      className="rounded-lg p-3 ring-1 ring-slate-200"
      data-testid="schedule-item"
      data-schedule-id={schedule.id}
      data-enabled={schedule.enabled}
    >
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="text-sm font-medium text-slate-900" data-testid="schedule-description">
            {schedule.description}
          </p>
          <p className="mt-0.5 text-xs text-slate-500">
            <code className="font-mono">{schedule.cron}</code> · {schedule.timezone}
            {schedule.versionTag ? (
              <>
                {' '}
                · version <span className="font-medium">{schedule.versionTag}</span>
              </>
            ) : (
              ' · draft'
            )}
          </p>
        </div>
        <label className="flex shrink-0 cursor-pointer items-center gap-1.5 text-xs text-slate-600">
          <input
            type="checkbox"
            className="size-4 rounded border-slate-300 text-indigo-600"
            checked={schedule.enabled}
            disabled={pause.isPending || resume.isPending}
            onChange={(e) =>
              e.target.checked ? resume.mutate({ id: schedule.id }) : pause.mutate({ id: schedule.id })
            }
            data-testid="schedule-enabled"
          />
          {schedule.enabled ? 'Active' : 'Paused'}
        </label>
      </div>
      <dl className="mt-2 grid grid-cols-2 gap-x-3 gap-y-1 text-xs">
        <dt className="text-slate-500">Next run</dt>
        <dd className="text-slate-800" data-testid="schedule-next">
          {schedule.nextFireAt ? (
            <>
              <span title={schedule.nextFireAt.toISOString()}>
                {formatInZone(schedule.nextFireAt, schedule.timezone)}
              </span>
              <span className="text-slate-400">
                {' '}
                · <RelativeTime date={schedule.nextFireAt} />
              </span>
            </>
          ) : (
            'paused'
          )}
        </dd>
        <dt className="text-slate-500">Last run</dt>
        <dd className="text-slate-800">
          {schedule.lastRun ? (
            <Link to={`/runs/${schedule.lastRun.id}`} className="text-indigo-600 hover:underline">
              <RelativeTime date={schedule.lastRun.createdAt} /> · {schedule.lastRun.status}
            </Link>
          ) : (
            'never'
          )}
        </dd>
        <dt className="text-slate-500">Runs</dt>
        <dd className="text-slate-800">{schedule.runCount}</dd>
        <dt className="text-slate-500">Policies</dt>
        <dd className="text-slate-800">
          overlap {schedule.overlap}, missed {schedule.missed}, {schedule.retryLimit} retries
        </dd>
      </dl>
      {toggleError ? (
        <p className="mt-2 text-xs text-rose-600" role="alert">
          {readApiError(toggleError).message}
        </p>
      ) : null}
      <div className="mt-2 flex gap-1">
        <Button size="sm" variant="ghost" onClick={onEdit} data-testid="edit-schedule">
          Edit
        </Button>
        <Button
          size="sm"
          variant="ghost"
          onClick={() => setShowHistory((v) => !v)}
          aria-expanded={showHistory}
          data-testid="schedule-history-toggle"
        >
          History
        </Button>
        <DeleteWithConfirm
          title="Delete this schedule?"
          message={`“${schedule.description}” stops firing and its history is removed. Runs it started stay.`}
          testId="delete-schedule"
          mutation={remove}
          onDelete={(done) => remove.mutate({ id: schedule.id }, { onSuccess: done })}
        />
      </div>
      {showHistory ? <ScheduleHistory schedule={schedule} /> : null}
    </li>
  );
}
