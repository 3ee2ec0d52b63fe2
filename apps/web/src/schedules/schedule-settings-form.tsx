/**
 * The form to create or edit a schedule: presets, the cron with its meaning in words as you type,
 * the time zone, the next five runs, the overlap and missed-runs policies, retries, the version to
 * run and the input (a form from the workflow's input schema, or JSON). The draft and its checks
 * live in schedule-form.ts; this is how they are shown.
 */
import { CRON_PRESETS } from '@swarm/engine';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useMemo, useRef, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { describeSchema, exampleInput } from '../schema-form/json-schema.ts';
import { SchemaForm } from '../schema-form/schema-form.tsx';
import type { JsonSchema } from '../schemas/schema-text.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { FieldRow, inputClass } from '../ui/field.tsx';
import { useFocusFirstInvalid } from '../ui/focus-first-invalid.ts';
import { VersionTagOptions } from '../versions/version-tag-options.tsx';
import { ChoiceRow, NumberRow } from './form-rows.tsx';
import { NextRunsPreview } from './next-runs-preview.tsx';
import {
  checkCronText,
  draftFromSchedule,
  MISSED_POLICIES,
  newScheduleDraft,
  OVERLAP_POLICIES,
  type Schedule,
  type ScheduleDraft,
  scheduleInput,
  timeZoneOptions,
} from './schedule-form.ts';

export function ScheduleSettingsForm({
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
    schedule ? draftFromSchedule(schedule) : newScheduleDraft(exampleInput(inputSchema).value ?? {}),
  );
  const set = <K extends keyof ScheduleDraft>(key: K, value: ScheduleDraft[K]) =>
    setDraft((current) => ({ ...current, [key]: value }));
  const [submitted, setSubmitted] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const refused = useFocusFirstInvalid(formRef);

  const zones = useMemo(timeZoneOptions, []);

  const cronCheck = checkCronText(draft.cron);
  const local = scheduleInput(draft);
  const localErrors = local.ok ? {} : local.errors;

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
    if (saving) return;
    if (!local.ok || jsonError) {
      refused();
      return;
    }
    try {
      if (schedule) await update.mutateAsync({ id: schedule.id, ...local.value });
      else await create.mutateAsync({ workflowId, ...local.value });
    } catch {
      refused();
      return;
    }
    await refresh();
    onDone();
  };

  return (
    <form ref={formRef} onSubmit={submit} className="space-y-5" noValidate data-testid="schedule-form">
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

      <NextRunsPreview
        cron={draft.cron}
        timezone={draft.timezone}
        valid={cronCheck.ok && !localErrors.timezone}
      />

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
