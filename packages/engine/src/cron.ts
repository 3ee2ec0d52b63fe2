/**
 * Cron schedules for workflow triggers: our own 5-field parser and an occurrence iterator that
 * works in wall-clock time of an IANA time zone (cronstrue only writes the human description).
 * We own the iterator because the DST behaviour is a product rule, not a library accident.
 *
 * Syntax: `minute hour day-of-month month day-of-week` — minute 0–59, hour 0–23, day-of-month
 * 1–31, month 1–12 or JAN–DEC, day-of-week 0–7 (0 and 7 are Sunday) or SUN–SAT; `*`, lists
 * `a,b`, ranges `a-b`, steps `*\/n`, `a-b/n` and `a/n` (= `a-max/n`); names in any case; macros
 * `@hourly @daily @midnight @weekly @monthly @yearly @annually`. Day matching is Vixie cron's:
 * when day-of-month and day-of-week are both restricted a day matches if EITHER matches; a field
 * counts as unrestricted when it starts with `*` (so `*\/2` in one of them means AND, as in Vixie
 * and cronie). Patterns that can never fire (`0 0 31 2 *`) are rejected when parsed.
 *
 * DST rule (the product's contract, docs/schedules.md): a schedule names wall-clock times in its zone.
 *  1. A wall time that does not exist (inside a spring-forward gap, e.g. 02:30 on the US
 *     spring-forward day in America/New_York) fires ONCE at the next valid instant — the moment
 *     the clock jumps (03:00 local = 07:00Z) — marked `shiftedBy: 'dst-gap'`. Several gap times
 *     and a real time at that instant collapse into one occurrence (deduplicated by instant; the
 *     earliest scheduled wall time is the one reported).
 *  2. A wall time that happens twice (fall-back, e.g. 01:30 on the US fall-back day) fires ONCE,
 *     at its first (earlier, daylight-time) instant. So `*\/30 * * * *` that night gives 01:00 EDT,
 *     01:30 EDT, then 02:00 EST — no second 01:00/01:30.
 * Instants come from `Intl.DateTimeFormat` offset look-ups (one cached formatter per zone). The
 * iterator walks matching days, then their hours and minutes — never minute by minute — and looks
 * offsets up a few times per day, plus a short binary search on days with a transition.
 */
import cronstrue from 'cronstrue';
import { DomainError } from './errors.ts';
import { invalidInput } from './validation.ts';

export type CronPresetId = 'hourly' | 'daily' | 'weekly' | 'monthly';

export const CRON_PRESETS: readonly { id: CronPresetId; label: string; cron: string }[] = [
  { id: 'hourly', label: 'Every hour', cron: '0 * * * *' },
  { id: 'daily', label: 'Every day at 09:00', cron: '0 9 * * *' },
  { id: 'weekly', label: 'Every Monday at 09:00', cron: '0 9 * * 1' },
  { id: 'monthly', label: 'On the 1st of every month at 09:00', cron: '0 9 1 * *' },
];

export const CRON_MAX_LENGTH = 200;

/** A parsed cron expression. Value lists are sorted and deduplicated; Sunday is always 0. */
export interface CronSchedule {
  /** What the user wrote (trimmed). */
  readonly source: string;
  /** The 5-field form, with macros expanded (`@daily` → `0 0 * * *`). */
  readonly expression: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[];
  /** `either` when both day fields are restricted (Vixie OR rule), otherwise `both`. */
  readonly dayMatch: 'either' | 'both';
}

export interface CronOccurrence {
  /** The instant it fires. */
  at: Date;
  /** The wall-clock time it was scheduled for in the zone, `YYYY-MM-DD HH:mm`. */
  local: string;
  /** The zone's offset from UTC at `at`, in minutes (Berlin in summer: 120). */
  utcOffsetMinutes: number;
  /** Set when the wall time does not exist (spring-forward gap) and it fires at the next valid instant. */
  shiftedBy?: 'dst-gap';
}

const MACROS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Index of names[0]. */
  namesFrom?: number;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 },
  { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, namesFrom: 0 },
];

/** A parse problem inside one field; turned into a path-named DomainError by `parseCron`. */
class CronSyntaxError extends Error {}

function readValue(token: string, field: FieldSpec): number {
  if (/^\d+$/.test(token)) {
    const value = Number(token);
    if (value < field.min || value > field.max) {
      throw new CronSyntaxError(`${field.name}: ${token} is outside ${field.min}–${field.max}`);
    }
    return value;
  }
  if (field.names && /^[a-z]+$/i.test(token)) {
    const index = field.names.indexOf(token.toUpperCase());
    if (index >= 0) return index + (field.namesFrom ?? 0);
    const first = field.names[0];
    const last = field.names[field.names.length - 1];
    throw new CronSyntaxError(
      `${field.name}: "${token}" is not a ${field.name === 'month' ? 'month' : 'day'} name (${first}–${last}) or a number ${field.min}–${field.max}`,
    );
  }
  throw new CronSyntaxError(`${field.name}: "${token}" is not a number ${field.min}–${field.max}`);
}

function parseField(text: string, field: FieldSpec): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new CronSyntaxError(`${field.name}: empty item in list "${text}"`);
    const slash = item.split('/');
    if (slash.length > 2) throw new CronSyntaxError(`${field.name}: "${item}" has more than one step`);
    const [base = '', stepText] = slash;
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) {
        throw new CronSyntaxError(`${field.name}: step "${stepText}" in "${item}" is not a number`);
      }
      step = Number(stepText);
      if (step === 0)
        throw new CronSyntaxError(`${field.name}: step 0 in "${item}" never advances (use 1 or more)`);
      const span = field.max - field.min + 1;
      if (step > span) {
        throw new CronSyntaxError(
          `${field.name}: step ${step} in "${item}" is larger than the whole range ${field.min}–${field.max}`,
        );
      }
    }
    let from: number;
    let to: number;
    if (base === '*') {
      from = field.min;
      to = field.max;
    } else if (base.includes('-')) {
      const parts = base.split('-');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        throw new CronSyntaxError(`${field.name}: "${base}" is not a range like a-b`);
      }
      from = readValue(parts[0] ?? '', field);
      to = readValue(parts[1] ?? '', field);
      if (from > to) {
        throw new CronSyntaxError(
          `${field.name}: range ${base} is reversed (the start must not exceed the end)`,
        );
      }
    } else if (base === '') {
      throw new CronSyntaxError(`${field.name}: "${item}" needs a value or * before the step`);
    } else {
      from = readValue(base, field);
      // `a/n` means a, a+n, … up to the end of the field (Vixie and cronie).
      to = stepText === undefined ? from : field.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function fail(path: string, message: string): never {
  throw invalidInput([{ path, message }]);
}

/** Parses a 5-field cron expression or macro; throws a BAD_REQUEST naming the field at `path`. */
export function parseCron(source: string, path = 'cron'): CronSchedule {
  if (typeof source !== 'string') fail(path, 'must be a cron expression string');
  if (source.length > CRON_MAX_LENGTH)
    fail(path, `too long (${source.length} characters, at most ${CRON_MAX_LENGTH})`);
  const trimmed = source.trim();
  let expression = trimmed;
  if (trimmed.startsWith('@')) {
    const expanded = MACROS[trimmed.toLowerCase()];
    if (!expanded) {
      fail(path, `unknown macro "${trimmed}" (use ${Object.keys(MACROS).join(', ')})`);
    }
    expression = expanded;
  }
  const texts = expression === '' ? [] : expression.split(/\s+/);
  if (texts.length !== 5) {
    fail(path, `expected 5 fields (minute hour day-of-month month day-of-week), got ${texts.length}`);
  }
  let lists: number[][];
  try {
    lists = FIELDS.map((field, index) => parseField(texts[index] ?? '', field));
  } catch (error) {
    if (error instanceof CronSyntaxError) fail(path, error.message);
    throw error;
  }
  const [minutes = [], hours = [], daysOfMonth = [], months = [], rawDaysOfWeek = []] = lists;
  const daysOfWeek = [...new Set(rawDaysOfWeek.map((day) => day % 7))].sort((a, b) => a - b);
  // Vixie decides "restricted" by the field's first character, so `*/2` still counts as `*`.
  const domStar = (texts[2] ?? '').startsWith('*');
  const dowStar = (texts[4] ?? '').startsWith('*');
  const schedule: CronSchedule = {
    source: trimmed,
    expression: texts.join(' '),
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    dayMatch: domStar || dowStar ? 'both' : 'either',
  };
  if (!firesSometime(schedule)) {
    const dow = schedule.dayMatch === 'both' && !dowStar ? ` on day-of-week ${texts[4]}` : '';
    fail(path, `never fires: no date has day-of-month ${texts[2]} in month ${texts[3]}${dow}`);
  }
  return schedule;
}

/** `null` when `source` is a valid cron expression, else the problem (`hour: 24 is outside 0–23`). */
export function checkCron(source: string): string | null {
  try {
    parseCron(source);
    return null;
  } catch (error) {
    if (error instanceof DomainError) return error.issues[0]?.message ?? error.message;
    throw error;
  }
}

/** A human description in 24-hour time: `At 09:00, only on Monday`. Throws like `parseCron`. */
export function describeCron(source: string): string {
  const schedule = parseCron(source);
  return cronstrue.toString(schedule.expression, {
    use24HourTimeFormat: true,
    throwExceptionOnParseError: true,
  });
}

// ---------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

// IANA names look like `UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`.
// Intl also accepts offsets (`+02:00`), which have no DST rules and are not zones: refused.
const TIME_ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** True for IANA time zone names the runtime knows (and `UTC`); false for offsets and unknowns. */
export function isValidTimeZone(timeZone: string): boolean {
  if (typeof timeZone !== 'string' || timeZone.length > 64 || !TIME_ZONE_SHAPE.test(timeZone)) return false;
  if (formatters.has(timeZone)) return true;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Throws a BAD_REQUEST at `path` unless `timeZone` is a known IANA name. */
export function assertTimeZone(timeZone: string, path = 'timezone'): void {
  if (!isValidTimeZone(timeZone)) {
    fail(path, `unknown time zone "${String(timeZone)}" (use an IANA name like Europe/Berlin)`);
  }
}

/** The runtime's spelling of a valid zone (`europe/berlin` → `Europe/Berlin`); throws like `assertTimeZone`. */
export function canonicalTimeZone(timeZone: string, path = 'timezone'): string {
  assertTimeZone(timeZone, path);
  return formatterFor(timeZone).resolvedOptions().timeZone;
}

interface WallParts {
  year: number;
  month: number;
  day: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Milliseconds since the epoch of a wall-clock time read as if it were UTC (any year ≥ 1). */
function wallMs(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  const date = new Date(Date.UTC(2000, month - 1, day, hour, minute, second));
  date.setUTCFullYear(year);
  return date.getTime();
}

function wallAt(timeZone: string, ms: number): WallParts & { hour: number; minute: number; second: number } {
  const out = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  let bc = false;
  for (const part of formatterFor(timeZone).formatToParts(ms)) {
    if (part.type === 'era') bc = part.value.startsWith('B');
    else if (part.type in out) out[part.type as keyof typeof out] = Number(part.value);
  }
  if (bc) out.year = 1 - out.year;
  return out;
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (whole seconds). */
function offsetAt(timeZone: string, ms: number): number {
  const seconds = Math.floor(ms / 1000) * 1000;
  const w = wallAt(timeZone, seconds);
  return wallMs(w.year, w.month, w.day, w.hour, w.minute, w.second) - seconds;
}

/** The zone's offset from UTC at `at`, in minutes (New York in winter: -300). */
export function timeZoneOffsetMinutes(timeZone: string, at: Date): number {
  assertTimeZone(timeZone);
  return Math.round(offsetAt(timeZone, at.getTime()) / MINUTE);
}

/** First whole second in (lo, hi] where `changed` holds, given it is false at lo and true at hi. */
function searchTransition(lo: number, hi: number, changed: (ms: number) => boolean): number {
  let low = Math.floor(lo / 1000);
  let high = Math.ceil(hi / 1000);
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (changed(mid * 1000)) high = mid;
    else low = mid;
  }
  return high * 1000;
}

interface Resolved {
  at: number;
  offset: number;
  gap: boolean;
}

/** Wall time → instant by the DST rule, for any day (the slow, general path). */
function resolveWall(timeZone: string, wall: number): Resolved {
  const before = offsetAt(timeZone, wall - DAY);
  const after = offsetAt(timeZone, wall + DAY);
  const candidates = new Set([
    before,
    after,
    offsetAt(timeZone, wall - before),
    offsetAt(timeZone, wall - after),
  ]);
  let best: Resolved | undefined;
  for (const offset of candidates) {
    const at = wall - offset;
    if (offsetAt(timeZone, at) === offset && (!best || at < best.at)) best = { at, offset, gap: false };
  }
  if (best) return best;
  // In a gap: the clock jumps over `wall`; fire when it lands (the first instant whose wall time is later).
  const offsets = [...candidates];
  const lo = wall - Math.max(...offsets);
  const hi = wall - Math.min(...offsets);
  const at = searchTransition(lo, hi, (ms) => ms + offsetAt(timeZone, ms) > wall);
  return { at, offset: offsetAt(timeZone, at), gap: true };
}

type DayOffsets =
  | { kind: 'constant'; offset: number }
  | { kind: 'transition'; before: number; after: number; at: number }
  | { kind: 'complex' };

/** How the offset behaves for all instants any wall time of the day starting at `dayStart` can map to. */
function dayOffsets(timeZone: string, dayStart: number): DayOffsets {
  // Offsets lie within −12h…+14h (a margin more for historical local mean times), so the day's
  // instants lie within [dayStart − 15h, dayEnd + 15h].
  const windowStart = dayStart - 16 * HOUR;
  const windowEnd = dayStart + DAY + 16 * HOUR;
  const before = offsetAt(timeZone, windowStart);
  const after = offsetAt(timeZone, windowEnd);
  const middle = offsetAt(timeZone, dayStart + 12 * HOUR - before);
  if (before === after && middle === before) return { kind: 'constant', offset: before };
  if (middle !== before && middle !== after) return { kind: 'complex' };
  const at = searchTransition(windowStart, windowEnd, (ms) => offsetAt(timeZone, ms) !== before);
  if (offsetAt(timeZone, at) !== after) return { kind: 'complex' };
  return { kind: 'transition', before, after, at };
}

function resolveOnDay(timeZone: string, day: DayOffsets, wall: number): Resolved {
  if (day.kind === 'constant') return { at: wall - day.offset, offset: day.offset, gap: false };
  if (day.kind === 'complex') return resolveWall(timeZone, wall);
  const early = wall - day.before; // valid while the old offset holds
  if (early < day.at) return { at: early, offset: day.before, gap: false };
  const late = wall - day.after;
  if (late >= day.at) return { at: late, offset: day.after, gap: false };
  return { at: day.at, offset: day.after, gap: true };
}

// ---------------------------------------------------------------------------------------------
// Occurrences

interface Tables {
  months: boolean[];
  daysOfMonth: boolean[];
  daysOfWeek: boolean[];
  either: boolean;
}

function tablesFor(schedule: CronSchedule): Tables {
  const table = (values: readonly number[], size: number) => {
    const out = new Array<boolean>(size).fill(false);
    for (const value of values) out[value] = true;
    return out;
  };
  return {
    months: table(schedule.months, 13),
    daysOfMonth: table(schedule.daysOfMonth, 32),
    daysOfWeek: table(schedule.daysOfWeek, 7),
    either: schedule.dayMatch === 'either',
  };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function dayMatches(tables: Tables, day: number, weekday: number): boolean {
  const dom = tables.daysOfMonth[day] === true;
  const dow = tables.daysOfWeek[weekday] === true;
  return tables.either ? dom || dow : dom && dow;
}

/** Matching calendar days from `start` (inclusive) to the end of `maxYear`. */
function* matchingDays(
  tables: Tables,
  start: WallParts,
  maxYear: number,
): Generator<WallParts & { dayStart: number }> {
  let { year, month, day } = start;
  while (year <= maxYear) {
    if (tables.months[month]) {
      const last = daysInMonth(year, month);
      let dayStart = wallMs(year, month, day);
      let weekday = new Date(dayStart).getUTCDay();
      for (; day <= last; day++, dayStart += DAY, weekday = (weekday + 1) % 7) {
        if (dayMatches(tables, day, weekday)) yield { year, month, day, dayStart };
      }
    }
    day = 1;
    month++;
    if (month > 12) {
      month = 1;
      year++;
    }
  }
}

// The Gregorian calendar repeats every 400 years, so a pattern with no day in 400 years has none ever.
function firesSometime(schedule: CronSchedule): boolean {
  const next = matchingDays(tablesFor(schedule), { year: 2001, month: 1, day: 1 }, 2400).next();
  return !next.done;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

/** Iterates occurrences strictly after `afterMs`, oldest first, while days start before `untilMs`. */
function* occurrencesAfter(
  schedule: CronSchedule,
  timeZone: string,
  afterMs: number,
  untilMs = Number.POSITIVE_INFINITY,
): Generator<CronOccurrence> {
  const tables = tablesFor(schedule);
  const here = wallAt(timeZone, afterMs);
  // Start a day early: a gap-shifted time of the previous local day can land after `afterMs`.
  const previous = new Date(wallMs(here.year, here.month, here.day) - DAY);
  const start = {
    year: previous.getUTCFullYear(),
    month: previous.getUTCMonth() + 1,
    day: previous.getUTCDate(),
  };
  let last = afterMs;
  for (const day of matchingDays(tables, start, 9999)) {
    if (day.dayStart - 15 * HOUR > untilMs) return;
    let offsets: DayOffsets | undefined;
    for (const hour of schedule.hours) {
      for (const minute of schedule.minutes) {
        const wall = day.dayStart + hour * HOUR + minute * MINUTE;
        if (wall + 15 * HOUR <= last) continue; // surely at or before `last`, whatever the offset
        offsets ??= dayOffsets(timeZone, day.dayStart);
        const resolved = resolveOnDay(timeZone, offsets, wall);
        // Wall → instant never goes backwards, so an instant not after the last one is a collapse.
        if (resolved.at <= last) continue;
        last = resolved.at;
        const occurrence: CronOccurrence = {
          at: new Date(resolved.at),
          local: `${pad(day.year, 4)}-${pad(day.month)}-${pad(day.day)} ${pad(hour)}:${pad(minute)}`,
          utcOffsetMinutes: Math.round(resolved.offset / MINUTE),
        };
        if (resolved.gap) occurrence.shiftedBy = 'dst-gap';
        yield occurrence;
      }
    }
  }
}

function checkArguments(
  schedule: CronSchedule | string,
  timeZone: string,
  dates: Record<string, Date>,
  counts: Record<string, number>,
): CronSchedule {
  const parsed = typeof schedule === 'string' ? parseCron(schedule) : schedule;
  assertTimeZone(timeZone);
  for (const [name, date] of Object.entries(dates)) {
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) fail(name, 'must be a valid date');
  }
  for (const [name, count] of Object.entries(counts)) {
    if (!Number.isInteger(count) || count < 0 || count > 100_000) fail(name, 'must be an integer 0–100000');
  }
  return parsed;
}

/** The next `count` occurrences strictly after `after` in `timeZone`, DST rule applied (module comment). */
export function nextOccurrences(
  schedule: CronSchedule | string,
  timeZone: string,
  after: Date,
  count: number,
): CronOccurrence[] {
  const parsed = checkArguments(schedule, timeZone, { after }, { count });
  const out: CronOccurrence[] = [];
  if (count === 0) return out;
  for (const occurrence of occurrencesAfter(parsed, timeZone, after.getTime())) {
    out.push(occurrence);
    if (out.length >= count) break;
  }
  return out;
}

/** Occurrences with `from < at <= to`, oldest first, at most `limit` (`more` when some were left out). */
export function occurrencesBetween(
  schedule: CronSchedule | string,
  timeZone: string,
  from: Date,
  to: Date,
  limit: number,
): { occurrences: CronOccurrence[]; more: boolean } {
  const parsed = checkArguments(schedule, timeZone, { from, to }, { limit });
  const occurrences: CronOccurrence[] = [];
  const toMs = to.getTime();
  for (const occurrence of occurrencesAfter(parsed, timeZone, from.getTime(), toMs)) {
    if (occurrence.at.getTime() > toMs) break;
    if (occurrences.length >= limit) return { occurrences, more: true };
    occurrences.push(occurrence);
  }
  return { occurrences, more: false };
}
