/**
 * The schedule panel's rules, apart from React: the form's draft and how it becomes the API's
 * `schedules.create`/`update` input, the live cron check (the engine's own parser, so the words
 * and errors match the server's), the time zones offered, and how occurrences and history
 * outcomes are shown.
 */
import { checkCron, describeCron, isValidTimeZone } from '@swarm/engine';
import type { RouterInputs, RouterOutputs } from '../trpc.ts';

export type Schedule = RouterOutputs['schedules']['list']['items'][number];
export type ScheduleFire = RouterOutputs['schedules']['history']['items'][number];
export type OverlapPolicy = Schedule['overlap'];
export type MissedPolicy = Schedule['missed'];
export type FireOutcome = ScheduleFire['outcome'];

export const OVERLAP_POLICIES: ReadonlyArray<{ value: OverlapPolicy; label: string; hint: string }> = [
  {
    value: 'skip',
    label: 'Skip',
    hint: 'While a run of this schedule is still going, a new occurrence is skipped (and noted in the history).',
  },
  {
    value: 'queue-one',
    label: 'Queue one',
    hint: 'One occurrence waits for the running one to finish; more are skipped.',
  },
  { value: 'allow', label: 'Allow', hint: 'Every occurrence starts a run, even if others are still going.' },
];

export const MISSED_POLICIES: ReadonlyArray<{ value: MissedPolicy; label: string; hint: string }> = [
  {
    value: 'none',
    label: 'Skip missed runs',
    hint: 'Occurrences missed while no runner was up are noted as missed, not run.',
  },
  {
    value: 'latest',
    label: 'Run the latest',
    hint: 'After downtime, only the most recent missed occurrence within the window runs.',
  },
  { value: 'all', label: 'Run all', hint: 'After downtime, every missed occurrence within the window runs.' },
];

/** The form as typed: text fields stay text until submitted. */
export interface ScheduleDraft {
  cron: string;
  timezone: string;
  enabled: boolean;
  overlap: OverlapPolicy;
  missed: MissedPolicy;
  /** Minutes, as typed. */
  missedWindowMinutes: string;
  retryLimit: string;
  retryDelaySeconds: string;
  /** Empty: runs the draft. */
  versionTag: string;
  input: unknown;
}

/** The zone this browser is in (the default for new schedules). */
export function browserTimeZone(): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone && isValidTimeZone(zone) ? zone : 'UTC';
}

/** Every IANA zone the browser knows, with `UTC` first. */
export function timeZoneOptions(): string[] {
  const zones = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return ['UTC', ...zones.filter((zone) => zone !== 'UTC')];
}

export function newScheduleDraft(input: unknown, timezone = browserTimeZone()): ScheduleDraft {
  return {
    cron: '0 9 * * 1-5',
    timezone,
    enabled: true,
    overlap: 'skip',
    missed: 'latest',
    missedWindowMinutes: String(24 * 60),
    retryLimit: '2',
    retryDelaySeconds: '60',
    versionTag: '',
    input,
  };
}

export function draftFromSchedule(schedule: Schedule): ScheduleDraft {
  return {
    cron: schedule.cron,
    timezone: schedule.timezone,
    enabled: schedule.enabled,
    overlap: schedule.overlap,
    missed: schedule.missed,
    missedWindowMinutes: String(Math.round(schedule.missedWindowSeconds / 60)),
    retryLimit: String(schedule.retryLimit),
    retryDelaySeconds: String(schedule.retryDelaySeconds),
    versionTag: schedule.versionTag ?? '',
    input: schedule.input,
  };
}

export type CronCheck = { ok: true; description: string } | { ok: false; message: string };

/** The cron in words, or what is wrong with it (the engine's parser, as the server uses). */
export function checkCronText(cron: string): CronCheck {
  if (cron.trim() === '') return { ok: false, message: 'required' };
  const problem = checkCron(cron);
  if (problem) return { ok: false, message: problem };
  try {
    return { ok: true, description: describeCron(cron) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : 'not a cron expression' };
  }
}

type ScheduleSettingsInput = Omit<RouterInputs['schedules']['create'], 'workflowId'>;

/**
 * The API input for the form, or the problems by field (`missedWindowMinutes`, …). Ranges follow
 * the server's (retries 0–10, delay 1 s–1 day, window 1 minute–31 days).
 */
export function scheduleInput(
  draft: ScheduleDraft,
): { ok: true; value: ScheduleSettingsInput } | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const cron = checkCronText(draft.cron);
  if (!cron.ok) errors.cron = cron.message;
  if (!isValidTimeZone(draft.timezone.trim()))
    errors.timezone = `unknown time zone "${draft.timezone.trim()}" (use an IANA name like Europe/Berlin)`;
  const whole = (field: keyof ScheduleDraft, text: string, min: number, max: number, unit: string) => {
    const value = Number(text.trim());
    if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
      errors[field] = `a whole number of ${unit} from ${min} to ${max}`;
      return min;
    }
    return value;
  };
  const windowMinutes = whole('missedWindowMinutes', draft.missedWindowMinutes, 1, 44_640, 'minutes');
  const retryLimit = whole('retryLimit', draft.retryLimit, 0, 10, 'retries');
  const retryDelaySeconds = whole('retryDelaySeconds', draft.retryDelaySeconds, 1, 86_400, 'seconds');
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    value: {
      cron: draft.cron.trim(),
      timezone: draft.timezone.trim(),
      enabled: draft.enabled,
      overlap: draft.overlap,
      missed: draft.missed,
      missedWindowSeconds: windowMinutes * 60,
      retryLimit,
      retryDelaySeconds,
      versionTag: draft.versionTag.trim() || null,
      input: draft.input ?? {},
    },
  };
}

/** `UTC+02:00`, `UTC−03:30`, `UTC` for a zone's offset in minutes. */
export function formatUtcOffset(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const sign = minutes > 0 ? '+' : '−';
  const abs = Math.abs(minutes);
  const hours = String(Math.floor(abs / 60)).padStart(2, '0');
  const rest = String(abs % 60).padStart(2, '0');
  return `UTC${sign}${hours}:${rest}`;
}

/** An instant as wall-clock time in a zone: `Mon, 2026-03-09 09:00`. */
export function formatInZone(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('weekday')}, ${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

export const OUTCOME_STYLES: Record<FireOutcome, { label: string; className: string }> = {
  started: { label: 'Started', className: 'bg-emerald-50 text-emerald-700 ring-emerald-200' },
  queued: { label: 'Queued', className: 'bg-sky-50 text-sky-700 ring-sky-200' },
  skipped: { label: 'Skipped', className: 'bg-amber-50 text-amber-800 ring-amber-200' },
  missed: { label: 'Missed', className: 'bg-slate-100 text-slate-700 ring-slate-300' },
  failed: { label: 'Failed', className: 'bg-rose-50 text-rose-700 ring-rose-200' },
};
