/**
 * OpenAI-compatible credentials (named endpoints per user) and the prices users give their models.
 * Ciphertext only: encryption lives in `@swarm/providers/store` (compatible.ts). Every query takes
 * the owner's id, so one user can neither read, price nor delete another's endpoint.
 */
import { NotFoundError } from '@swarm/engine';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { compatibleCredentials, compatiblePrices } from '../schema/index.ts';

/** What a user may see of a stored endpoint: never the key or the header values. */
export interface CompatibleCredentialSummary {
  name: string;
  baseUrl: string;
  headerNames: string[];
  stream: boolean;
  hint: string;
  updatedAt: Date;
}

/** A stored endpoint as the runner reads it: the secret still encrypted. */
export interface EncryptedCompatibleCredential {
  id: string;
  name: string;
  baseUrl: string;
  stream: boolean;
  secret: string;
  keyId: string;
}

export interface CompatiblePriceRow {
  id: string;
  credential: string;
  model: string;
  inputPerMillionMicros: number;
  outputPerMillionMicros: number;
  updatedAt: Date;
}

const summaryColumns = {
  name: compatibleCredentials.name,
  baseUrl: compatibleCredentials.baseUrl,
  headerNames: compatibleCredentials.headerNames,
  stream: compatibleCredentials.stream,
  hint: compatibleCredentials.hint,
  updatedAt: compatibleCredentials.updatedAt,
};

/** Stores (or replaces, by name) one of the owner's endpoints. Its prices are kept. */
export async function upsertCompatibleCredential(
  db: DbOrTx,
  ownerId: string,
  input: {
    name: string;
    baseUrl: string;
    headerNames: string[];
    stream: boolean;
    secret: string;
    keyId: string;
    hint: string;
  },
): Promise<CompatibleCredentialSummary> {
  const { name: _name, ...changes } = input;
  const [row] = await db
    .insert(compatibleCredentials)
    .values({ ownerId, ...input })
    .onConflictDoUpdate({
      target: [compatibleCredentials.ownerId, compatibleCredentials.name],
      set: { ...changes, updatedAt: sql`now()` },
    })
    .returning(summaryColumns);
  return row!;
}

export async function listCompatibleCredentials(
  db: DbOrTx,
  ownerId: string,
): Promise<CompatibleCredentialSummary[]> {
  return db
    .select(summaryColumns)
    .from(compatibleCredentials)
    .where(eq(compatibleCredentials.ownerId, ownerId))
    .orderBy(asc(compatibleCredentials.name));
}

/** Removes an endpoint and its prices; NOT_FOUND when the owner has none by that name. */
export async function deleteCompatibleCredential(db: DbOrTx, ownerId: string, name: string): Promise<void> {
  const rows = await db
    .delete(compatibleCredentials)
    .where(and(eq(compatibleCredentials.ownerId, ownerId), eq(compatibleCredentials.name, name)))
    .returning({ id: compatibleCredentials.id });
  if (rows.length === 0) throw new NotFoundError(`an OpenAI-compatible credential named "${name}"`);
}

/** One of the owner's endpoints, encrypted, or null. For the runner only; never for an API answer. */
export async function readEncryptedCompatibleCredential(
  db: DbOrTx,
  ownerId: string,
  name: string,
): Promise<EncryptedCompatibleCredential | null> {
  const [row] = await db
    .select({
      id: compatibleCredentials.id,
      name: compatibleCredentials.name,
      baseUrl: compatibleCredentials.baseUrl,
      stream: compatibleCredentials.stream,
      secret: compatibleCredentials.secret,
      keyId: compatibleCredentials.keyId,
    })
    .from(compatibleCredentials)
    .where(and(eq(compatibleCredentials.ownerId, ownerId), eq(compatibleCredentials.name, name)));
  return row ?? null;
}

const priceColumns = {
  id: compatiblePrices.id,
  credential: compatibleCredentials.name,
  model: compatiblePrices.model,
  inputPerMillionMicros: compatiblePrices.inputPerMillionMicros,
  outputPerMillionMicros: compatiblePrices.outputPerMillionMicros,
  updatedAt: compatiblePrices.updatedAt,
};

/** Sets the owner's price for a model on one of their endpoints (NOT_FOUND without that endpoint). */
export async function setCompatiblePrice(
  db: DbOrTx,
  ownerId: string,
  input: { credential: string; model: string; inputPerMillionMicros: number; outputPerMillionMicros: number },
): Promise<CompatiblePriceRow> {
  const [credential] = await db
    .select({ id: compatibleCredentials.id })
    .from(compatibleCredentials)
    .where(and(eq(compatibleCredentials.ownerId, ownerId), eq(compatibleCredentials.name, input.credential)));
  if (!credential) throw new NotFoundError(`an OpenAI-compatible credential named "${input.credential}"`);
  const prices = {
    inputPerMillionMicros: input.inputPerMillionMicros,
    outputPerMillionMicros: input.outputPerMillionMicros,
  };
  const [row] = await db
    .insert(compatiblePrices)
    .values({ credentialId: credential.id, model: input.model, ...prices })
    .onConflictDoUpdate({
      target: [compatiblePrices.credentialId, compatiblePrices.model],
      set: { ...prices, updatedAt: sql`now()` },
    })
    .returning({ id: compatiblePrices.id, updatedAt: compatiblePrices.updatedAt });
  return {
    id: row!.id,
    credential: input.credential,
    model: input.model,
    ...prices,
    updatedAt: row!.updatedAt,
  };
}

/** The owner's prices, per endpoint and model. */
export async function listCompatiblePrices(db: DbOrTx, ownerId: string): Promise<CompatiblePriceRow[]> {
  return db
    .select(priceColumns)
    .from(compatiblePrices)
    .innerJoin(compatibleCredentials, eq(compatibleCredentials.id, compatiblePrices.credentialId))
    .where(eq(compatibleCredentials.ownerId, ownerId))
    .orderBy(asc(compatibleCredentials.name), asc(compatiblePrices.model));
}

/** Removes a price (that model is unpriced again); NOT_FOUND when the owner has no such price. */
export async function deleteCompatiblePrice(
  db: DbOrTx,
  ownerId: string,
  input: { credential: string; model: string },
): Promise<void> {
  const rows = await db
    .delete(compatiblePrices)
    .where(
      and(
        eq(compatiblePrices.model, input.model),
        sql`${compatiblePrices.credentialId} in (select ${compatibleCredentials.id} from ${compatibleCredentials} where ${compatibleCredentials.ownerId} = ${ownerId} and ${compatibleCredentials.name} = ${input.credential})`,
      ),
    )
    .returning({ id: compatiblePrices.id });
  if (rows.length === 0) throw new NotFoundError(`a price for ${input.model} on "${input.credential}"`);
}

/** The price of a model on the owner's endpoint, or null (unpriced). */
export async function compatiblePriceFor(
  db: DbOrTx,
  ownerId: string,
  credential: string,
  model: string,
): Promise<CompatiblePriceRow | null> {
  const [row] = await db
    .select(priceColumns)
    .from(compatiblePrices)
    .innerJoin(compatibleCredentials, eq(compatibleCredentials.id, compatiblePrices.credentialId))
    .where(
      and(
        eq(compatibleCredentials.ownerId, ownerId),
        eq(compatibleCredentials.name, credential),
        eq(compatiblePrices.model, model),
      ),
    );
  return row ?? null;
}
