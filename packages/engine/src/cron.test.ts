import { describe, expect, it } from 'vitest';
import {
  assertTimeZone,
  CRON_PRESETS,
  type CronOccurrence,
  canonicalTimeZone,
  checkCron,
  describeCron,
  isValidTimeZone,
  nextOccurrences,
  occurrencesBetween,
  parseCron,
  timeZoneOffsetMinutes,
} from './cron.ts';
import { DomainError } from './errors.ts';

// Every expected instant below is a known answer worked out by hand from the calendar and the
// zone's published rules, never computed by the code under test.

const instants = (occurrences: CronOccurrence[]) => occurrences.map((o) => o.at.toISOString());
const next = (cron: string, zone: string, after: string, count: number) =>
  nextOccurrences(cron, zone, new Date(after), count);

function errorOf(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('parseCron', () => {
  it('reads *, lists, ranges and every kind of step', () => {
    const schedule = parseCron('5/20 10-20/5 1,15,20-22 */4 1-5');
    expect(schedule.minutes).toEqual([5, 25, 45]);
    expect(schedule.hours).toEqual([10, 15, 20]);
    expect(schedule.daysOfMonth).toEqual([1, 15, 20, 21, 22]);
    expect(schedule.months).toEqual([1, 5, 9]);
    expect(schedule.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron('*/15 * * * *').minutes).toEqual([0, 15, 30, 45]);
    expect(parseCron('* * * * *').minutes).toHaveLength(60);
    expect(parseCron('0 0-23/6 * * *').hours).toEqual([0, 6, 12, 18]);
    expect(parseCron('0 0 * * *').source).toBe('0 0 * * *');
  });

  it('accepts month and weekday names in any case, and 7 as Sunday', () => {
    const schedule = parseCron('0 9 * jan,Jul-SEP mon-fri');
    expect(schedule.months).toEqual([1, 7, 8, 9]);
    expect(schedule.daysOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron('0 0 * * 7').daysOfWeek).toEqual([0]);
    expect(parseCron('0 0 * * 5-7').daysOfWeek).toEqual([0, 5, 6]);
    expect(parseCron('0 0 * * SUN,sat').daysOfWeek).toEqual([0, 6]);
    expect(parseCron('0 0 * DEC *').months).toEqual([12]);
  });

  it('expands macros, case-insensitively, and tolerates extra whitespace', () => {
    expect(parseCron('@hourly').expression).toBe('0 * * * *');
    expect(parseCron('@daily').expression).toBe('0 0 * * *');
    expect(parseCron('@midnight').expression).toBe('0 0 * * *');
    expect(parseCron('@WEEKLY').expression).toBe('0 0 * * 0');
    expect(parseCron('@monthly').expression).toBe('0 0 1 * *');
    expect(parseCron('@yearly').expression).toBe('0 0 1 1 *');
    expect(parseCron('@annually').expression).toBe('0 0 1 1 *');
    expect(parseCron('@daily').source).toBe('@daily');
    expect(parseCron('  0   9 *\t* 1 ').expression).toBe('0 9 * * 1');
  });

  it('marks the Vixie day rule: OR only when both day fields are restricted', () => {
    expect(parseCron('0 0 13 * 5').dayMatch).toBe('either');
    expect(parseCron('0 0 13 * *').dayMatch).toBe('both');
    expect(parseCron('0 0 * * 5').dayMatch).toBe('both');
    // A field starting with * counts as unrestricted, as in Vixie cron and cronie.
    expect(parseCron('0 0 */10 * 1').dayMatch).toBe('both');
  });

  it.each([
    ['', 'expected 5 fields (minute hour day-of-month month day-of-week), got 0'],
    ['0 9 * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 4'],
    ['0 0 9 * * *', 'expected 5 fields (minute hour day-of-month month day-of-week), got 6'],
    ['60 * * * *', 'minute: 60 is outside 0–59'],
    ['0 24 * * *', 'hour: 24 is outside 0–23'],
    ['0 0 0 * *', 'day-of-month: 0 is outside 1–31'],
    ['0 0 32 * *', 'day-of-month: 32 is outside 1–31'],
    ['0 0 * 13 *', 'month: 13 is outside 1–12'],
    ['0 0 * 0 *', 'month: 0 is outside 1–12'],
    ['0 0 * * 8', 'day-of-week: 8 is outside 0–7'],
    ['30-10 * * * *', 'minute: range 30-10 is reversed (the start must not exceed the end)'],
    ['0 0 * * FRI-MON', 'day-of-week: range FRI-MON is reversed (the start must not exceed the end)'],
    ['*/0 * * * *', 'minute: step 0 in "*/0" never advances (use 1 or more)'],
    ['0 */25 * * *', 'hour: step 25 in "*/25" is larger than the whole range 0–23'],
    ['0 0 * * 1/x', 'day-of-week: step "x" in "1/x" is not a number'],
    ['abc * * * *', 'minute: "abc" is not a number 0–59'],
    ['0 -1 * * *', 'hour: "-1" is not a range like a-b'],
    ['0 0 L * *', 'day-of-month: "L" is not a number 1–31'],
    ['0 0 * * 5#3', 'day-of-week: "5#3" is not a number 0–7'],
    ['0 0 ? * *', 'day-of-month: "?" is not a number 1–31'],
    ['0 0 * FOO *', 'month: "FOO" is not a month name (JAN–DEC) or a number 1–12'],
    ['0 0 * * MONDAY', 'day-of-week: "MONDAY" is not a day name (SUN–SAT) or a number 0–7'],
    ['0 0 * * JAN', 'day-of-week: "JAN" is not a day name (SUN–SAT) or a number 0–7'],
    ['0 MON * * *', 'hour: "MON" is not a number 0–23'],
    ['1,,2 * * * *', 'minute: empty item in list "1,,2"'],
    ['1/2/3 * * * *', 'minute: "1/2/3" has more than one step'],
    ['/5 * * * *', 'minute: "/5" needs a value or * before the step'],
    [
      '@reboot',
      'unknown macro "@reboot" (use @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually)',
    ],
    ['0 0 31 2 *', 'never fires: no date has day-of-month 31 in month 2'],
    ['0 0 30,31 FEB *', 'never fires: no date has day-of-month 30,31 in month FEB'],
    ['0 0 31 4,6,9,11 *', 'never fires: no date has day-of-month 31 in month 4,6,9,11'],
  ])('rejects %j: %s', (source, message) => {
    expect(checkCron(source)).toBe(message);
    const error = errorOf(() => parseCron(source));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.issues).toEqual([{ path: 'cron', message }]);
    expect(error.message).toBe(`cron: ${message}`);
  });

  it('rejects over-long input and puts the problem at the given path', () => {
    const long = `0 0 * * ${'1,'.repeat(100)}1`;
    expect(long.length).toBeGreaterThan(200);
    expect(checkCron(long)).toBe(`too long (${long.length} characters, at most 200)`);
    const error = errorOf(() => parseCron('0 25 * * *', 'schedules[2].cron'));
    expect(error.issues).toEqual([{ path: 'schedules[2].cron', message: 'hour: 25 is outside 0–23' }]);
  });

  it('keeps patterns that fire rarely but do fire', () => {
    expect(checkCron('0 0 29 2 *')).toBeNull();
    expect(checkCron('0 0 31 2,3 *')).toBeNull();
    // Vixie OR: day 31 of February never exists, but Mondays in February do.
    expect(checkCron('0 0 31 2 1')).toBeNull();
    expect(checkCron('59 23 31 DEC *')).toBeNull();
  });
});

describe('presets and descriptions', () => {
  it('offers the four presets, each valid', () => {
    expect(CRON_PRESETS.map((p) => [p.id, p.cron])).toEqual([
      ['hourly', '0 * * * *'],
      ['daily', '0 9 * * *'],
      ['weekly', '0 9 * * 1'],
      ['monthly', '0 9 1 * *'],
    ]);
    for (const preset of CRON_PRESETS) {
      expect(checkCron(preset.cron)).toBeNull();
      expect(preset.label).not.toBe('');
    }
  });

  it('describes expressions in 24-hour time', () => {
    expect(describeCron('0 9 * * 1')).toBe('At 09:00, only on Monday');
    expect(describeCron('0 * * * *')).toBe('Every hour');
    expect(describeCron('30 14 * * *')).toBe('At 14:30');
    expect(describeCron('0 9 1 * *')).toBe('At 09:00, on day 1 of the month');
    expect(describeCron('*/15 2 * * *')).toBe('Every 15 minutes, between 02:00 and 02:59');
    expect(describeCron('@weekly')).toBe('At 00:00, only on Sunday');
    expect(describeCron('0 9 * jan-mar mon-fri')).toBe(
      'At 09:00, Monday through Friday, January through March',
    );
  });

  it('refuses to describe an invalid expression', () => {
    expect(errorOf(() => describeCron('0 24 * * *')).issues[0]?.message).toBe('hour: 24 is outside 0–23');
  });
});

describe('time zones', () => {
  it('accepts IANA names and UTC', () => {
    for (const zone of [
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'America/Argentina/Buenos_Aires',
      'Etc/GMT+5',
    ]) {
      expect(isValidTimeZone(zone), zone).toBe(true);
    }
  });

  it('refuses empty, unknown and offset zones', () => {
    for (const zone of [
      '',
      'Mars/Base',
      '+02:00',
      '-05:00',
      'Europe/Berlin ',
      'Europe/../Berlin',
      'x'.repeat(65),
    ]) {
      expect(isValidTimeZone(zone), zone).toBe(false);
    }
    const error = errorOf(() => assertTimeZone('Mars/Base'));
    expect(error.issues).toEqual([
      { path: 'timezone', message: 'unknown time zone "Mars/Base" (use an IANA name like Europe/Berlin)' },
    ]);
    expect(errorOf(() => assertTimeZone('+02:00', 'schedule.timezone')).issues[0]?.path).toBe(
      'schedule.timezone',
    );
    expect(() => assertTimeZone('Asia/Kolkata')).not.toThrow();
  });

  it('spells a zone the way the runtime does', () => {
    expect(canonicalTimeZone('europe/berlin')).toBe('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).toBe('UTC');
    expect(errorOf(() => canonicalTimeZone('Mars/Base', 'tz')).issues[0]?.path).toBe('tz');
  });

  it('refuses a bad zone or date when listing occurrences', () => {
    expect(errorOf(() => next('0 9 * * *', 'Mars/Base', '2026-01-01T00:00:00Z', 1)).issues[0]?.path).toBe(
      'timezone',
    );
    expect(errorOf(() => next('0 9 * * *', 'UTC', 'not a date', 1)).issues[0]?.path).toBe('after');
    expect(errorOf(() => next('0 24 * * *', 'UTC', '2026-01-01T00:00:00Z', 1)).issues[0]?.path).toBe('cron');
  });
});

describe('nextOccurrences in UTC', () => {
  it('lists daily, weekly and monthly times strictly after the given instant', () => {
    expect(instants(next('0 9 * * *', 'UTC', '2026-01-01T10:00:00Z', 3))).toEqual([
      '2026-01-02T09:00:00.000Z',
      '2026-01-03T09:00:00.000Z',
      '2026-01-04T09:00:00.000Z',
    ]);
    // Strictly after: an occurrence exactly at `after` is not repeated.
    expect(instants(next('0 9 * * *', 'UTC', '2026-01-02T09:00:00Z', 1))).toEqual([
      '2026-01-03T09:00:00.000Z',
    ]);
    // 2026-11-26 is a Thursday.
    expect(instants(next('0 9 * * 1', 'UTC', '2026-11-26T00:00:00Z', 2))).toEqual([
      '2026-11-30T09:00:00.000Z',
      '2026-12-07T09:00:00.000Z',
    ]);
    expect(instants(next('0 9 1 * *', 'UTC', '2026-11-26T00:00:00Z', 3))).toEqual([
      '2026-12-01T09:00:00.000Z',
      '2027-01-01T09:00:00.000Z',
      '2027-02-01T09:00:00.000Z',
    ]);
    expect(instants(next('*/20 * * * *', 'UTC', '2026-12-31T23:30:00Z', 3))).toEqual([
      '2026-12-31T23:40:00.000Z',
      '2027-01-01T00:00:00.000Z',
      '2027-01-01T00:20:00.000Z',
    ]);
  });

  it('reports the wall time and offset of each occurrence', () => {
    expect(next('5 9 * * *', 'UTC', '2026-01-01T00:00:00Z', 1)).toEqual([
      { at: new Date('2026-01-01T09:05:00Z'), local: '2026-01-01 09:05', utcOffsetMinutes: 0 },
    ]);
  });

  it('uses month and weekday names', () => {
    // Sundays of January and July 2027 (1 January 2027 is a Friday, 1 July a Thursday).
    expect(instants(next('0 12 * JAN,jul sun', 'UTC', '2026-12-01T00:00:00Z', 6))).toEqual([
      '2027-01-03T12:00:00.000Z',
      '2027-01-10T12:00:00.000Z',
      '2027-01-17T12:00:00.000Z',
      '2027-01-24T12:00:00.000Z',
      '2027-01-31T12:00:00.000Z',
      '2027-07-04T12:00:00.000Z',
    ]);
    // Friday 2026-11-27 → the next weekdays.
    expect(instants(next('0 9 * * mon-fri', 'UTC', '2026-11-27T10:00:00Z', 2))).toEqual([
      '2026-11-30T09:00:00.000Z',
      '2026-12-01T09:00:00.000Z',
    ]);
    expect(instants(next('0 0 * * 7', 'UTC', '2026-11-26T00:00:00Z', 1))).toEqual([
      '2026-11-29T00:00:00.000Z',
    ]);
  });

  it('matches day-of-month OR day-of-week when both are restricted', () => {
    // The 13th or any Friday: Fridays in Nov/Dec 2026 are 6, 13, 20, 27 and 4, 11, 18; 13 Dec is a Sunday.
    expect(instants(next('0 0 13 * 5', 'UTC', '2026-11-01T00:00:00Z', 8))).toEqual([
      '2026-11-06T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
      '2026-11-20T00:00:00.000Z',
      '2026-11-27T00:00:00.000Z',
      '2026-12-04T00:00:00.000Z',
      '2026-12-11T00:00:00.000Z',
      '2026-12-13T00:00:00.000Z',
      '2026-12-18T00:00:00.000Z',
    ]);
    // `*/10` counts as unrestricted → AND: days 1, 11, 21, 31 that are Mondays; the first is 21 Dec 2026.
    expect(instants(next('0 0 */10 * 1', 'UTC', '2026-11-01T00:00:00Z', 1))).toEqual([
      '2026-12-21T00:00:00.000Z',
    ]);
  });

  it('finds 29 February every leap year, skipping 2100', () => {
    expect(instants(next('0 0 29 2 *', 'UTC', '2026-01-01T00:00:00Z', 3))).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
      '2036-02-29T00:00:00.000Z',
    ]);
    expect(instants(next('0 0 29 2 *', 'UTC', '2097-01-01T00:00:00Z', 1))).toEqual([
      '2104-02-29T00:00:00.000Z',
    ]);
  });

  it('lists a yearly schedule', () => {
    expect(instants(next('@yearly', 'UTC', '2026-06-01T00:00:00Z', 2))).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2028-01-01T00:00:00.000Z',
    ]);
  });
});

describe('DST in America/New_York', () => {
  it('fires a time inside the spring-forward gap once, when the clock jumps', () => {
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z); 02:30 does not exist that day.
    expect(next('30 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z', 3)).toEqual([
      { at: new Date('2026-03-07T07:30:00Z'), local: '2026-03-07 02:30', utcOffsetMinutes: -300 },
      {
        at: new Date('2026-03-08T07:00:00Z'),
        local: '2026-03-08 02:30',
        utcOffsetMinutes: -240,
        shiftedBy: 'dst-gap',
      },
      { at: new Date('2026-03-09T06:30:00Z'), local: '2026-03-09 02:30', utcOffsetMinutes: -240 },
    ]);
  });

  it('collapses every gap time, and a real time at the jump, into one occurrence', () => {
    const gapDay = next('*/15 2 * * *', 'America/New_York', '2026-03-08T00:00:00Z', 2);
    expect(gapDay).toEqual([
      {
        at: new Date('2026-03-08T07:00:00Z'),
        local: '2026-03-08 02:00',
        utcOffsetMinutes: -240,
        shiftedBy: 'dst-gap',
      },
      { at: new Date('2026-03-09T06:00:00Z'), local: '2026-03-09 02:00', utcOffsetMinutes: -240 },
    ]);
    expect(instants(next('0,30 2,3 * * *', 'America/New_York', '2026-03-08T00:00:00Z', 3))).toEqual([
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T07:30:00.000Z',
      '2026-03-09T06:00:00.000Z',
    ]);
    // Starting just before the jump still finds it; starting at it does not repeat it.
    expect(instants(next('30 2 * * *', 'America/New_York', '2026-03-08T06:59:00Z', 1))).toEqual([
      '2026-03-08T07:00:00.000Z',
    ]);
    expect(instants(next('30 2 * * *', 'America/New_York', '2026-03-08T07:00:00Z', 1))).toEqual([
      '2026-03-09T06:30:00.000Z',
    ]);
  });

  it('fires a repeated fall-back time once, at its first (daylight) instant', () => {
    // 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z); 01:30 happens at 05:30Z and 06:30Z.
    expect(next('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 2)).toEqual([
      { at: new Date('2026-11-01T05:30:00Z'), local: '2026-11-01 01:30', utcOffsetMinutes: -240 },
      { at: new Date('2026-11-02T06:30:00Z'), local: '2026-11-02 01:30', utcOffsetMinutes: -300 },
    ]);
  });

  it('runs */30 through the fall-back night without repeating 01:00 and 01:30', () => {
    expect(next('*/30 * * * *', 'America/New_York', '2026-11-01T04:00:00Z', 6)).toEqual([
      { at: new Date('2026-11-01T04:30:00Z'), local: '2026-11-01 00:30', utcOffsetMinutes: -240 },
      { at: new Date('2026-11-01T05:00:00Z'), local: '2026-11-01 01:00', utcOffsetMinutes: -240 },
      { at: new Date('2026-11-01T05:30:00Z'), local: '2026-11-01 01:30', utcOffsetMinutes: -240 },
      { at: new Date('2026-11-01T07:00:00Z'), local: '2026-11-01 02:00', utcOffsetMinutes: -300 },
      { at: new Date('2026-11-01T07:30:00Z'), local: '2026-11-01 02:30', utcOffsetMinutes: -300 },
      { at: new Date('2026-11-01T08:00:00Z'), local: '2026-11-01 03:00', utcOffsetMinutes: -300 },
    ]);
    // From inside either pass of the repeated hour, the next run is 02:00 EST.
    expect(instants(next('*/30 * * * *', 'America/New_York', '2026-11-01T05:45:00Z', 1))).toEqual([
      '2026-11-01T07:00:00.000Z',
    ]);
    expect(instants(next('*/30 * * * *', 'America/New_York', '2026-11-01T06:10:00Z', 1))).toEqual([
      '2026-11-01T07:00:00.000Z',
    ]);
  });
});

describe('DST and offsets elsewhere', () => {
  it('Europe/Berlin: summer time from 2026-03-29, winter time from 2026-10-25', () => {
    expect(next('0 9 * * *', 'Europe/Berlin', '2026-03-27T12:00:00Z', 3)).toEqual([
      { at: new Date('2026-03-28T08:00:00Z'), local: '2026-03-28 09:00', utcOffsetMinutes: 60 },
      { at: new Date('2026-03-29T07:00:00Z'), local: '2026-03-29 09:00', utcOffsetMinutes: 120 },
      { at: new Date('2026-03-30T07:00:00Z'), local: '2026-03-30 09:00', utcOffsetMinutes: 120 },
    ]);
    // 02:30 does not exist on 29 March (02:00 CET → 03:00 CEST = 01:00Z).
    const spring = next('30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', 2);
    expect(instants(spring)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
    expect(spring.map((o) => o.shiftedBy)).toEqual(['dst-gap', undefined]);
    // 02:30 happens twice on 25 October (03:00 CEST → 02:00 CET): only the CEST one fires.
    expect(instants(next('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z', 2))).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('Asia/Kolkata: a fixed +05:30 offset', () => {
    expect(next('0 9 * * *', 'Asia/Kolkata', '2026-06-01T00:00:00Z', 2)).toEqual([
      { at: new Date('2026-06-01T03:30:00Z'), local: '2026-06-01 09:00', utcOffsetMinutes: 330 },
      { at: new Date('2026-06-02T03:30:00Z'), local: '2026-06-02 09:00', utcOffsetMinutes: 330 },
    ]);
  });

  it('Australia/Lord_Howe: a 30-minute DST shift', () => {
    // 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11:00) = 2026-10-03T15:30Z; 02:15 does not exist.
    expect(next('15 2 * * *', 'Australia/Lord_Howe', '2026-10-02T00:00:00Z', 3)).toEqual([
      { at: new Date('2026-10-02T15:45:00Z'), local: '2026-10-03 02:15', utcOffsetMinutes: 630 },
      {
        at: new Date('2026-10-03T15:30:00Z'),
        local: '2026-10-04 02:15',
        utcOffsetMinutes: 660,
        shiftedBy: 'dst-gap',
      },
      { at: new Date('2026-10-04T15:15:00Z'), local: '2026-10-05 02:15', utcOffsetMinutes: 660 },
    ]);
    // 2026-04-05 02:00 (+11:00) falls back to 01:30 (+10:30): 01:45 fires once, at +11:00.
    expect(next('45 1 * * *', 'Australia/Lord_Howe', '2026-04-04T00:00:00Z', 2)).toEqual([
      { at: new Date('2026-04-04T14:45:00Z'), local: '2026-04-05 01:45', utcOffsetMinutes: 660 },
      { at: new Date('2026-04-05T15:15:00Z'), local: '2026-04-06 01:45', utcOffsetMinutes: 630 },
    ]);
  });
  it('Pacific/Apia: a whole skipped day (30 Dec 2011) collapses onto the jump', () => {
    // Apia went from −10:00 to +14:00 at 2011-12-30T10:00Z: local 29 Dec 24:00 became 31 Dec 00:00.
    expect(next('0 12 * * *', 'Pacific/Apia', '2011-12-28T00:00:00Z', 4)).toEqual([
      { at: new Date('2011-12-28T22:00:00Z'), local: '2011-12-28 12:00', utcOffsetMinutes: -600 },
      { at: new Date('2011-12-29T22:00:00Z'), local: '2011-12-29 12:00', utcOffsetMinutes: -600 },
      {
        at: new Date('2011-12-30T10:00:00Z'),
        local: '2011-12-30 12:00',
        utcOffsetMinutes: 840,
        shiftedBy: 'dst-gap',
      },
      { at: new Date('2011-12-30T22:00:00Z'), local: '2011-12-31 12:00', utcOffsetMinutes: 840 },
    ]);
  });

  it('reads a zone offset at an instant', () => {
    expect(timeZoneOffsetMinutes('America/New_York', new Date('2026-03-08T06:59:59Z'))).toBe(-300);
    expect(timeZoneOffsetMinutes('America/New_York', new Date('2026-03-08T07:00:00Z'))).toBe(-240);
    expect(timeZoneOffsetMinutes('Asia/Kolkata', new Date('2026-01-01T00:00:00Z'))).toBe(330);
  });
});

describe('occurrencesBetween', () => {
  it('includes `to`, excludes `from`, and says whether the limit cut the list', () => {
    const from = new Date('2026-01-01T00:00:00Z');
    const to = new Date('2026-01-01T03:00:00Z');
    const all = occurrencesBetween('0 * * * *', 'UTC', from, to, 10);
    expect(instants(all.occurrences)).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
      '2026-01-01T03:00:00.000Z',
    ]);
    expect(all.more).toBe(false);
    expect(occurrencesBetween('0 * * * *', 'UTC', from, to, 3).more).toBe(false);
    const cut = occurrencesBetween('0 * * * *', 'UTC', from, to, 2);
    expect(instants(cut.occurrences)).toEqual(['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z']);
    expect(cut.more).toBe(true);
  });

  it('stops at the limit over a long window of every-minute runs', () => {
    const { occurrences, more } = occurrencesBetween(
      '* * * * *',
      'America/New_York',
      new Date('2026-03-01T00:00:00Z'),
      new Date('2026-03-31T00:00:00Z'),
      1000,
    );
    expect(occurrences).toHaveLength(1000);
    expect(more).toBe(true);
    expect(occurrences[0]?.at.toISOString()).toBe('2026-03-01T00:01:00.000Z');
    // 1000 minutes after 00:00Z.
    expect(occurrences[999]?.at.toISOString()).toBe('2026-03-01T16:40:00.000Z');
  });

  it('counts the spring-forward day of every-minute runs by instants', () => {
    // 24 hours of instants, one per minute; the 60 gap minutes collapse onto 07:00Z.
    const { occurrences, more } = occurrencesBetween(
      '* * * * *',
      'America/New_York',
      new Date('2026-03-08T00:00:00Z'),
      new Date('2026-03-09T00:00:00Z'),
      5000,
    );
    expect(occurrences).toHaveLength(1440);
    expect(more).toBe(false);
    const jump = occurrences.find((o) => o.at.toISOString() === '2026-03-08T07:00:00.000Z');
    expect(jump).toMatchObject({ local: '2026-03-08 02:00', shiftedBy: 'dst-gap' });
    expect(occurrences.filter((o) => o.shiftedBy)).toHaveLength(1);
  });

  it('returns nothing for a window with no occurrence', () => {
    expect(
      occurrencesBetween(
        '@yearly',
        'Europe/Berlin',
        new Date('2026-02-01T00:00:00Z'),
        new Date('2026-03-01T00:00:00Z'),
        10,
      ),
    ).toEqual({ occurrences: [], more: false });
  });
});
