/**
 * An independent oracle for the cron iterator: on many random expressions (lists, ranges, steps,
 * wildcards, names) our `nextOccurrences` must give exactly the instants `cron-parser` gives, in
 * zones without DST in the years drawn (UTC, Asia/Tokyo +09:00, Asia/Kolkata +05:30), where the two
 * libraries' DST rules cannot differ.
 *
 * Left out on purpose, because the two do not document the same meaning:
 *  - day-of-month and day-of-week both restricted. We document Vixie's rule (either may match);
 *    cron-parser's README only warns that the result "might not align with your expectations"
 *    (its source does OR them, but that is not a documented contract).
 *  - `*\/n` in one day field with the other restricted. Vixie (and we) count a field starting with
 *    `*` as unrestricted, cron-parser only a bare `*` or `?`.
 *  - cron-parser's extensions (seconds, `L`, `#`, `H`, `?`), which we do not accept.
 */
import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { checkCron, nextOccurrences } from './cron.ts';
import { type SeededRandom, testRandom } from './testing/seeded-random.ts';

const ZONES = ['UTC', 'Asia/Tokyo', 'Asia/Kolkata'];
const EXPRESSIONS_PER_ZONE = 150;
const OCCURRENCES = 12;

interface FieldRange {
  min: number;
  max: number;
  names?: readonly string[];
  /** The value of names[0]. */
  namesFrom?: number;
}

const MINUTE: FieldRange = { min: 0, max: 59 };
const HOUR: FieldRange = { min: 0, max: 23 };
const DAY_OF_MONTH: FieldRange = { min: 1, max: 31 };
const MONTH: FieldRange = {
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
  namesFrom: 1,
};
const DAY_OF_WEEK: FieldRange = {
  min: 0,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
  namesFrom: 0,
};

/** A value of the field, sometimes written as its name (in a random case) where it has one. */
function value(random: SeededRandom, field: FieldRange, n: number): string {
  const name = field.names?.[n - (field.namesFrom ?? 0)];
  if (!name || random.next() < 0.6) return String(n);
  return random.next() < 0.5 ? name : name.toLowerCase();
}

function step(random: SeededRandom, field: FieldRange): number {
  return random.int(2, Math.max(2, Math.floor((field.max - field.min + 1) / 2)));
}

interface Item {
  text: string;
  /** The values it stands for (day-of-week 7 counted as 0), to keep list items apart. */
  values: Set<number>;
}

function stepped(field: FieldRange, from: number, to: number, by: number): Set<number> {
  const values = new Set<number>();
  for (let n = from; n <= to; n += by) values.add(field === DAY_OF_WEEK ? n % 7 : n);
  return values;
}

/** One list item: a value, a range, or a step over `*`, a range or a start value. */
function item(random: SeededRandom, field: FieldRange): Item {
  const a = random.int(field.min, field.max);
  const b = random.int(a, field.max);
  const by = step(random, field);
  switch (random.int(0, 4)) {
    case 0:
      return { text: value(random, field, a), values: stepped(field, a, a, 1) };
    case 1:
      return {
        text: `${value(random, field, a)}-${value(random, field, b)}`,
        values: stepped(field, a, b, 1),
      };
    case 2:
      return {
        text: `${value(random, field, a)}-${value(random, field, b)}/${by}`,
        values: stepped(field, a, b, by),
      };
    case 3:
      return { text: `${a}/${by}`, values: stepped(field, a, field.max, by) };
    default:
      return { text: `*/${by}`, values: stepped(field, field.min, field.max, by) };
  }
}

/**
 * A restricted field: one item or a list of up to three. The items never overlap: cron-parser
 * refuses a list naming a value twice (`1-5,3`), which Vixie cron and we accept.
 */
function restricted(random: SeededRandom, field: FieldRange): string {
  const items: Item[] = [];
  const taken = new Set<number>();
  const wanted = random.int(1, 3);
  for (let attempt = 0; items.length < wanted && attempt < 10; attempt++) {
    const next = item(random, field);
    if ([...next.values].some((n) => taken.has(n))) continue;
    items.push(next);
    for (const n of next.values) taken.add(n);
  }
  return items.map((i) => i.text).join(',');
}

/** `*` about a third of the time (half the time for days and months, to keep dates common). */
function field(random: SeededRandom, range: FieldRange, wildcardChance: number): string {
  return random.next() < wildcardChance ? '*' : restricted(random, range);
}

/** A 5-field expression with at most one restricted day field (see the module comment). */
function expression(random: SeededRandom): string {
  const days = random.pick(['day-of-month', 'day-of-week', 'neither'] as const);
  return [
    field(random, MINUTE, 0.1),
    field(random, HOUR, 0.3),
    days === 'day-of-month' ? restricted(random, DAY_OF_MONTH) : '*',
    field(random, MONTH, 0.5),
    days === 'day-of-week' ? restricted(random, DAY_OF_WEEK) : '*',
  ].join(' ');
}

/** An instant from 1971 to 2099, to the millisecond. */
function instant(random: SeededRandom): Date {
  const from = Date.UTC(1971, 0, 1);
  const to = Date.UTC(2100, 0, 1);
  return new Date(from + Math.floor(random.next() * (to - from)));
}

function oracle(cron: string, timeZone: string, after: Date, count: number): string[] {
  const iterator = CronExpressionParser.parse(cron, { currentDate: after, tz: timeZone });
  return iterator.take(count).map((date) => date.toDate().toISOString());
}

describe('nextOccurrences agrees with cron-parser', () => {
  it.each(ZONES)('on random expressions in %s', (timeZone) => {
    const random = testRandom();
    let compared = 0;
    for (let i = 0; i < EXPRESSIONS_PER_ZONE; i++) {
      const cron = expression(random);
      const after = instant(random);
      // The generator writes valid syntax only; the one refusal is a date that never exists.
      const problem = checkCron(cron);
      if (problem !== null) {
        expect(problem, cron).toMatch(/^never fires/);
        continue;
      }
      const ours = nextOccurrences(cron, timeZone, after, OCCURRENCES).map((o) => o.at.toISOString());
      expect(ours, `"${cron}" in ${timeZone} after ${after.toISOString()}`).toEqual(
        oracle(cron, timeZone, after, OCCURRENCES),
      );
      compared += 1;
    }
    // Nearly every generated expression can fire; a generator that mostly makes impossible dates
    // would compare nothing.
    expect(compared).toBeGreaterThan(EXPRESSIONS_PER_ZONE * 0.9);
  });
});
