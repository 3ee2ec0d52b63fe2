/**
 * Prices, model aliases and the cross-provider model map (see schema/providers.ts). Provider ids
 * are plain strings here; `@swarm/providers` validates them against its list before writing.
 */
import { ConflictError, DomainError, type ProviderId, type ValidationIssue } from '@swarm/engine';
import { and, asc, desc, eq, lte, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { isUniqueViolation } from '../errors.ts';
import { announceInvalidation } from '../invalidation.ts';
import { modelAliases, modelMap, providerPricing } from '../schema/index.ts';

/**
 * Invalidation topics (whole-topic notices: an alias changes what many keys resolve to) announced
 * by the writers below, for per-process caches of prices and of the model map.
 */
export const PRICES_TOPIC = 'prices';
export const MODEL_MAP_TOPIC = 'model_map';

export interface ModelKey {
  provider: ProviderId;
  model: string;
}

export interface PriceRow {
  id: string;
  provider: ProviderId;
  model: string;
  effectiveFrom: Date;
  inputPerMillionMicros: number;
  outputPerMillionMicros: number;
  cachedInputPerMillionMicros: number | null;
  cacheWritePerMillionMicros: number | null;
  reasoningPerMillionMicros: number | null;
  createdAt: Date;
}

const priceColumns = {
  id: providerPricing.id,
  provider: providerPricing.provider,
  model: providerPricing.model,
  effectiveFrom: providerPricing.effectiveFrom,
  inputPerMillionMicros: providerPricing.inputPerMillionMicros,
  outputPerMillionMicros: providerPricing.outputPerMillionMicros,
  cachedInputPerMillionMicros: providerPricing.cachedInputPerMillionMicros,
  cacheWritePerMillionMicros: providerPricing.cacheWritePerMillionMicros,
  reasoningPerMillionMicros: providerPricing.reasoningPerMillionMicros,
  createdAt: providerPricing.createdAt,
};

/** The canonical name for `model`: its alias target when it has one, else the name itself. */
function canonicalModel(ref: ModelKey): SQL {
  return sql`coalesce((select ${modelAliases.model} from ${modelAliases} where ${modelAliases.provider} = ${ref.provider} and ${modelAliases.alias} = ${ref.model}), ${ref.model})`;
}

export async function resolveModelAlias(db: DbOrTx, ref: ModelKey): Promise<string> {
  const [row] = await db.execute<{ model: string }>(sql`select ${canonicalModel(ref)} as model`);
  return row?.model ?? ref.model;
}

/** The price in effect at `at` (latest `effective_from` ≤ `at`) after resolving an alias, or null. */
export async function priceInEffect(db: DbOrTx, ref: ModelKey, at: Date): Promise<PriceRow | null> {
  const [row] = await db
    .select(priceColumns)
    .from(providerPricing)
    .where(
      and(
        eq(providerPricing.provider, ref.provider),
        eq(providerPricing.model, canonicalModel(ref)),
        lte(providerPricing.effectiveFrom, at),
      ),
    )
    .orderBy(desc(providerPricing.effectiveFrom))
    .limit(1);
  return row ?? null;
}

/**
 * Every price of a model (alias resolved), newest first: what a price cache holds so it can answer
 * for any date without another query.
 */
export async function priceHistory(
  db: DbOrTx,
  ref: ModelKey,
): Promise<{ model: string; prices: PriceRow[] }> {
  const model = await resolveModelAlias(db, ref);
  const prices = await db
    .select(priceColumns)
    .from(providerPricing)
    .where(and(eq(providerPricing.provider, ref.provider), eq(providerPricing.model, model)))
    .orderBy(desc(providerPricing.effectiveFrom));
  return { model, prices };
}

export async function listPrices(
  db: DbOrTx,
  filter: { provider?: ProviderId | undefined; model?: string | undefined } = {},
): Promise<PriceRow[]> {
  const where: SQL[] = [];
  if (filter.provider !== undefined) where.push(eq(providerPricing.provider, filter.provider));
  if (filter.model !== undefined) where.push(eq(providerPricing.model, filter.model));
  return db
    .select(priceColumns)
    .from(providerPricing)
    .where(and(...where))
    .orderBy(asc(providerPricing.provider), asc(providerPricing.model), asc(providerPricing.effectiveFrom));
}

export interface NewPrice {
  provider: ProviderId;
  model: string;
  /** Defaults to the database's now(). */
  effectiveFrom?: Date | undefined;
  inputPerMillionMicros: number;
  outputPerMillionMicros: number;
  cachedInputPerMillionMicros?: number | null | undefined;
  cacheWritePerMillionMicros?: number | null | undefined;
  reasoningPerMillionMicros?: number | null | undefined;
}

const REQUIRED_PRICE_FIELDS = ['inputPerMillionMicros', 'outputPerMillionMicros'] as const;
const OPTIONAL_PRICE_FIELDS = [
  'cachedInputPerMillionMicros',
  'cacheWritePerMillionMicros',
  'reasoningPerMillionMicros',
] as const;

/** The checks the table enforces too, done first so the error names the field. */
function priceIssues(price: NewPrice, prefix: string): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (field: string) => (prefix ? `${prefix}.${field}` : field);
  if (!price.provider?.trim()) issues.push({ path: at('provider'), message: 'required' });
  if (!price.model?.trim()) issues.push({ path: at('model'), message: 'required' });
  if (price.effectiveFrom !== undefined && Number.isNaN(price.effectiveFrom.getTime())) {
    issues.push({ path: at('effectiveFrom'), message: 'not a valid date' });
  }
  const fields = [
    ...REQUIRED_PRICE_FIELDS.map((field) => [field, price[field]] as const),
    ...OPTIONAL_PRICE_FIELDS.map((field) => [field, price[field] ?? null] as const),
  ];
  for (const [field, value] of fields) {
    if (value === null) continue;
    if (!Number.isSafeInteger(value)) {
      issues.push({ path: at(field), message: `must be a whole number of micro-dollars, got ${value}` });
    } else if (value < 0) {
      issues.push({ path: at(field), message: `must not be negative, got ${value}` });
    }
  }
  return issues;
}

function invalidInput(issues: ValidationIssue[]): DomainError {
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new DomainError('BAD_REQUEST', `${first.path}: ${first.message}${more}`, issues);
}

/**
 * Adds prices, all or none, in one transaction. Rows are immutable, so a row for the same
 * provider, model and effective date is a conflict, not an update.
 */
export async function insertPrices(db: DbOrTx, prices: NewPrice[]): Promise<PriceRow[]> {
  const issues = prices.flatMap((price, i) => priceIssues(price, prices.length > 1 ? `[${i}]` : ''));
  if (issues.length > 0) throw invalidInput(issues);
  return db.transaction(async (tx) => {
    const inserted: PriceRow[] = [];
    for (const price of prices) {
      const when = price.effectiveFrom ? price.effectiveFrom.toISOString() : 'now';
      try {
        const [row] = await tx
          .insert(providerPricing)
          .values({
            provider: price.provider,
            model: price.model.trim(),
            effectiveFrom: price.effectiveFrom ?? sql`now()`,
            inputPerMillionMicros: price.inputPerMillionMicros,
            outputPerMillionMicros: price.outputPerMillionMicros,
            cachedInputPerMillionMicros: price.cachedInputPerMillionMicros ?? null,
            cacheWritePerMillionMicros: price.cacheWritePerMillionMicros ?? null,
            reasoningPerMillionMicros: price.reasoningPerMillionMicros ?? null,
          })
          .returning(priceColumns);
        inserted.push(row!);
      } catch (error) {
        if (isUniqueViolation(error)) {
          throw new ConflictError(
            `a price for ${price.provider}/${price.model.trim()} effective ${when} already exists`,
          );
        }
        throw error;
      }
    }
    await announceInvalidation(tx, PRICES_TOPIC);
    return inserted;
  });
}

export async function insertPrice(db: DbOrTx, price: NewPrice): Promise<PriceRow> {
  const [row] = await insertPrices(db, [price]);
  return row!;
}

export interface ModelAlias {
  provider: ProviderId;
  alias: string;
  model: string;
}

/**
 * Points `alias` at a canonical model (replacing an earlier target). Refuses chains: the target
 * must not itself be an alias, and a name other aliases point at cannot become an alias.
 */
export async function upsertModelAlias(db: DbOrTx, input: ModelAlias): Promise<ModelAlias> {
  const alias = input.alias.trim();
  const model = input.model.trim();
  const issues: ValidationIssue[] = [];
  if (!alias) issues.push({ path: 'alias', message: 'required' });
  if (!model) issues.push({ path: 'model', message: 'required' });
  if (alias && alias === model) issues.push({ path: 'alias', message: 'must differ from the model' });
  if (issues.length > 0) throw invalidInput(issues);
  return db.transaction(async (tx) => {
    const [chained] = await tx
      .select({ alias: modelAliases.alias, model: modelAliases.model })
      .from(modelAliases)
      .where(
        and(
          eq(modelAliases.provider, input.provider),
          sql`(${modelAliases.alias} = ${model} or ${modelAliases.model} = ${alias})`,
        ),
      )
      .limit(1);
    if (chained) {
      throw new DomainError(
        'BAD_REQUEST',
        chained.alias === model
          ? `model: "${model}" is itself an alias of "${chained.model}"; point at that model instead`
          : `alias: "${alias}" is the model that "${chained.alias}" points at`,
        [{ path: chained.alias === model ? 'model' : 'alias', message: 'aliases cannot chain' }],
      );
    }
    const [row] = await tx
      .insert(modelAliases)
      .values({ provider: input.provider, alias, model })
      .onConflictDoUpdate({ target: [modelAliases.provider, modelAliases.alias], set: { model } })
      .returning({ provider: modelAliases.provider, alias: modelAliases.alias, model: modelAliases.model });
    // Equivalents are looked up by canonical model, so an alias change moves model-map answers too.
    await announceInvalidation(tx, PRICES_TOPIC);
    await announceInvalidation(tx, MODEL_MAP_TOPIC);
    return row!;
  });
}

export async function listModelAliases(db: DbOrTx, provider?: ProviderId): Promise<ModelAlias[]> {
  return db
    .select({ provider: modelAliases.provider, alias: modelAliases.alias, model: modelAliases.model })
    .from(modelAliases)
    .where(provider === undefined ? undefined : eq(modelAliases.provider, provider))
    .orderBy(asc(modelAliases.provider), asc(modelAliases.alias));
}

export interface ModelMapEntry {
  from: ModelKey;
  position: number;
  to: ModelKey;
}

/** The whole editable model map (or one source model's part of it), in preference order. */
export async function listModelMap(db: DbOrTx, from?: ModelKey): Promise<ModelMapEntry[]> {
  const rows = await db
    .select()
    .from(modelMap)
    .where(
      from === undefined
        ? undefined
        : and(eq(modelMap.fromProvider, from.provider), eq(modelMap.fromModel, from.model)),
    )
    .orderBy(asc(modelMap.fromProvider), asc(modelMap.fromModel), asc(modelMap.position));
  return rows.map((row) => ({
    from: { provider: row.fromProvider, model: row.fromModel },
    position: row.position,
    to: { provider: row.toProvider, model: row.toModel },
  }));
}

/** Equivalents of a model on other providers, in order; an alias is resolved to its model first. */
export async function modelEquivalents(db: DbOrTx, ref: ModelKey): Promise<ModelKey[]> {
  const rows = await db
    .select({ provider: modelMap.toProvider, model: modelMap.toModel })
    .from(modelMap)
    .where(and(eq(modelMap.fromProvider, ref.provider), eq(modelMap.fromModel, canonicalModel(ref))))
    .orderBy(asc(modelMap.position));
  return rows;
}

/** Replaces the equivalents of one source model with `to` (in that order), in one transaction. */
export async function replaceModelEquivalents(db: DbOrTx, from: ModelKey, to: ModelKey[]): Promise<void> {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  to.forEach((target, i) => {
    const key = `${target.provider}\u0000${target.model}`;
    if (!target.model.trim()) issues.push({ path: `to[${i}].model`, message: 'required' });
    else if (target.provider === from.provider && target.model === from.model) {
      issues.push({ path: `to[${i}]`, message: 'a model cannot be its own equivalent' });
    } else if (seen.has(key)) {
      issues.push({ path: `to[${i}]`, message: `${target.provider}/${target.model} is listed twice` });
    }
    seen.add(key);
  });
  if (!from.model.trim()) issues.push({ path: 'from.model', message: 'required' });
  if (issues.length > 0) throw invalidInput(issues);
  await db.transaction(async (tx) => {
    await tx
      .delete(modelMap)
      .where(and(eq(modelMap.fromProvider, from.provider), eq(modelMap.fromModel, from.model)));
    await announceInvalidation(tx, MODEL_MAP_TOPIC);
    if (to.length === 0) return;
    await tx.insert(modelMap).values(
      to.map((target, position) => ({
        fromProvider: from.provider,
        fromModel: from.model,
        position,
        toProvider: target.provider,
        toModel: target.model,
      })),
    );
  });
}
