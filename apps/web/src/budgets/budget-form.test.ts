import { describe, expect, test } from 'vitest';
import { budgetProgress, formErrorsFromApi, parseMonthlyLimit, parseThresholds } from './budget-form.ts';

describe('parseThresholds', () => {
  test('reads whole percentages separated by commas or spaces, sorted and without repeats', () => {
    expect(parseThresholds('80, 50,100')).toEqual({ ok: true, value: [50, 80, 100] });
    expect(parseThresholds('50% 80% 80')).toEqual({ ok: true, value: [50, 80] });
  });

  test('refuses values outside 1–100, fractions, words and nothing at all', () => {
    expect(parseThresholds('0, 50')).toEqual({ ok: false, error: '0% is outside 1–100' });
    expect(parseThresholds('101')).toEqual({ ok: false, error: '101% is outside 1–100' });
    expect(parseThresholds('50.5')).toEqual({ ok: false, error: '"50.5" is not a whole percentage' });
    expect(parseThresholds('half')).toEqual({ ok: false, error: '"half" is not a whole percentage' });
    expect(parseThresholds('1 2 3 4 5 6 7 8 9 10 11')).toEqual({ ok: false, error: 'at most 10 thresholds' });
    expect(parseThresholds('  ')).toEqual({
      ok: false,
      error: 'enter at least one threshold, e.g. 50, 80, 100',
    });
  });
});

test('monthly limits are exact micro-dollars above zero', () => {
  expect(parseMonthlyLimit('$25.10')).toEqual({ ok: true, value: 25_100_000 });
  expect(parseMonthlyLimit('0')).toEqual({ ok: false, error: 'must be more than $0' });
  expect(parseMonthlyLimit('-5')).toEqual({ ok: false, error: 'must not be negative' });
  expect(parseMonthlyLimit('1,000,000,000').ok).toBe(true);
  expect(parseMonthlyLimit('1000000000.01')).toEqual({
    ok: false,
    error: 'must be at most $1,000,000,000.00',
  });
});

describe('budgetProgress', () => {
  test('spent and reserved as shares of the limit', () => {
    expect(budgetProgress(2_500_000, 1_000_000, 10_000_000, [50, 80])).toEqual({
      spentPercent: 25,
      reservedPercent: 10,
      spentRatio: 0.25,
      state: 'ok',
    });
  });

  test('warning from the lowest threshold, exceeded at the limit, bars capped at 100%', () => {
    expect(budgetProgress(5_000_000, 0, 10_000_000, [80, 50]).state).toBe('warning');
    const over = budgetProgress(12_000_000, 3_000_000, 10_000_000, [50]);
    expect(over).toEqual({ spentPercent: 100, reservedPercent: 0, spentRatio: 1.2, state: 'exceeded' });
    expect(budgetProgress(9_000_000, 3_000_000, 10_000_000, []).reservedPercent).toBeCloseTo(10);
  });
});

describe('formErrorsFromApi', () => {
  test('puts each issue under its field, with its path', () => {
    expect(
      formErrorsFromApi(
        [
          { path: 'alertAt[1]', message: 'from 1 to 100' },
          { path: 'alertAt[2]', message: 'from 1 to 100' },
          { path: 'monthlyLimitMicros', message: 'must be more than zero' },
          { path: 'scope', message: '"global" or a workflow id' },
          { path: 'id', message: 'not a valid id' },
        ],
        'Invalid input',
      ),
    ).toEqual({
      thresholds: 'alertAt[1]: from 1 to 100',
      limit: 'monthlyLimitMicros: must be more than zero',
      scope: 'scope: "global" or a workflow id',
      form: 'id: not a valid id',
    });
  });

  test('an error without issues (a conflict, a missing workflow) goes under the form', () => {
    expect(formErrorsFromApi([], 'there is already a global budget; update it instead')).toEqual({
      form: 'there is already a global budget; update it instead',
    });
  });
});
