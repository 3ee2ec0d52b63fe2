/**
 * Provider API keys per user (`credentials`). This module only moves ciphertext: encryption and
 * decryption live in `@swarm/providers/store` (credentials.ts), with the key from configuration, so the
 * database never sees a plaintext key and a database dump alone opens nothing.
 */
import { NotFoundError, type ProviderId } from '@swarm/engine';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { credentials } from '../schema/index.ts';

/** What a user may see of a stored key: which provider, a hint to tell keys apart, when it changed. */
export interface CredentialSummary {
  provider: ProviderId;
  hint: string;
  updatedAt: Date;
}

/** A stored key as the runner reads it: still encrypted, with the id of the key that encrypted it. */
export interface EncryptedCredential {
  provider: ProviderId;
  secret: string;
  keyId: string;
}

const summaryColumns = {
  provider: credentials.provider,
  hint: credentials.hint,
  updatedAt: credentials.updatedAt,
};

const encryptedColumns = {
  provider: credentials.provider,
  secret: credentials.secret,
  keyId: credentials.keyId,
};

/** Stores (or replaces) the owner's key for a provider. */
export async function upsertCredential(
  db: DbOrTx,
  ownerId: string,
  input: { provider: ProviderId; secret: string; keyId: string; hint: string },
): Promise<CredentialSummary> {
  const [row] = await db
    .insert(credentials)
    .values({ ownerId, ...input })
    .onConflictDoUpdate({
      target: [credentials.ownerId, credentials.provider],
      set: { secret: input.secret, keyId: input.keyId, hint: input.hint, updatedAt: sql`now()` },
    })
    .returning(summaryColumns);
  return row!;
}

/** The owner's stored keys, without their values. */
export async function listCredentials(db: DbOrTx, ownerId: string): Promise<CredentialSummary[]> {
  return db
    .select(summaryColumns)
    .from(credentials)
    .where(eq(credentials.ownerId, ownerId))
    .orderBy(asc(credentials.provider));
}

/** Removes the owner's key for a provider; NOT_FOUND when there is none (or it is someone else's). */
export async function deleteCredential(db: DbOrTx, ownerId: string, provider: ProviderId): Promise<void> {
  const rows = await db
    .delete(credentials)
    .where(and(eq(credentials.ownerId, ownerId), eq(credentials.provider, provider)))
    .returning({ id: credentials.id });
  if (rows.length === 0) throw new NotFoundError(`a stored ${provider} key`);
}

/** Every stored key of one owner, encrypted. For the runner only; never for an API answer. */
export async function readEncryptedCredentials(db: DbOrTx, ownerId: string): Promise<EncryptedCredential[]> {
  return db.select(encryptedColumns).from(credentials).where(eq(credentials.ownerId, ownerId));
}

/** Stored keys not encrypted with `currentKeyId`, oldest first: what a key rotation re-encrypts. */
export async function listCredentialsNotUnderKey(
  db: DbOrTx,
  currentKeyId: string,
  limit: number,
): Promise<Array<EncryptedCredential & { ownerId: string }>> {
  return db
    .select({ ownerId: credentials.ownerId, ...encryptedColumns })
    .from(credentials)
    .where(sql`${credentials.keyId} <> ${currentKeyId}`)
    .orderBy(asc(credentials.updatedAt))
    .limit(limit);
}

/**
 * Replaces a stored secret only if it is still the one that was read (compare-and-set), so a key
 * the user changed in the meantime is never overwritten by a rotation. Returns whether it did.
 */
export async function replaceCredentialSecret(
  db: DbOrTx,
  ownerId: string,
  provider: ProviderId,
  expected: { secret: string; keyId: string },
  next: { secret: string; keyId: string },
): Promise<boolean> {
  const rows = await db
    .update(credentials)
    .set({ secret: next.secret, keyId: next.keyId })
    .where(
      and(
        eq(credentials.ownerId, ownerId),
        eq(credentials.provider, provider),
        eq(credentials.secret, expected.secret),
        eq(credentials.keyId, expected.keyId),
      ),
    )
    .returning({ id: credentials.id });
  return rows.length > 0;
}
