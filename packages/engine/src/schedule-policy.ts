/**
 * The rules of scheduled runs, without a database: the policy vocabulary and its bounds, which
 * occurrences a firing processes (and how many of a long catch-up it records), which of them the
 * missed-runs policy fires, what the overlap policy makes of each, the retry backoff, and the
 * words history rows explain all that with. `@swarm/db` applies them inside its transactions.
 *
 * Times are always passed in (`now`, the database's clock in production), so the rules are
 * deterministic and tests drive a fake clock.
 */
import {
  assertTimeZone,
  type CronOccurrence,
  nextOccurrences,
  occurrencesBetween,
  parseCron,
  timeZoneOffsetMinutes,
} from './cron.ts';
import { DomainError } from './errors.ts';
import { invalidInput } from './validation.ts';

/** What to do when an occurrence comes while the schedule's previous run is still queued or running. */
export const SCHEDULE_OVERLAP_POLICIES = ['skip', 'queue-one', 'allow'] as const;
export type ScheduleOverlapPolicy = (typeof SCHEDULE_OVERLAP_POLICIES)[number];
/** What to do with occurrences that passed while no runner was up (found late by the scheduler). */
export const SCHEDULE_MISSED_POLICIES = ['none', 'latest', 'all'] as const;
export type ScheduleMissedPolicy = (typeof SCHEDULE_MISSED_POLICIES)[number];

/**
 * One history entry per occurrence, whatever became of it:
 * - `started`: a run was created (`executions.schedule_fire_id` points here; retries add runs);
 * - `queued`: overlap `queue-one` — held until the running one finishes, then `started`;
 * - `skipped`: overlap (`skip`, or `queue-one` with one already waiting);
 * - `missed`: passed while nothing ran, and the missed-runs policy did not start it;
 * - `failed`: could not start (the workflow or pinned tag is gone or invalid, input fails the schema).
 */
export const SCHEDULE_FIRE_OUTCOMES = ['started', 'queued', 'skipped', 'missed', 'failed'] as const;
export type ScheduleFireOutcome = (typeof SCHEDULE_FIRE_OUTCOMES)[number];

/** An occurrence found more than this after its time is late: the missed-runs policy decides. */
export const SCHEDULE_GRACE_MS = 60_000;
/** History rows one catch-up writes at most (the newest); older occurrences are counted, not written. */
export const MAX_FIRES_PER_CATCH_UP = 500;
/** Retries back off exponentially up to this. */
export const MAX_RETRY_DELAY_SECONDS = 3600;
/** Bounds of the policy numbers (the schedules table's check constraints). */
export const SCHEDULE_LIMITS = {
  missedWindowSeconds: { min: 60, max: 2_678_400 },
  retryLimit: { min: 0, max: 10 },
  retryDelaySeconds: { min: 1, max: 86_400 },
} as const;

// ---------------------------------------------------------------------------------------------
// Input checks and the next occurrence
// ---------------------------------------------------------------------------------------------

/** Throws `BAD_REQUEST` naming `cron` / `timezone` when either is not usable. */
export function checkCronAndTimeZone(cron: string, timezone: string): void {
  assertTimeZone(timezone, 'timezone');
  parseCron(cron, 'cron');
}

/** The policy settings of a schedule, as far as given (a create or a patch). */
export interface SchedulePolicyInput {
  overlap?: ScheduleOverlapPolicy | undefined;
  missed?: ScheduleMissedPolicy | undefined;
  missedWindowSeconds?: number | undefined;
  retryLimit?: number | undefined;
  retryDelaySeconds?: number | undefined;
}

/** Throws `BAD_REQUEST` naming every policy setting out of its bounds or not one of its choices. */
export function checkSchedulePolicy(settings: SchedulePolicyInput): void {
  const issues = [];
  for (const key of Object.keys(SCHEDULE_LIMITS) as Array<keyof typeof SCHEDULE_LIMITS>) {
    const value = settings[key];
    const { min, max } = SCHEDULE_LIMITS[key];
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max))
      issues.push({ path: key, message: `a whole number from ${min} to ${max}` });
  }
  if (settings.overlap !== undefined && !SCHEDULE_OVERLAP_POLICIES.includes(settings.overlap))
    issues.push({ path: 'overlap', message: `one of ${SCHEDULE_OVERLAP_POLICIES.join(', ')}` });
  if (settings.missed !== undefined && !SCHEDULE_MISSED_POLICIES.includes(settings.missed))
    issues.push({ path: 'missed', message: `one of ${SCHEDULE_MISSED_POLICIES.join(', ')}` });
  if (issues.length > 0) throw invalidInput(issues);
}

/** The first occurrence strictly after `after`, or null when the cron never fires again. */
export function nextFireAfter(cron: string, timezone: string, after: Date): Date | null {
  return nextOccurrences(cron, timezone, after, 1)[0]?.at ?? null;
}

// ---------------------------------------------------------------------------------------------
// The occurrences a firing processes
// ---------------------------------------------------------------------------------------------

/** The latest occurrence a firing pass processes: `now`, plus the look-ahead when arming. */
export const firingHorizon = (options: { now: Date; lookAheadMs?: number | undefined }): Date =>
  new Date(options.now.getTime() + Math.max(0, options.lookAheadMs ?? 0));

/** An instant as a wall-clock occurrence in `timezone` (for a `next_fire_at` that is not the cron's own). */
function occurrenceAt(at: Date, timezone: string): CronOccurrence {
  const utcOffsetMinutes = timeZoneOffsetMinutes(timezone, at);
  const local = new Date(at.getTime() + utcOffsetMinutes * 60_000).toISOString();
  return { at, local: `${local.slice(0, 10)} ${local.slice(11, 16)}`, utcOffsetMinutes };
}

/**
 * The occurrences from `due` (the stored next one, always fired: an operator or test may set it by
 * hand) up to `to`, the newest `MAX_FIRES_PER_CATCH_UP` of them, and how many older were left out.
 */
export function occurrencesToProcess(cron: string, timezone: string, due: Date, to: Date) {
  const schedule = parseCron(cron);
  const own = nextOccurrences(schedule, timezone, new Date(due.getTime() - 1), 1)[0];
  const kept: CronOccurrence[] = [own?.at.getTime() === due.getTime() ? own : occurrenceAt(due, timezone)];
  let dropped = 0;
  let droppedAtLeast = false;
  let cursor = due;
  let scanned = 0;
  for (;;) {
    const { occurrences, more } = occurrencesBetween(schedule, timezone, cursor, to, 1000);
    kept.push(...occurrences);
    if (kept.length > MAX_FIRES_PER_CATCH_UP)
      dropped += kept.splice(0, kept.length - MAX_FIRES_PER_CATCH_UP).length;
    scanned += occurrences.length;
    const last = occurrences.at(-1);
    if (!more || !last) break;
    cursor = last.at;
    // Months of a per-minute cron: stop counting one by one and jump to the last month (every
    // occurrence before it is beyond any missed-runs window and far beyond the rows kept).
    if (scanned >= 200_000) {
      const monthAgo = new Date(to.getTime() - SCHEDULE_LIMITS.missedWindowSeconds.max * 1000);
      if (monthAgo > cursor) {
        cursor = monthAgo;
        droppedAtLeast = true;
      }
    }
  }
  return { occurrences: kept, dropped, droppedAtLeast };
}

/** The occurrences a firing of a due schedule processes now: from its due one up to the horizon. */
export function dueOccurrences(
  schedule: { cron: string; timezone: string; nextFireAt: Date },
  options: { now: Date; lookAheadMs?: number | undefined },
) {
  const horizon = firingHorizon(options);
  const due = schedule.nextFireAt;
  return { horizon, due, ...occurrencesToProcess(schedule.cron, schedule.timezone, due, horizon) };
}

// ---------------------------------------------------------------------------------------------
// Missed runs and overlap
// ---------------------------------------------------------------------------------------------

/** `3 min`, `2 h 5 min`, `45 s`: how late an occurrence ran, for history reasons. */
export function formatLateness(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours < 48) return rest ? `${hours} h ${rest} min` : `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/** What the missed-runs policy made of one occurrence, and why (null: on time). */
export type OccurrencePlan = {
  occurrence: CronOccurrence;
  decision: 'fire' | 'missed';
  reason: string | null;
};

/** Applies the missed-runs policy: which occurrences fire and which are recorded as missed, and why. */
export function planOccurrences(
  schedule: { timezone: string; missed: ScheduleMissedPolicy; missedWindowSeconds: number },
  occurrences: CronOccurrence[],
  now: Date,
): OccurrencePlan[] {
  const lateness = (o: CronOccurrence) => now.getTime() - o.at.getTime();
  const isLate = (o: CronOccurrence) => lateness(o) > SCHEDULE_GRACE_MS;
  const inWindow = (o: CronOccurrence) => lateness(o) <= schedule.missedWindowSeconds * 1000;
  const when = (o: CronOccurrence) => `${o.local} ${schedule.timezone}`;
  const policy = `(missed runs: ${schedule.missed})`;
  const onTime = occurrences.filter((o) => !isLate(o));
  const lateInWindow = occurrences.filter((o) => isLate(o) && inWindow(o));
  const latestLate = onTime.length === 0 ? lateInWindow.at(-1) : undefined;
  return occurrences.map((occurrence): OccurrencePlan => {
    if (!isLate(occurrence)) return { occurrence, decision: 'fire', reason: null };
    const downtime = `no runner was running at ${when(occurrence)}`;
    if (schedule.missed === 'none')
      return { occurrence, decision: 'missed', reason: `${downtime} ${policy}` };
    if (!inWindow(occurrence))
      return {
        occurrence,
        decision: 'missed',
        reason: `${downtime}, older than the missed-runs window of ${formatLateness(schedule.missedWindowSeconds * 1000)} ${policy}`,
      };
    const late = `started ${formatLateness(lateness(occurrence))} late: ${downtime} ${policy}`;
    if (schedule.missed === 'all') return { occurrence, decision: 'fire', reason: late };
    if (occurrence === latestLate) return { occurrence, decision: 'fire', reason: late };
    const newer = latestLate ?? onTime[0];
    return {
      occurrence,
      decision: 'missed',
      reason: `${downtime}; only the latest occurrence${newer ? ` (${newer.local})` : ''} runs ${policy}`,
    };
  });
}

/**
 * Applies the overlap policy to one planned occurrence, given the schedule's runs still active
 * and whether an occurrence already waits (`queue-one`): the outcome to record and its reason.
 * `started` means "start its run" — the caller records `failed` instead when the run cannot start.
 */
export function overlapOutcome(
  plan: OccurrencePlan,
  overlap: ScheduleOverlapPolicy,
  state: { active: number; queued: boolean },
): { outcome: Exclude<ScheduleFireOutcome, 'failed'>; reason: string | null } {
  if (plan.decision === 'missed') return { outcome: 'missed', reason: plan.reason };
  if (state.active > 0 && overlap === 'skip')
    return { outcome: 'skipped', reason: 'previous run still running (overlap: skip)' };
  if (state.active > 0 && overlap === 'queue-one')
    return state.queued
      ? {
          outcome: 'skipped',
          reason: 'previous run still running and one occurrence already waiting (overlap: queue-one)',
        }
      : { outcome: 'queued', reason: 'waiting for the previous run to finish (overlap: queue-one)' };
  return { outcome: 'started', reason: plan.reason };
}

/** The reason of the first occurrence of a catch-up, saying how many before it were not recorded. */
export function withDroppedNote(reason: string, due: Date, dropped: number, atLeast: boolean): string {
  const count = atLeast ? `more than ${dropped}` : String(dropped);
  return `${reason}; ${count} earlier occurrences since ${due.toISOString()} were not recorded (at most ${MAX_FIRES_PER_CATCH_UP} per catch-up)`;
}

/** The reason of an occurrence given up after `claims` firings of it never committed. */
export function abandonedFiringReason(claims: number): string {
  const times = claims === 1 ? 'once' : `${claims} times`;
  return `not started: firing it stopped its runner (or lost its claim) ${times} before it could be recorded; given up so it is not tried forever`;
}

/** The message an occurrence that could not start records (a domain error's is for the owner). */
export function startFailure(error: unknown): string {
  return error instanceof DomainError
    ? `could not start: ${error.message}`
    : 'could not start: an internal error (details in the runner log)';
}

/** The reason of a `queued` occurrence started once the previous run finished. */
export function queuedStartReason(latenessMs: number): string {
  return `started after the previous run finished, ${formatLateness(latenessMs)} after its time (overlap: queue-one)`;
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

/** `retryDelaySeconds × 2^(attempt-1)`, at most an hour: the wait before retry number `attempt`. */
export function retryDelayMs(retryDelaySeconds: number, failedAttempt: number): number {
  const seconds = retryDelaySeconds * 2 ** Math.max(0, failedAttempt - 1);
  return Math.min(seconds, MAX_RETRY_DELAY_SECONDS) * 1000;
}

/** Whether a scheduled run that ended with `triggerAttempt` tries gets another under `retryLimit`. */
export const hasRetryLeft = (triggerAttempt: number, retryLimit: number): boolean =>
  triggerAttempt <= retryLimit;
