import { describe, expect, test } from 'vitest';
import { formatDuration, formatVersionStats } from './version-stats.ts';

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
