/**
 * The editor's schedule panel: a workflow's cron schedules with their next and last runs, pause and
 * resume, and their history (skipped, missed and failed occurrences with the reason; started ones
 * link to their runs); and the form to create or edit one — presets, the cron with its meaning in
 * words as you type, the next five runs in the chosen time zone (DST shifts marked), the overlap
 * and missed-runs policies, retries, the version to run and the input.
 */
import { CRON_PRESETS } from '@swarm/engine';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useId, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { describeSchema, initialValue } from '../schema-form/json-schema.ts';
import { SchemaForm } from '../schema-form/schema-form.tsx';
import type { JsonSchema } from '../schemas/schema-text.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { DeleteWithConfirm } from '../ui/dialog.tsx';
import { FieldRow, inputClass } from '../ui/field.tsx';
import { ItemListPanel } from '../ui/item-list-panel.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { useDebouncedValue } from '../use-debounced-value.ts';
import { VersionTagOptions } from '../versions/version-tag-options.tsx';
import {
  checkCronText,
  draftFromSchedule,
  formatInZone,
  formatUtcOffset,
  MISSED_POLICIES,
  newScheduleDraft,
  OUTCOME_STYLES,
  OVERLAP_POLICIES,
  type Schedule,
  type ScheduleDraft,
  type ScheduleFire,
  scheduleInput,
  timeZoneOptions,
} from './schedule-form.ts';

interface SchedulesPanelProps {
  workflowId: string;
  inputSchema: JsonSchema | undefined;
}

export function SchedulesPanel({ workflowId, inputSchema }: SchedulesPanelProps) {
  const trpc = useTRPC();
  // Next/last run and run counts move while the panel is open.
  const schedules = useQuery({
    ...trpc.schedules.list.queryOptions({ workflowId }),
    refetchInterval: 15_000,
  });
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);

  if (editing) {
    return (
      <ScheduleForm
        key={editing === 'new' ? 'new' : editing.id}
        workflowId={workflowId}
        schedule={editing === 'new' ? null : editing}
        inputSchema={inputSchema}
        onDone={() => setEditing(null)}
      />
    );
  }

  return (
    <ItemListPanel
      title="Schedules"
      newLabel="New schedule"
      onNew={() => setEditing('new')}
      query={schedules}
      loadingText="Loading schedules…"
      emptyText="No schedules. Add one to run this workflow on a cron, in a time zone of your choice."
      testIds={{
        panel: 'schedules-panel',
        create: 'new-schedule',
        empty: 'no-schedules',
        list: 'schedule-list',
      }}
    >
      {(items) =>
        items.map((schedule) => (
          <ScheduleItem key={schedule.id} schedule={schedule} onEdit={() => setEditing(schedule)} />
        ))
      }
    </ItemListPanel>
  );
}

function ScheduleItem({ schedule, onEdit }: { schedule: Schedule; onEdit: () => void }) {
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

function ScheduleHistory({ schedule }: { schedule: Schedule }) {
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

// ---------------------------------------------------------------------------------------------

function ScheduleForm({
  workflowId,
  schedule,
  inputSchema,
  onDone,
}: {
  workflowId: string;
  schedule: Schedule | null;
  inputSchema: JsonSchema | undefined;
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = {
    cron: useId(),
    timezone: useId(),
    tag: useId(),
    json: useId(),
    zones: useId(),
    tags: useId(),
  };
  const spec = useMemo(() => (inputSchema ? describeSchema(inputSchema) : null), [inputSchema]);
  const [draft, setDraft] = useState<ScheduleDraft>(() =>
    schedule ? draftFromSchedule(schedule) : newScheduleDraft((spec ? initialValue(spec) : undefined) ?? {}),
  );
  const set = <K extends keyof ScheduleDraft>(key: K, value: ScheduleDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const [submitted, setSubmitted] = useState(false);

  const zones = useMemo(timeZoneOptions, []);

  const cronCheck = checkCronText(draft.cron);
  const local = scheduleInput(draft);
  const localErrors = local.ok ? {} : local.errors;

  // The next runs come from the server (the same iterator the runners fire with), a moment after
  // typing stops, and only for a cron and zone that pass the local check.
  const previewArgs = useDebouncedValue({ cron: draft.cron.trim(), timezone: draft.timezone.trim() }, 300);
  const previewable =
    cronCheck.ok &&
    !localErrors.timezone &&
    previewArgs.cron === draft.cron.trim() &&
    previewArgs.timezone === draft.timezone.trim();
  const preview = useQuery({
    ...trpc.schedules.preview.queryOptions({ ...previewArgs, count: 5 }),
    enabled: previewable,
    placeholderData: (previous) => previous,
  });

  // The list still shows the previous answer while the next one loads; dimmed and marked busy.
  const stale = !previewable || preview.isFetching || preview.isPlaceholderData;

  const [asJson, setAsJson] = useState(spec === null || spec.kind === 'json');
  const [jsonText, setJsonText] = useState(() => JSON.stringify(draft.input ?? {}, null, 2));
  const [jsonError, setJsonError] = useState<string | null>(null);

  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.schedules.pathKey() });
  const create = useMutation(trpc.schedules.create.mutationOptions());
  const update = useMutation(trpc.schedules.update.mutationOptions());
  const saving = create.isPending || update.isPending;
  const saveError = create.error ?? update.error;
  const apiError = saveError ? readApiError(saveError) : null;
  const apiIssue = (field: string) => apiError?.issues.find((issue) => issue.path === field)?.message;
  const inputIssues = apiError?.issues.filter((i) => i.path === 'input' || /^input[.[]/.test(i.path)) ?? [];
  const shown = (field: string) => (submitted ? localErrors[field] : undefined) ?? apiIssue(field);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!local.ok || jsonError || saving) return;
    try {
      if (schedule) await update.mutateAsync({ id: schedule.id, ...local.value });
      else await create.mutateAsync({ workflowId, ...local.value });
    } catch {
      return;
    }
    await refresh();
    onDone();
  };

  return (
    <form onSubmit={submit} className="space-y-5" noValidate data-testid="schedule-form">
      <div className="flex items-center justify-between gap-2">
        <p className="text-sm font-semibold text-slate-900">{schedule ? 'Edit schedule' : 'New schedule'}</p>
        <Button size="sm" variant="ghost" onClick={onDone}>
          ← Schedules
        </Button>
      </div>

      <div>
        <p className="mb-1.5 text-xs font-medium text-slate-600">Presets</p>
        <div className="flex flex-wrap gap-1.5">
          {CRON_PRESETS.map((preset) => (
            <button
              key={preset.id}
              type="button"
              onClick={() => set('cron', preset.cron)}
              className={`rounded-full px-2.5 py-1 text-xs ring-1 ${
                draft.cron.trim() === preset.cron
                  ? 'bg-indigo-50 text-indigo-700 ring-indigo-300'
                  : 'text-slate-600 ring-slate-300 hover:bg-slate-50'
              }`}
              data-testid={`cron-preset-${preset.id}`}
            >
              {preset.label}
            </button>
          ))}
        </div>
      </div>

      <FieldRow
        label="Cron"
        htmlFor={ids.cron}
        error={shown('cron') ?? (cronCheck.ok ? undefined : cronCheck.message)}
      >
        <input
          id={ids.cron}
          value={draft.cron}
          onChange={(e) => set('cron', e.target.value)}
          spellCheck={false}
          placeholder="minute hour day-of-month month day-of-week"
          className={`${inputClass} font-mono`}
          aria-invalid={cronCheck.ok ? undefined : true}
          data-testid="schedule-cron"
        />
        {cronCheck.ok ? (
          <p className="mt-1.5 text-xs text-slate-700" data-testid="schedule-cron-description">
            {cronCheck.description}
          </p>
        ) : null}
      </FieldRow>

      <FieldRow label="Time zone" htmlFor={ids.timezone} error={localErrors.timezone ?? apiIssue('timezone')}>
        <input
          id={ids.timezone}
          list={ids.zones}
          value={draft.timezone}
          onChange={(e) => set('timezone', e.target.value)}
          spellCheck={false}
          className={inputClass}
          data-testid="schedule-timezone"
        />
        <datalist id={ids.zones}>
          {zones.map((zone) => (
            <option key={zone} value={zone} />
          ))}
        </datalist>
      </FieldRow>

      <div>
        <p className="mb-1.5 text-xs font-medium text-slate-600">
          Next 5 runs ({draft.timezone.trim() || '—'})
        </p>
        {!cronCheck.ok || localErrors.timezone ? (
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

      <ChoiceRow
        label="If the previous run is still going"
        value={draft.overlap}
        options={OVERLAP_POLICIES}
        onChange={(value) => set('overlap', value)}
        testId="schedule-overlap"
      />
      <ChoiceRow
        label="Runs missed while no runner was up"
        value={draft.missed}
        options={MISSED_POLICIES}
        onChange={(value) => set('missed', value)}
        testId="schedule-missed"
      >
        {draft.missed !== 'none' ? (
          <NumberRow
            label="Catch up within (minutes)"
            value={draft.missedWindowMinutes}
            onChange={(value) => set('missedWindowMinutes', value)}
            error={shown('missedWindowMinutes') ?? apiIssue('missedWindowSeconds')}
            testId="schedule-missed-window"
          />
        ) : null}
      </ChoiceRow>

      <div className="grid grid-cols-2 gap-3">
        <NumberRow
          label="Retries when a run fails"
          value={draft.retryLimit}
          onChange={(value) => set('retryLimit', value)}
          error={shown('retryLimit') ?? apiIssue('retryLimit')}
          testId="schedule-retry-limit"
        />
        <NumberRow
          label="First retry after (s)"
          value={draft.retryDelaySeconds}
          onChange={(value) => set('retryDelaySeconds', value)}
          error={shown('retryDelaySeconds') ?? apiIssue('retryDelaySeconds')}
          testId="schedule-retry-delay"
        />
      </div>

      <FieldRow label="Version" htmlFor={ids.tag} error={apiIssue('versionTag')}>
        <input
          id={ids.tag}
          list={ids.tags}
          value={draft.versionTag}
          onChange={(e) => set('versionTag', e.target.value)}
          placeholder="draft (or a version tag, e.g. production)"
          className={inputClass}
          data-testid="schedule-version-tag"
        />
        <VersionTagOptions id={ids.tags} workflowId={workflowId} />
        <p className="mt-1 text-xs text-slate-500">
          Empty runs the draft as saved at that moment; a tag runs the version it points to.
        </p>
      </FieldRow>

      <div>
        <div className="mb-1.5 flex items-center justify-between">
          <span className="text-sm font-medium text-slate-700">Input</span>
          {spec && spec.kind !== 'json' ? (
            <button
              type="button"
              className="text-xs text-indigo-600 hover:underline"
              onClick={() => {
                if (!asJson) setJsonText(JSON.stringify(draft.input ?? {}, null, 2));
                else if (jsonError) return;
                setAsJson(!asJson);
              }}
              data-testid="schedule-input-toggle-json"
            >
              {asJson ? 'Use the form' : 'Edit as JSON'}
            </button>
          ) : null}
        </div>
        {!asJson && spec ? (
          <SchemaForm
            spec={spec}
            value={draft.input}
            onChange={(value) => set('input', value)}
            path="input"
            issues={inputIssues}
            testIdPrefix="schedule-input"
            rootLabel="Input"
          />
        ) : (
          <>
            <textarea
              id={ids.json}
              aria-label="Input (JSON)"
              rows={5}
              spellCheck={false}
              className={`${inputClass} font-mono text-xs`}
              value={jsonText}
              onChange={(e) => {
                setJsonText(e.target.value);
                try {
                  set('input', JSON.parse(e.target.value));
                  setJsonError(null);
                } catch (error) {
                  setJsonError(error instanceof SyntaxError ? error.message : 'Invalid JSON');
                }
              }}
              data-testid="schedule-input-json"
            />
            {jsonError ? <p className="mt-1 text-xs text-rose-600">{jsonError}</p> : null}
            {inputIssues.map((issue) => (
              <p key={`${issue.path}:${issue.message}`} className="mt-1 text-xs text-rose-600">
                <span className="font-mono">{issue.path}</span>: {issue.message}
              </p>
            ))}
          </>
        )}
      </div>

      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input
          type="checkbox"
          className="size-4 rounded border-slate-300 text-indigo-600"
          checked={draft.enabled}
          onChange={(e) => set('enabled', e.target.checked)}
          data-testid="schedule-form-enabled"
        />
        Active (fires on schedule)
      </label>

      {apiError && apiError.issues.length === 0 ? (
        <p className="text-sm text-rose-600" role="alert" data-testid="schedule-save-error">
          {apiError.message}
        </p>
      ) : apiError ? (
        <ul
          className="list-disc space-y-0.5 pl-5 text-xs text-rose-600"
          role="alert"
          data-testid="schedule-save-error"
        >
          {apiError.issues.slice(0, 8).map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <span className="font-mono">{issue.path}</span>: {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
      <div className="flex justify-end gap-2">
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" disabled={saving} data-testid="schedule-submit">
          {saving ? 'Saving…' : schedule ? 'Save schedule' : 'Create schedule'}
        </Button>
      </div>
    </form>
  );
}

function ChoiceRow<T extends string>({
  label,
  value,
  options,
  onChange,
  testId,
  children,
}: {
  label: string;
  value: T;
  options: ReadonlyArray<{ value: T; label: string; hint: string }>;
  onChange: (value: T) => void;
  testId: string;
  children?: ReactNode;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1.5 block text-sm font-medium text-slate-700">
        {label}
      </label>
      <select
        id={id}
        className={inputClass}
        value={value}
        onChange={(e) => onChange(e.target.value as T)}
        data-testid={testId}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
      <p className="mt-1 text-xs text-slate-500">{options.find((o) => o.value === value)?.hint}</p>
      {children ? <div className="mt-2">{children}</div> : null}
    </div>
  );
}

function NumberRow({
  label,
  value,
  onChange,
  error,
  testId,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error: string | undefined;
  testId: string;
}) {
  const id = useId();
  return (
    <div>
      <label htmlFor={id} className="mb-1.5 block text-xs font-medium text-slate-600">
        {label}
      </label>
      <input
        id={id}
        inputMode="numeric"
        className={`${inputClass} ${error ? 'ring-rose-400!' : ''}`}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        data-testid={testId}
      />
      {error ? <p className="mt-1 text-xs text-rose-600">{error}</p> : null}
    </div>
  );
}
