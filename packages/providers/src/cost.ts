/**
 * The cost of one attempt from its usage and the price in effect: exact integer arithmetic, one
 * rounding per attempt. Pure, so the runner, re-pricing and tests all get the same answer.
 */
import type { Price } from './ports.ts';
import type { CostStatus, Usage } from './types.ts';

export interface Cost {
  /** Integer micro-dollars; null unless `costStatus` is `priced`. */
  costMicros: number | null;
  costStatus: CostStatus;
}

const MICROS_PER_MILLION_TOKENS = 1_000_000n;

const USAGE_FIELDS = [
  'inputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'outputTokens',
  'reasoningTokens',
] as const;

function tokens(usage: Usage, field: (typeof USAGE_FIELDS)[number]): bigint {
  const value = usage[field];
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`usage.${field} must be a non-negative whole number of tokens, got ${value}`);
  }
  return BigInt(value);
}

/**
 * Sum over the usage buckets of tokens × price per 1M tokens (cache reads and writes fall back to
 * the input price, reasoning to the output price, when the price row has none), divided by 1M once
 * and rounded half up. No price means `unpriced` (never $0: an unknown price is not a free call);
 * no usage means `no_usage`.
 */
export function computeCost(usage: Usage | null, price: Price | null): Cost {
  if (usage === null) return { costMicros: null, costStatus: 'no_usage' };
  if (price === null) return { costMicros: null, costStatus: 'unpriced' };
  const input = BigInt(price.inputPerMillionMicros);
  const output = BigInt(price.outputPerMillionMicros);
  const cacheRead = BigInt(price.cachedInputPerMillionMicros ?? price.inputPerMillionMicros);
  const cacheWrite = BigInt(price.cacheWritePerMillionMicros ?? price.inputPerMillionMicros);
  const reasoning = BigInt(price.reasoningPerMillionMicros ?? price.outputPerMillionMicros);
  const microsTimesMillion =
    tokens(usage, 'inputTokens') * input +
    tokens(usage, 'cacheReadTokens') * cacheRead +
    tokens(usage, 'cacheWriteTokens') * cacheWrite +
    tokens(usage, 'outputTokens') * output +
    tokens(usage, 'reasoningTokens') * reasoning;
  // Everything is non-negative, so adding half the divisor before the floor division rounds half up.
  const micros = (microsTimesMillion + MICROS_PER_MILLION_TOKENS / 2n) / MICROS_PER_MILLION_TOKENS;
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`cost of ${micros} micro-dollars is beyond what can be stored exactly`);
  }
  return { costMicros: Number(micros), costStatus: 'priced' };
}
