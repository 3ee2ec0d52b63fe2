import { describe, expect, it } from 'vitest';
import { computeCost } from './cost.ts';
import type { Price } from './ports.ts';
import { emptyUsage, type Usage } from './types.ts';

function price(overrides: Partial<Price> = {}): Price {
  return {
    id: '00000000-0000-4000-8000-000000000000',
    provider: 'openai',
    model: 'test',
    effectiveFrom: new Date('2024-01-01T00:00:00Z'),
    inputPerMillionMicros: 1_000_000,
    outputPerMillionMicros: 2_000_000,
    cachedInputPerMillionMicros: null,
    cacheWritePerMillionMicros: null,
    reasoningPerMillionMicros: null,
    ...overrides,
  };
}

const usage = (overrides: Partial<Usage>): Usage => ({ ...emptyUsage(), ...overrides });

describe('computeCost', () => {
  it('is no_usage without usage and unpriced without a price — never $0', () => {
    expect(computeCost(null, price())).toEqual({ costMicros: null, costStatus: 'no_usage' });
    expect(computeCost(usage({ inputTokens: 10 }), null)).toEqual({
      costMicros: null,
      costStatus: 'unpriced',
    });
  });

  it('prices zero tokens at zero', () => {
    expect(computeCost(emptyUsage(), price())).toEqual({ costMicros: 0, costStatus: 'priced' });
  });

  it('bills each bucket at its own price', () => {
    // $3/M input, $15/M output, $0.30/M cache read, $3.75/M cache write, $20/M reasoning.
    const p = price({
      inputPerMillionMicros: 3_000_000,
      outputPerMillionMicros: 15_000_000,
      cachedInputPerMillionMicros: 300_000,
      cacheWritePerMillionMicros: 3_750_000,
      reasoningPerMillionMicros: 20_000_000,
    });
    expect(computeCost(usage({ inputTokens: 1000 }), p).costMicros).toBe(3000);
    expect(computeCost(usage({ outputTokens: 1000 }), p).costMicros).toBe(15000);
    expect(computeCost(usage({ cacheReadTokens: 1000 }), p).costMicros).toBe(300);
    expect(computeCost(usage({ cacheWriteTokens: 1000 }), p).costMicros).toBe(3750);
    expect(computeCost(usage({ reasoningTokens: 1000 }), p).costMicros).toBe(20000);
    expect(
      computeCost(
        usage({
          inputTokens: 1000,
          outputTokens: 1000,
          cacheReadTokens: 1000,
          cacheWriteTokens: 1000,
          reasoningTokens: 1000,
        }),
        p,
      ).costMicros,
    ).toBe(42050);
  });

  it('falls back to the input price for cache reads and writes and to the output price for reasoning', () => {
    const p = price(); // $1/M in, $2/M out, no cache or reasoning prices
    expect(computeCost(usage({ cacheReadTokens: 1000 }), p).costMicros).toBe(1000);
    expect(computeCost(usage({ cacheWriteTokens: 1000 }), p).costMicros).toBe(1000);
    expect(computeCost(usage({ reasoningTokens: 1000 }), p).costMicros).toBe(2000);
  });

  it('rounds half up, once per attempt rather than per bucket', () => {
    const p = price({ inputPerMillionMicros: 500_000, outputPerMillionMicros: 400_000 });
    // 0.5 micro-dollars rounds up to 1; 0.4 rounds down to 0.
    expect(computeCost(usage({ inputTokens: 1 }), p).costMicros).toBe(1);
    expect(computeCost(usage({ outputTokens: 1 }), p).costMicros).toBe(0);
    // Two buckets of 0.4 each: 0.8 in total rounds to 1 (rounding each would give 0).
    expect(computeCost(usage({ outputTokens: 1, reasoningTokens: 1 }), p).costMicros).toBe(1);
    // 0.499999 rounds down.
    expect(computeCost(usage({ inputTokens: 1 }), price({ inputPerMillionMicros: 499_999 })).costMicros).toBe(
      0,
    );
  });

  it('stays exact for products far beyond 2^53', () => {
    // 123,456,789 tokens × 987,654,321 micros/M = 121,932,631,112,635,269 → 121,932,631,112.635… → …113
    const p = price({ inputPerMillionMicros: 987_654_321 });
    expect(computeCost(usage({ inputTokens: 123_456_789 }), p).costMicros).toBe(121_932_631_113);
    // MAX_SAFE_INTEGER tokens at 0.5 micro each: exactly …495.5, which rounds half up to …496.
    const half = price({ inputPerMillionMicros: 500_000 });
    expect(computeCost(usage({ inputTokens: Number.MAX_SAFE_INTEGER }), half).costMicros).toBe(
      4_503_599_627_370_496,
    );
  });

  it('refuses token counts that are not whole non-negative numbers, naming the bucket', () => {
    expect(() => computeCost(usage({ inputTokens: -1 }), price())).toThrow(/usage\.inputTokens/);
    expect(() => computeCost(usage({ outputTokens: 1.5 }), price())).toThrow(/usage\.outputTokens/);
    expect(() => computeCost(usage({ reasoningTokens: Number.NaN }), price())).toThrow(
      /usage\.reasoningTokens/,
    );
  });
});
