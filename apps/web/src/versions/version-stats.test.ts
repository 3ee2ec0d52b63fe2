import { describe, expect, test } from 'vitest';
import { formatDuration, formatVersionCost, formatVersionStats } from './version-stats.ts';

describe('formatVersionStats', () => {
  test('says so when a version never ran', () => {
    expect(formatVersionStats({ runCount: 0, successRate: null, avgDurationMs: null })).toBe('No runs');
  });

  test('shows count, success rate and average duration', () => {
    expect(formatVersionStats({ runCount: 3, successRate: 2 / 3, avgDurationMs: 1234 })).toBe(
      '3 runs · 67% succeeded · avg 1.2 s',
    );
  });

  test('leaves out rate and duration before any run finished', () => {
    expect(formatVersionStats({ runCount: 1, successRate: null, avgDurationMs: null })).toBe('1 run');
  });

  test('formats durations', () => {
    expect(formatDuration(420)).toBe('420 ms');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
  });
});

describe('formatVersionCost', () => {
  test('total and per-run cost of a version that ran', () => {
    expect(formatVersionCost({ runCount: 3, costMicros: 3_690_000, avgCostMicros: 1_230_000 })).toBe(
      '$3.69 spent · $1.23 per run',
    );
    expect(formatVersionCost({ runCount: 2, costMicros: 0, avgCostMicros: 0 })).toBe(
      '$0.00 spent · $0.00 per run',
    );
  });

  test('runs of unknown cost: the known part as a lower bound, left out of the average, counted', () => {
    expect(
      formatVersionCost({ runCount: 3, costMicros: 2_000_000, avgCostMicros: 1_000_000, unknownCostRuns: 1 }),
    ).toBe('≥ $2.00 spent · $1.00 per run · 1 run of unknown cost');
    expect(formatVersionCost({ runCount: 1, costMicros: 0, avgCostMicros: null, unknownCostRuns: 1 })).toBe(
      '≥ $0.00 spent · 1 run of unknown cost',
    );
  });

  test('nothing for a version that never ran', () => {
    expect(formatVersionCost({ runCount: 0, costMicros: 0, avgCostMicros: null })).toBeNull();
  });
});
