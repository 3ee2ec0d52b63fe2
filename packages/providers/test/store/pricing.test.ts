import { listModelAliases, listPrices } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import type { ProviderId } from '@swarm/engine';
import { DomainError } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { computeCost } from '../../src/cost.ts';
import { createPriceBook, recomputeCosts, setModelAlias, upsertPrice } from '../../src/store/pricing.ts';
import type { Attempt, Usage } from '../../src/types.ts';

const database = useTestDatabase();

/**
 * One representative usage with every bucket non-zero and odd counts, so cache-read, cache-write
 * and reasoning prices (or their fallbacks) and the half-up rounding all show in the result.
 */
const USAGE: Usage = {
  inputTokens: 123_457,
  cacheReadTokens: 20_001,
  cacheWriteTokens: 3_003,
  outputTokens: 45_679,
  reasoningTokens: 7_007,
};

/**
 * Expected cost in micro-dollars of USAGE for every seeded price, worked out apart from the code
 * (decimal arithmetic, round half up). Worked example, gpt-4o ($2.50 in, $1.25 cached, $10 out;
 * no cache-write price → input, no reasoning price → output):
 *   123,457 × 2.5 + 20,001 × 1.25 + 3,003 × 2.5 + 45,679 × 10 + 7,007 × 10
 *   = 308,642.5 + 25,001.25 + 7,507.5 + 456,790 + 70,070 = 868,011.25 → 868,011
 */
const EXPECTED: ReadonlyArray<[ProviderId, string, number]> = [
  ['openai', 'gpt-4o', 868_011], // 868,011.25
  ['openai', 'gpt-4o-2024-05-13', 1_522_595], // 1,522,595
  ['openai', 'gpt-4o-mini', 52_081], // 52,080.675
  ['openai', 'gpt-4', 7_554_990], // 7,554,990
  ['openai', 'gpt-4-turbo', 3_045_190], // 3,045,190
  ['openai', 'gpt-3.5-turbo', 152_260], // 152,259.5 (half rounds up)
  ['openai', 'gpt-4.1', 684_409], // 684,408.5
  ['openai', 'gpt-4.1-mini', 136_882], // 136,881.7
  ['openai', 'gpt-4.1-nano', 34_220], // 34,220.425
  ['openai', 'o1', 5_208_068], // 5,208,067.5
  ['openai', 'o3-mini', 381_925], // 381,924.95
  ['openai', 'o3', 684_409], // 684,408.5
  ['openai', 'o4-mini', 376_425], // 376,424.675
  ['openai', 'gpt-5', 687_435], // 687,435.125
  ['openai', 'gpt-5-mini', 137_487], // 137,487.025
  ['openai', 'gpt-5-nano', 27_497], // 27,497.405
  ['anthropic', 'claude-3-5-sonnet', 1_177_923], // 1,177,922.55
  ['anthropic', 'claude-3-7-sonnet', 1_177_923], // 1,177,922.55
  ['anthropic', 'claude-sonnet-4', 1_177_923], // 1,177,922.55
  ['anthropic', 'claude-sonnet-4-5', 1_177_923], // 1,177,922.55
  ['anthropic', 'claude-3-opus', 5_889_613], // 5,889,612.75
  ['anthropic', 'claude-opus-4', 5_889_613], // 5,889,612.75
  ['anthropic', 'claude-opus-4-1', 5_889_613], // 5,889,612.75
  ['anthropic', 'claude-opus-4-5', 1_963_204], // 1,963,204.25
  ['anthropic', 'claude-3-haiku', 98_223], // 98,222.68
  ['anthropic', 'claude-3-5-haiku', 314_113], // 314,112.68
  ['anthropic', 'claude-haiku-4-5', 392_641], // 392,640.85
  ['gemini', 'gemini-1.5-pro', 427_755], // 427,755.3125
  ['gemini', 'gemini-1.5-flash', 25_665], // 25,665.31875
  ['gemini', 'gemini-2.0-flash', 34_220], // 34,220.425
  ['gemini', 'gemini-2.5-pro', 687_435], // 687,435.125
  ['gemini', 'gemini-2.5-flash', 170_253], // 170,253.03
  ['mock', 'echo', 147_259], // 147,259.25 (demo price)
];

const NOW = new Date('2026-06-01T00:00:00Z');

function attempt(overrides: Partial<Attempt>): Attempt {
  return {
    requestedProvider: 'openai',
    requestedModel: 'gpt-4o',
    servedProvider: 'openai',
    servedModel: 'gpt-4o',
    reason: 'primary',
    errorClass: null,
    errorMessage: null,
    startedAt: NOW,
    latencyMs: 100,
    timeToFirstTokenMs: null,
    usage: USAGE,
    priceId: null,
    costMicros: null,
    costStatus: 'unpriced',
    ...overrides,
  };
}

async function priceCount() {
  return (await listPrices(database.db)).length;
}

describe('seeded prices', () => {
  it('prices the representative usage at the expected amount for every seeded row, and no row is left out', async () => {
    const seedDate = new Date('2024-01-01T00:00:00Z').getTime();
    const seeded = (await listPrices(database.db)).filter((row) => row.effectiveFrom.getTime() === seedDate);
    expect(seeded.map((row) => `${row.provider}/${row.model}`).sort()).toEqual(
      EXPECTED.map(([provider, model]) => `${provider}/${model}`).sort(),
    );
    const book = createPriceBook(database.db);
    for (const [provider, model, micros] of EXPECTED) {
      const price = await book.priceFor({ provider, model }, NOW);
      expect({ provider, model, ...computeCost(USAGE, price) }).toEqual({
        provider,
        model,
        costMicros: micros,
        costStatus: 'priced',
      });
    }
  });

  it('resolves dated snapshots and API names through explicit aliases to the canonical price', async () => {
    const book = createPriceBook(database.db);
    const canonical = await book.priceFor({ provider: 'openai', model: 'gpt-4o' }, NOW);
    for (const [provider, model, canonicalModel] of [
      ['openai', 'gpt-4o-2024-08-06', 'gpt-4o'],
      ['anthropic', 'claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
      ['anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
      ['gemini', 'models/gemini-1.5-pro', 'gemini-1.5-pro'],
      ['gemini', 'gemini-1.5-flash-002', 'gemini-1.5-flash'],
      ['mock', 'delay:50', 'echo'],
    ] as const) {
      const price = await book.priceFor({ provider, model }, NOW);
      expect({ asked: model, model: price?.model }).toEqual({ asked: model, model: canonicalModel });
    }
    expect((await book.priceFor({ provider: 'openai', model: 'gpt-4o-2024-08-06' }, NOW))?.id).toBe(
      canonical?.id,
    );
    // The May 2024 snapshot kept its own, higher price: it is not an alias of gpt-4o.
    const may = await book.priceFor({ provider: 'openai', model: 'gpt-4o-2024-05-13' }, NOW);
    expect(may?.inputPerMillionMicros).toBe(5_000_000);
    // An alias is per provider.
    expect(await book.priceFor({ provider: 'anthropic', model: 'gpt-4o-2024-08-06' }, NOW)).toBeNull();
  });

  it('leaves an unknown model unpriced rather than free', async () => {
    const [priced] = await recomputeCosts(
      [attempt({ servedProvider: 'openai', servedModel: 'gpt-9-imaginary' })],
      createPriceBook(database.db),
    );
    expect(priced).toMatchObject({ costStatus: 'unpriced', costMicros: null, priceId: null });
  });

  it('has no price before the earliest effective date', async () => {
    const book = createPriceBook(database.db);
    expect(
      await book.priceFor({ provider: 'openai', model: 'gpt-4o' }, new Date('2023-12-31T23:59:59Z')),
    ).toBeNull();
  });
});

describe('effective dates', () => {
  it('uses the row in effect when the attempt started; a later price does not change earlier attempts', async () => {
    const book = createPriceBook(database.db);
    const ref = { provider: 'gemini', model: 'gemini-2.0-flash' } as const;
    const before = attempt({ servedProvider: 'gemini', servedModel: 'gemini-2.0-flash', startedAt: NOW });
    const [firstPricing] = await recomputeCosts([before], book);
    expect(firstPricing?.costMicros).toBe(34_220);

    // Prices double from 2027 on. The book was already used (cached): the insert invalidates it.
    const doubled = await upsertPrice(database.db, {
      ...ref,
      effectiveFrom: new Date('2027-01-01T00:00:00Z'),
      inputPerMillionMicros: 200_000,
      outputPerMillionMicros: 800_000,
      cachedInputPerMillionMicros: 50_000,
    });
    const after = { ...before, startedAt: new Date('2027-03-01T00:00:00Z') };
    const [earlier, later] = await recomputeCosts([before, after], book);
    expect(earlier).toMatchObject({
      costMicros: 34_220,
      priceId: firstPricing?.priceId,
      costStatus: 'priced',
    });
    // 123,457×0.2 + 20,001×0.05 + 3,003×0.2 + 45,679×0.8 + 7,007×0.8 = 68,440.85 → 68,441
    expect(later).toMatchObject({ costMicros: 68_441, priceId: doubled.id, costStatus: 'priced' });
    // Exactly at the boundary the new price is in effect.
    expect((await book.priceFor(ref, new Date('2027-01-01T00:00:00Z')))?.id).toBe(doubled.id);
    expect((await book.priceFor(ref, new Date('2026-12-31T23:59:59.999Z')))?.id).toBe(firstPricing?.priceId);
  });

  it('re-prices at the model that answered, and leaves attempts without usage as no_usage', async () => {
    const fallback = attempt({
      requestedProvider: 'openai',
      requestedModel: 'gpt-4o',
      servedProvider: 'anthropic',
      servedModel: 'claude-sonnet-4-5-20250929',
      reason: 'fallback:rate_limit',
    });
    const failed = attempt({ usage: null, errorClass: 'server', errorMessage: 'boom' });
    const [served, none] = await recomputeCosts([fallback, failed], createPriceBook(database.db));
    expect(served).toMatchObject({ costMicros: 1_177_923, costStatus: 'priced' });
    expect(served?.priceId).toEqual(expect.any(String));
    expect(none).toMatchObject({ costMicros: null, costStatus: 'no_usage', priceId: null });
  });
});

describe('upsertPrice input', () => {
  const valid = {
    provider: 'openai',
    model: 'gpt-bad-input-test',
    effectiveFrom: new Date('2025-01-01T00:00:00Z'),
    inputPerMillionMicros: 1_000_000,
    outputPerMillionMicros: 2_000_000,
  } as const;

  async function rejection(input: unknown): Promise<DomainError> {
    const before = await priceCount();
    const error = await upsertPrice(database.db, input as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect(await priceCount()).toBe(before);
    return error as DomainError;
  }

  it('refuses a negative price, naming the field, and writes nothing', async () => {
    const error = await rejection({ ...valid, outputPerMillionMicros: -1 });
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/^outputPerMillionMicros: .*negative/);
    expect(error.issues[0]?.path).toBe('outputPerMillionMicros');
  });

  it('refuses a fractional price', async () => {
    const error = await rejection({ ...valid, cachedInputPerMillionMicros: 0.5 });
    expect(error.message).toMatch(/^cachedInputPerMillionMicros: .*whole number/);
  });

  it('refuses an absurd price', async () => {
    const error = await rejection({ ...valid, inputPerMillionMicros: 1e15 });
    expect(error.message).toMatch(/^inputPerMillionMicros: must be at most/);
  });

  it('refuses an unknown provider and an empty model', async () => {
    expect((await rejection({ ...valid, provider: 'openia' })).message).toMatch(/^provider: /);
    expect((await rejection({ ...valid, model: '   ' })).message).toMatch(/^model: required/);
  });

  it('refuses a second price for the same provider, model and date with a conflict', async () => {
    await upsertPrice(database.db, valid);
    const error = await rejection({ ...valid, inputPerMillionMicros: 9 });
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toBe(
      'a price for openai/gpt-bad-input-test effective 2025-01-01T00:00:00.000Z already exists',
    );
    const rows = await listPrices(database.db, { provider: 'openai', model: 'gpt-bad-input-test' });
    expect(rows.map((row) => row.inputPerMillionMicros)).toEqual([1_000_000]);
  });

  it('defaults the effective date to now, so the new price applies from this moment', async () => {
    const before = new Date();
    const price = await upsertPrice(database.db, {
      provider: 'mock',
      model: 'priced-from-now',
      inputPerMillionMicros: 1,
      outputPerMillionMicros: 1,
    });
    // Database clock vs process clock: only a loose sanity bound, not a timing assertion.
    expect(Math.abs(price.effectiveFrom.getTime() - before.getTime())).toBeLessThan(60 * 60 * 1000);
    const book = createPriceBook(database.db);
    expect(
      (await book.priceFor({ provider: 'mock', model: 'priced-from-now' }, new Date(Date.now() + 60_000)))
        ?.id,
    ).toBe(price.id);
  });
});

describe('aliases', () => {
  it('takes effect for a price book in this process at once, and refuses chains', async () => {
    const book = createPriceBook(database.db);
    const ref = { provider: 'anthropic', model: 'claude-sonnet-4-5-custom-deploy' } as const;
    expect(await book.priceFor(ref, NOW)).toBeNull();
    await setModelAlias(database.db, { ...ref, alias: ref.model, model: 'claude-sonnet-4-5' });
    expect((await book.priceFor(ref, NOW))?.model).toBe('claude-sonnet-4-5');

    const before = await listModelAliases(database.db);
    const chain = await setModelAlias(database.db, {
      provider: 'anthropic',
      alias: 'another-name',
      model: 'claude-sonnet-4-5-custom-deploy',
    }).catch((e: unknown) => e);
    expect(chain).toBeInstanceOf(DomainError);
    expect((chain as DomainError).message).toMatch(/^model: .*is itself an alias/);
    const empty = await setModelAlias(database.db, { provider: 'anthropic', alias: '', model: 'x' }).catch(
      (e: unknown) => e,
    );
    expect((empty as DomainError).message).toMatch(/^alias: required/);
    expect(await listModelAliases(database.db)).toEqual(before);
  });
});
