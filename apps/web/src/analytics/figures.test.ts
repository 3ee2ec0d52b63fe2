import { describe, expect, test } from 'vitest';
import {
  costPerRun,
  csvExportHref,
  formatChartDollars,
  formatExcludedUnpricedRuns,
  formatPercent,
  formatTokens,
  formatUnknownCost,
  formatUnpriced,
  microsToChartDollars,
  stackSeries,
} from './figures.ts';

test('percentages', () => {
  expect(formatPercent(0.1234)).toBe('12.3%');
  expect(formatPercent(0.25)).toBe('25%');
  expect(formatPercent(1)).toBe('100%');
  expect(formatPercent(0)).toBe('0%');
  expect(formatPercent(0.0004)).toBe('<0.1%');
  expect(formatPercent(null)).toBe('—');
  expect(formatPercent(Number.NaN)).toBe('—');
});

test('token counts', () => {
  expect(formatTokens(0)).toBe('0');
  expect(formatTokens(9_999)).toBe('9,999');
  expect(formatTokens(12_345)).toBe('12.35K');
  expect(formatTokens(3_400_000)).toBe('3.4M');
});

test('unpriced attempts are a count, never a dollar figure', () => {
  expect(formatUnpriced(0)).toBeNull();
  expect(formatUnpriced(1)).toBe('1 attempt without a price');
  expect(formatUnpriced(1234)).toBe('1,234 attempts without a price');
});

test('successful runs left out of cost per run for an unpriced attempt', () => {
  expect(formatExcludedUnpricedRuns(0)).toBeNull();
  expect(formatExcludedUnpricedRuns(1)).toBe('excludes 1 run of unknown cost');
  expect(formatExcludedUnpricedRuns(1234)).toBe('excludes 1,234 runs of unknown cost');
});

test('unknown cost says why, and leaves failed calls without usage out', () => {
  expect(formatUnknownCost({ unpricedAttempts: 0, noUsageAttempts: 0 })).toBeNull();
  expect(formatUnknownCost({ unpricedAttempts: 1, noUsageAttempts: 0 })).toBe('1 attempt without a price');
  expect(formatUnknownCost({ unpricedAttempts: 0, noUsageAttempts: 2 })).toBe('2 answers without usage');
  expect(formatUnknownCost({ unpricedAttempts: 3, noUsageAttempts: 1 })).toBe(
    '3 attempts without a price, 1 answer without usage',
  );
});

test('chart values go to dollars and back to the micro-dollar', () => {
  expect(microsToChartDollars(1_250_000)).toBe(1.25);
  expect(formatChartDollars(microsToChartDollars(1_234_567))).toBe('$1.23');
  // 0.000003 as a float is not exact; the label still shows three micro-dollars.
  expect(formatChartDollars(microsToChartDollars(3))).toBe('$0.000003');
});

test('cost per successful run rounds to the micro-dollar; none succeeded → null', () => {
  expect(costPerRun(10, 3)).toBe(3);
  expect(costPerRun(1_000_000, 4)).toBe(250_000);
  expect(costPerRun(500, 0)).toBeNull();
});

test('the CSV link carries the range and the workflow filter', () => {
  const from = new Date('2026-03-01T00:00:00Z');
  const to = new Date('2026-03-08T00:00:00Z');
  expect(csvExportHref({ from, to })).toBe(
    '/api/analytics/export.csv?from=2026-03-01T00%3A00%3A00.000Z&to=2026-03-08T00%3A00%3A00.000Z',
  );
  expect(csvExportHref({ from, to, workflowId: 'w-1' })).toMatch(/&workflowId=w-1$/);
});

describe('stackSeries', () => {
  test('pivots points into one row per bucket with a column per key, largest first', () => {
    const { rows, categories } = stackSeries([
      { bucket: 'Mar 1', key: 'openai', costMicros: 1_000_000 },
      { bucket: 'Mar 1', key: 'anthropic', costMicros: 3_000_000 },
      { bucket: 'Mar 2', key: 'openai', costMicros: 500_000 },
    ]);
    expect(categories).toEqual(['anthropic', 'openai']);
    expect(rows).toEqual([
      { bucket: 'Mar 1', anthropic: 3, openai: 1 },
      { bucket: 'Mar 2', anthropic: 0, openai: 0.5 },
    ]);
  });

  test('folds the smallest keys into Other so the stack still adds up', () => {
    const points = ['a', 'b', 'c', 'd'].map((key, i) => ({
      bucket: 'x',
      key,
      costMicros: (4 - i) * 1_000_000,
    }));
    const { rows, categories } = stackSeries(points, 3);
    expect(categories).toEqual(['a', 'b', 'Other']);
    expect(rows).toEqual([{ bucket: 'x', a: 4, b: 3, Other: 3 }]);
  });
});
