/**
 * Prices from `provider_pricing`: a `PriceBook` with a short per-process cache for the router and
 * runner, the validated service that adds a price, and re-pricing of recorded attempts.
 */
import {
  type Db,
  type DbOrTx,
  type InvalidationFeed,
  insertPrice,
  type ModelAlias,
  PRICES_TOPIC,
  type PriceRow,
  priceHistory,
  upsertModelAlias,
} from '@swarm/db';
import { isProviderId, PROVIDER_IDS, parseInput } from '@swarm/engine';
import { z } from 'zod';
import { computeCost } from '../cost.ts';
import type { Price, PriceBook } from '../ports.ts';
import type { Attempt, ModelRef } from '../types.ts';

/** $100,000 per 1M tokens: far above any list price, low enough that a typo in zeros is caught. */
export const MAX_PRICE_PER_MILLION_MICROS = 100_000_000_000;

function toPrice(row: PriceRow): Price {
  return {
    id: row.id,
    provider: row.provider,
    model: row.model,
    effectiveFrom: row.effectiveFrom,
    inputPerMillionMicros: row.inputPerMillionMicros,
    outputPerMillionMicros: row.outputPerMillionMicros,
    cachedInputPerMillionMicros: row.cachedInputPerMillionMicros,
    cacheWritePerMillionMicros: row.cacheWritePerMillionMicros,
    reasoningPerMillionMicros: row.reasoningPerMillionMicros,
  };
}

/**
 * Bumped whenever this process changes prices or aliases; every price book drops its cache when it
 * sees a new generation. Other processes pick changes up from the invalidation feed when they have
 * one (the writers announce `PRICES_TOPIC`), else when their cache entries expire.
 */
let priceGeneration = 0;

export function invalidatePriceCaches(): void {
  priceGeneration += 1;
}

export interface PriceBookOptions {
  /**
   * How long a model's price history is reused before it is read again. Default and most: 60 s, or
   * 10 minutes with an invalidation feed (which drops entries when another process changes prices).
   */
  cacheMs?: number | undefined;
  invalidation?: InvalidationFeed | undefined;
}

const loadHistory = async (db: Db, ref: ModelRef): Promise<Price[]> => {
  const loaded = await priceHistory(db, ref);
  // Newest first, so the first row not after `at` is the one in effect.
  return loaded.prices.map(toPrice);
};

export function createPriceBook(db: Db, options: PriceBookOptions = {}): PriceBook {
  let seenGeneration = priceGeneration;
  const sameProcessChange = () => {
    if (seenGeneration === priceGeneration) return false;
    seenGeneration = priceGeneration;
    return true;
  };

  const feed = options.invalidation;
  if (feed) {
    const most = 10 * 60_000;
    const cache = feed.cache(PRICES_TOPIC, {
      ttlMs: Math.min(Math.max(options.cacheMs ?? most, 0), most),
      load: async (key) => {
        const [provider = '', model = ''] = key.split('\u0000');
        // Keys are only ever made from a `ModelRef` below; a name outside the list has no prices.
        return isProviderId(provider) ? loadHistory(db, { provider, model }) : [];
      },
    });
    return {
      async priceFor(ref, at) {
        // The notice of this process's own change arrives a moment later; don't wait for it.
        if (sameProcessChange()) cache.invalidate();
        const prices = await cache.get(`${ref.provider}\u0000${ref.model}`);
        return prices.find((price) => price.effectiveFrom.getTime() <= at.getTime()) ?? null;
      },
    };
  }

  const cacheMs = Math.min(Math.max(options.cacheMs ?? 60_000, 0), 60_000);
  const cache = new Map<string, { loadedAt: number; prices: Price[] }>();

  async function history(ref: ModelRef): Promise<Price[]> {
    if (sameProcessChange()) cache.clear();
    const key = `${ref.provider}\u0000${ref.model}`;
    const hit = cache.get(key);
    if (hit && performance.now() - hit.loadedAt < cacheMs) return hit.prices;
    const prices = await loadHistory(db, ref);
    if (cacheMs > 0) cache.set(key, { loadedAt: performance.now(), prices });
    return prices;
  }

  return {
    async priceFor(ref, at) {
      const prices = await history(ref);
      return prices.find((price) => price.effectiveFrom.getTime() <= at.getTime()) ?? null;
    },
  };
}

const priceMicros = z
  .number()
  .int('must be a whole number of micro-dollars')
  .min(0, 'must not be negative')
  .max(MAX_PRICE_PER_MILLION_MICROS, `must be at most ${MAX_PRICE_PER_MILLION_MICROS}`);

export const priceInputSchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  model: z.string().trim().min(1, 'required').max(200),
  /** Defaults to now (the database's clock). */
  effectiveFrom: z.coerce.date().optional(),
  inputPerMillionMicros: priceMicros,
  outputPerMillionMicros: priceMicros,
  /** Null or absent: cache reads cost the input price. */
  cachedInputPerMillionMicros: priceMicros.nullish(),
  /** Null or absent: cache writes cost the input price. */
  cacheWritePerMillionMicros: priceMicros.nullish(),
  /** Null or absent: reasoning tokens cost the output price. */
  reasoningPerMillionMicros: priceMicros.nullish(),
});
export type PriceInput = z.input<typeof priceInputSchema>;

export const modelAliasInputSchema = z.object({
  provider: z.enum(PROVIDER_IDS),
  alias: z.string().trim().min(1, 'required').max(200),
  model: z.string().trim().min(1, 'required').max(200),
});

/**
 * Adds a price from `effectiveFrom` on. Prices are never edited in place: an existing row for the
 * same provider, model and date is a ConflictError, and a change is a row with a later date, so
 * attempts priced earlier keep their price.
 */
export async function upsertPrice(db: DbOrTx, input: PriceInput): Promise<Price> {
  const price = parseInput(priceInputSchema, input);
  const row = await insertPrice(db, price);
  invalidatePriceCaches();
  return toPrice(row);
}

export async function setModelAlias(
  db: DbOrTx,
  input: z.input<typeof modelAliasInputSchema>,
): Promise<ModelAlias> {
  const alias = await upsertModelAlias(db, parseInput(modelAliasInputSchema, input));
  invalidatePriceCaches();
  return alias;
}

/** Prices one attempt with the price in effect when it started, at the model that answered. */
export async function priceAttempt(attempt: Attempt, prices: PriceBook): Promise<Attempt> {
  const price =
    attempt.usage === null
      ? null
      : await prices.priceFor(
          { provider: attempt.servedProvider, model: attempt.servedModel },
          attempt.startedAt,
        );
  const cost = computeCost(attempt.usage, price);
  return { ...attempt, ...cost, priceId: cost.costStatus === 'priced' ? price!.id : null };
}

/**
 * Re-prices recorded attempts (after a missing price was added, or a correction): each at the
 * price in effect when it started. Pure over its inputs; storing the result is the caller's job
 * (the `execution_costs` table arrives with the engine).
 */
export async function recomputeCosts(attempts: readonly Attempt[], prices: PriceBook): Promise<Attempt[]> {
  return Promise.all(attempts.map((attempt) => priceAttempt(attempt, prices)));
}
