import { describe, expect, test } from 'vitest';
import { formatDollars, microsToDecimal, parseDollarsToMicros } from './money.ts';

const micros = (text: string, max?: number) => {
  const result = parseDollarsToMicros(text, max === undefined ? {} : { max });
  return result.ok ? result.micros : result.error;
};

describe('parseDollarsToMicros', () => {
  test('converts decimal text exactly, where float arithmetic would not', () => {
    expect(1.005 * 1_000_000).not.toBe(1_005_000);
    expect(micros('1.005')).toBe(1_005_000);
    expect(micros('8.2')).toBe(8_200_000);
    expect(micros('0.075')).toBe(75_000);
    expect(micros('2.50')).toBe(2_500_000);
    expect(micros('2.5')).toBe(2_500_000);
    expect(micros('10')).toBe(10_000_000);
    expect(micros('.5')).toBe(500_000);
    expect(micros('5.')).toBe(5_000_000);
    expect(micros('0.000001')).toBe(1);
    expect(micros('0')).toBe(0);
    expect(micros('000.10')).toBe(100_000);
    expect(micros('1.1')).toBe(1_100_000);
    expect(micros('0.29')).toBe(290_000);
    expect(micros('4.35')).toBe(4_350_000);
  });

  test('accepts a dollar sign, surrounding spaces and proper thousands separators', () => {
    expect(micros(' $1,000.25 ')).toBe(1_000_250_000);
    expect(micros('$ 3')).toBe(3_000_000);
    expect(micros('1,00')).toBe('not a dollar amount');
  });

  test('refuses negatives, exponents, junk and sub-micro precision', () => {
    expect(micros('-1')).toBe('must not be negative');
    expect(micros('-0.5')).toBe('must not be negative');
    expect(micros('1e3')).toMatch(/without an exponent/);
    expect(micros('1E-3')).toMatch(/without an exponent/);
    expect(micros('')).toMatch(/enter an amount/);
    expect(micros('.')).toBe('not a dollar amount');
    expect(micros('1.2.3')).toBe('not a dollar amount');
    expect(micros('12abc')).toBe('not a dollar amount');
    expect(micros('Infinity')).toBe('not a dollar amount');
    expect(micros('0x10')).toBe('not a dollar amount');
    expect(micros('0.0000001')).toMatch(/at most 6 decimal places/);
  });

  test('refuses amounts above the limit without rounding them into range', () => {
    expect(micros('100000', 100_000_000_000)).toBe(100_000_000_000);
    expect(micros('100000.000001', 100_000_000_000)).toMatch(/must be at most \$100,000.00/);
    expect(micros('99999999999999999999999')).toMatch(/must be at most/);
  });
});

test('microsToDecimal is the exact inverse', () => {
  expect(microsToDecimal(75_000)).toBe('0.075');
  expect(microsToDecimal(2_500_000)).toBe('2.5');
  expect(microsToDecimal(3)).toBe('0.000003');
  expect(microsToDecimal(0)).toBe('0');
  expect(microsToDecimal(-1_500_000)).toBe('-1.5');
  for (const text of ['0.075', '12.345678', '100000', '0.1']) {
    const parsed = parseDollarsToMicros(text);
    expect(parsed.ok && microsToDecimal(parsed.micros)).toBe(text);
  }
});

test('formatDollars shows small costs with enough digits and large ones in cents', () => {
  expect(formatDollars(null)).toBe('—');
  expect(formatDollars(0)).toBe('$0.00');
  expect(formatDollars(3)).toBe('$0.000003');
  expect(formatDollars(4_500)).toBe('$0.0045');
  expect(formatDollars(123_456)).toBe('$0.1235');
  expect(formatDollars(12_345_678)).toBe('$12.35');
  expect(formatDollars(2_500_000, { exact: true })).toBe('$2.50');
  expect(formatDollars(75_000, { exact: true })).toBe('$0.075');
});
