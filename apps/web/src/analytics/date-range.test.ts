import { describe, expect, test } from 'vitest';
import {
  formatLocalDay,
  intervalFor,
  parseLocalDay,
  rangeFromSearch,
  rangeToSearch,
  resolveRange,
} from './date-range.ts';

const now = new Date('2026-03-10T12:00:00Z');

describe('resolveRange', () => {
  test('presets end at the next quarter hour and reach back their length, hourly up to three days', () => {
    const day = resolveRange({ kind: 'preset', preset: '24h' }, now);
    expect(day).toEqual({
      ok: true,
      range: {
        from: new Date('2026-03-09T12:15:00Z'),
        to: new Date('2026-03-10T12:15:00Z'),
        interval: 'hour',
      },
    });
    const week = resolveRange({ kind: 'preset', preset: '7d' }, new Date('2026-03-10T12:07:30Z'));
    expect(week.ok && week.range.to).toEqual(new Date('2026-03-10T12:15:00Z'));
    expect(week.ok && week.range.from).toEqual(new Date('2026-03-03T12:15:00Z'));
    expect(week.ok && week.range.interval).toBe('day');
    const quarter = resolveRange({ kind: 'preset', preset: '90d' }, now);
    expect(quarter.ok && quarter.range.from).toEqual(new Date('2025-12-10T12:15:00Z'));
  });

  test('a custom range covers whole local days, both ends included', () => {
    const result = resolveRange({ kind: 'custom', from: '2026-03-01', to: '2026-03-02' }, now);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.range.from).toEqual(new Date(2026, 2, 1));
    expect(result.range.to).toEqual(new Date(2026, 2, 3));
    expect(result.range.interval).toBe('hour');
    const one = resolveRange({ kind: 'custom', from: '2026-03-01', to: '2026-03-01' }, now);
    expect(one.ok && one.range.to).toEqual(new Date(2026, 2, 2));
  });

  test('refuses a reversed range, missing or impossible dates, and more than two years', () => {
    expect(resolveRange({ kind: 'custom', from: '2026-03-05', to: '2026-03-01' }, now)).toEqual({
      ok: false,
      error: 'The end date is before the start date',
    });
    expect(resolveRange({ kind: 'custom', from: '', to: '2026-03-01' }, now)).toEqual({
      ok: false,
      error: 'Pick a start date',
    });
    expect(resolveRange({ kind: 'custom', from: '2026-02-01', to: '2026-02-30' }, now)).toEqual({
      ok: false,
      error: 'Pick an end date',
    });
    expect(resolveRange({ kind: 'custom', from: '2024-01-01', to: '2026-03-01' }, now)).toEqual({
      ok: false,
      error: 'Pick a range of at most two years',
    });
    expect(resolveRange({ kind: 'custom', from: '2024-03-02', to: '2026-03-01' }, now).ok).toBe(true);
  });
});

test('local days parse and print as YYYY-MM-DD and reject non-days', () => {
  expect(parseLocalDay('2026-02-28')).toEqual(new Date(2026, 1, 28));
  expect(parseLocalDay('2026-02-29')).toBeNull();
  expect(parseLocalDay('2026-2-1')).toBeNull();
  expect(formatLocalDay(new Date(2026, 0, 5, 23, 59))).toBe('2026-01-05');
});

test('interval: hours up to 72 hours, days beyond', () => {
  const from = new Date('2026-03-01T00:00:00Z');
  expect(intervalFor(from, new Date('2026-03-04T00:00:00Z'))).toBe('hour');
  expect(intervalFor(from, new Date('2026-03-04T00:00:01Z'))).toBe('day');
});

describe('the range in the URL', () => {
  test('round-trips presets and custom ranges, keeping other parameters', () => {
    const base = new URLSearchParams('workflow=abc');
    const custom = rangeToSearch({ kind: 'custom', from: '2026-01-01', to: '2026-01-31' }, base);
    expect(custom.toString()).toBe('workflow=abc&range=custom&from=2026-01-01&to=2026-01-31');
    expect(rangeFromSearch(custom)).toEqual({ kind: 'custom', from: '2026-01-01', to: '2026-01-31' });
    const preset = rangeToSearch({ kind: 'preset', preset: '7d' }, custom);
    expect(preset.toString()).toBe('workflow=abc&range=7d');
    expect(rangeFromSearch(preset)).toEqual({ kind: 'preset', preset: '7d' });
  });

  test('falls back to 30 days for anything it does not know', () => {
    expect(rangeFromSearch(new URLSearchParams('range=1y'))).toEqual({ kind: 'preset', preset: '30d' });
    expect(rangeFromSearch(new URLSearchParams())).toEqual({ kind: 'preset', preset: '30d' });
  });
});
