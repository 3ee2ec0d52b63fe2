/**
 * The dashboard's time window: a preset (last 24 hours, 7/30/90 days) or a custom span of whole
 * days in the browser's time zone, kept in the URL (`?range=7d`, `?range=custom&from=…&to=…`) so a
 * view can be shared and survives a reload. Resolving it gives the instants the API is asked about
 * and the chart's bucket size.
 */

export const RANGE_PRESETS = [
  { id: '24h', label: '24 hours', hours: 24 },
  { id: '7d', label: '7 days', hours: 7 * 24 },
  { id: '30d', label: '30 days', hours: 30 * 24 },
  { id: '90d', label: '90 days', hours: 90 * 24 },
] as const;

export type RangePreset = (typeof RANGE_PRESETS)[number]['id'];
export type TrendInterval = 'hour' | 'day';

export type RangeSelection =
  | { kind: 'preset'; preset: RangePreset }
  | { kind: 'custom'; from: string; to: string }; // local calendar days, `YYYY-MM-DD`, both included

export interface ResolvedRange {
  from: Date;
  /** Exclusive end. */
  to: Date;
  /** The finest bucket that keeps the chart readable: hours up to three days, days beyond. */
  interval: TrendInterval;
}

export const DEFAULT_RANGE: RangeSelection = { kind: 'preset', preset: '30d' };

/** The API refuses longer ranges; saying so before asking gives the same answer sooner. */
export const MAX_RANGE_DAYS = 731;
const HOUR_MS = 3_600_000;
const HOURLY_UP_TO_MS = 72 * HOUR_MS;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `2026-03-05` → local midnight of that day, or null when it is not a real calendar day. */
export function parseLocalDay(text: string): Date | null {
  const match = DAY.exec(text);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(year, month - 1, day);
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return null;
  return date;
}

/** A local date as `YYYY-MM-DD` (what `<input type="date">` speaks). */
export function formatLocalDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local midnight after `date`'s day (23 or 25 hours later across a DST change). */
function nextLocalMidnight(date: Date): Date {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate() + 1);
}

export type RangeResult = { ok: true; range: ResolvedRange } | { ok: false; error: string };

const QUARTER_MS = 15 * 60_000;

/**
 * A preset's window, ending at the next 15-minute boundary after `now`: the API counts whole
 * 15-minute buckets and rounds `to` down, so ending at `now` itself would leave out the last few
 * minutes' spend.
 */
export function presetRange(id: RangePreset, now: Date): ResolvedRange {
  const preset = RANGE_PRESETS.find((p) => p.id === id) ?? RANGE_PRESETS[2];
  const to = new Date(Math.floor(now.getTime() / QUARTER_MS) * QUARTER_MS + QUARTER_MS);
  const from = new Date(to.getTime() - preset.hours * HOUR_MS);
  return { from, to, interval: intervalFor(from, to) };
}

export function resolveRange(selection: RangeSelection, now: Date): RangeResult {
  if (selection.kind === 'preset') return { ok: true, range: presetRange(selection.preset, now) };
  const from = parseLocalDay(selection.from);
  const lastDay = parseLocalDay(selection.to);
  if (!from) return { ok: false, error: 'Pick a start date' };
  if (!lastDay) return { ok: false, error: 'Pick an end date' };
  if (lastDay < from) return { ok: false, error: 'The end date is before the start date' };
  const to = nextLocalMidnight(lastDay);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 24 * HOUR_MS)
    return { ok: false, error: 'Pick a range of at most two years' };
  return { ok: true, range: { from, to, interval: intervalFor(from, to) } };
}

export function intervalFor(from: Date, to: Date): TrendInterval {
  return to.getTime() - from.getTime() <= HOURLY_UP_TO_MS ? 'hour' : 'day';
}

/** Reads the range from the URL; anything unrecognised falls back to the default. */
export function rangeFromSearch(params: URLSearchParams): RangeSelection {
  const range = params.get('range');
  if (range === 'custom')
    return { kind: 'custom', from: params.get('from') ?? '', to: params.get('to') ?? '' };
  const preset = RANGE_PRESETS.find((p) => p.id === range);
  return preset ? { kind: 'preset', preset: preset.id } : DEFAULT_RANGE;
}

/** Writes the range into a copy of the URL's parameters, leaving the others alone. */
export function rangeToSearch(selection: RangeSelection, params: URLSearchParams): URLSearchParams {
  const next = new URLSearchParams(params);
  next.delete('from');
  next.delete('to');
  if (selection.kind === 'preset') {
    next.set('range', selection.preset);
  } else {
    next.set('range', 'custom');
    next.set('from', selection.from);
    next.set('to', selection.to);
  }
  return next;
}

/** The browser's IANA time zone ("Europe/Berlin"), which "today" and "this week" are counted in. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A bucket's start as a chart label: "14:00" style for hours, "Mar 5" for days. */
export function formatBucket(start: Date, interval: TrendInterval, withDate = false): string {
  if (interval === 'day') return start.toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
  const time = start.toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit', hour12: false });
  return withDate ? `${start.toLocaleDateString('en-US', { month: 'short', day: 'numeric' })} ${time}` : time;
}
