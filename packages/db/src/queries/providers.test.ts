import { ConflictError, DomainError } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/vitest.ts';
import { insertPrices, listPrices, priceInEffect, resolveModelAlias } from './providers.ts';

const database = useTestDatabase();

const price = (model: string, effectiveFrom: string, input = 1_000_000) => ({
  provider: 'openai' as const,
  model,
  effectiveFrom: new Date(effectiveFrom),
  inputPerMillionMicros: input,
  outputPerMillionMicros: 2 * input,
});

describe('insertPrices', () => {
  it('writes all rows or none: a conflict on the last row leaves the earlier ones unwritten', async () => {
    const before = await listPrices(database.db);
    const error = await insertPrices(database.db, [
      price('batch-model', '2025-01-01T00:00:00Z'),
      price('batch-model', '2025-06-01T00:00:00Z'),
      // Seeded row for gpt-4o on the same date.
      price('gpt-4o', '2024-01-01T00:00:00Z'),
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toBe(
      'a price for openai/gpt-4o effective 2024-01-01T00:00:00.000Z already exists',
    );
    expect(await listPrices(database.db)).toEqual(before);
  });

  it('names the row and field of every bad value and writes nothing', async () => {
    const before = await listPrices(database.db);
    const error = (await insertPrices(database.db, [
      price('ok-model', '2025-01-01T00:00:00Z'),
      { ...price('bad-model', '2025-01-01T00:00:00Z'), outputPerMillionMicros: -5 },
      { ...price('', '2025-01-01T00:00:00Z'), reasoningPerMillionMicros: 1.25 },
    ]).catch((e: unknown) => e)) as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toBe('[1].outputPerMillionMicros: must not be negative, got -5 (and 2 more)');
    expect(error.issues.map((issue) => issue.path)).toEqual([
      '[1].outputPerMillionMicros',
      '[2].model',
      '[2].reasoningPerMillionMicros',
    ]);
    expect(await listPrices(database.db)).toEqual(before);
  });

  it('keeps rows immutable: the database refuses an UPDATE', async () => {
    const [row] = await insertPrices(database.db, [price('immutable-model', '2025-01-01T00:00:00Z')]);
    await expect(
      database.sql`update provider_pricing set input_per_million_micros = 1 where id = ${row!.id}`,
    ).rejects.toThrow(/immutable/);
    await expect(
      database.sql`insert into provider_pricing (provider, model, effective_from, input_per_million_micros, output_per_million_micros)
        values ('openai', 'negative', now(), -1, 0)`,
    ).rejects.toThrow(/provider_pricing_input_nonnegative/);
  });
});

describe('priceInEffect', () => {
  it('resolves an alias first, then takes the latest row not after the date', async () => {
    await insertPrices(database.db, [price('gpt-4o', '2026-01-01T00:00:00Z', 2_000_000)]);
    expect(await resolveModelAlias(database.db, { provider: 'openai', model: 'gpt-4o-2024-11-20' })).toBe(
      'gpt-4o',
    );
    const ref = { provider: 'openai' as const, model: 'gpt-4o-2024-11-20' };
    expect(
      (await priceInEffect(database.db, ref, new Date('2025-12-31T23:59:59Z')))?.inputPerMillionMicros,
    ).toBe(2_500_000);
    expect(
      (await priceInEffect(database.db, ref, new Date('2026-01-01T00:00:00Z')))?.inputPerMillionMicros,
    ).toBe(2_000_000);
    expect(await priceInEffect(database.db, ref, new Date('2023-01-01T00:00:00Z'))).toBeNull();
    expect(await priceInEffect(database.db, { provider: 'openai', model: 'nope' }, new Date())).toBeNull();
  });
});
