import { describe, expect, test } from 'vitest';
import {
  checkCronText,
  formatInZone,
  formatUtcOffset,
  newScheduleDraft,
  scheduleInput,
  timeZoneOptions,
} from './schedule-form.ts';

describe('checkCronText', () => {
  test('describes a valid cron in words', () => {
    const result = checkCronText('0 9 * * 1');
    expect(result).toEqual({ ok: true, description: expect.stringMatching(/09:00/) });
  });
  test('names what is wrong with an invalid one', () => {
    const result = checkCronText('0 24 * * *');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(/24/);
    expect(checkCronText('  ')).toEqual({ ok: false, message: 'required' });
    expect(checkCronText('* * *').ok).toBe(false);
  });
});

describe('scheduleInput', () => {
  test('turns the form into the API input (minutes → seconds, empty tag → draft)', () => {
    const draft = { ...newScheduleDraft({ q: 1 }, 'Europe/Berlin'), missedWindowMinutes: '90' };
    expect(scheduleInput(draft)).toEqual({
      ok: true,
      value: {
        cron: '0 9 * * 1-5',
        timezone: 'Europe/Berlin',
        enabled: true,
        overlap: 'skip',
        missed: 'latest',
        missedWindowSeconds: 5400,
        retryLimit: 2,
        retryDelaySeconds: 60,
        versionTag: null,
        input: { q: 1 },
      },
    });
  });
  test('refuses bad fields by name and sends nothing', () => {
    const draft = {
      ...newScheduleDraft({}, 'Mars/Olympus'),
      cron: '61 * * * *',
      retryLimit: '11',
      retryDelaySeconds: '1.5',
    };
    const result = scheduleInput(draft);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(Object.keys(result.errors).sort()).toEqual([
        'cron',
        'retryDelaySeconds',
        'retryLimit',
        'timezone',
      ]);
  });
});

describe('formatting', () => {
  test('UTC offsets', () => {
    expect(formatUtcOffset(120)).toBe('UTC+02:00');
    expect(formatUtcOffset(-210)).toBe('UTC−03:30');
    expect(formatUtcOffset(0)).toBe('UTC');
  });
  test('an instant as wall time in a zone', () => {
    expect(formatInZone(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toBe('Sun, 2026-03-08 03:00');
  });
  test('zone list starts with UTC and knows the big ones', () => {
    const zones = timeZoneOptions();
    expect(zones[0]).toBe('UTC');
    expect(zones).toContain('Europe/Berlin');
  });
});
