import { describe, expect, it } from 'vitest';
import { parseApiEnv } from '../src/env.ts';

const base = { DATABASE_URL: 'postgres://localhost/swarm' };

describe('HEAP_GROWING_PERCENT', () => {
  it("lets the old generation grow to 4× by default; 0 keeps V8's own factor", () => {
    expect(parseApiEnv(base).HEAP_GROWING_PERCENT).toBe(300);
    expect(parseApiEnv({ ...base, HEAP_GROWING_PERCENT: '0' }).HEAP_GROWING_PERCENT).toBe(0);
    expect(parseApiEnv({ ...base, HEAP_GROWING_PERCENT: '150' }).HEAP_GROWING_PERCENT).toBe(150);
  });

  it('refuses what V8 would not take, by name', () => {
    for (const bad of ['-1', '1001', '2.5', 'lots'])
      expect(() => parseApiEnv({ ...base, HEAP_GROWING_PERCENT: bad })).toThrow(/HEAP_GROWING_PERCENT: /);
  });
});
