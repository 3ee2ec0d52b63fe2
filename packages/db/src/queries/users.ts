/** Users, sessions and API tokens. Token values never reach this layer: only their hashes. */
import { ConflictError } from '@swarm/engine';
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import { type DbOrTx, inTransaction } from '../client.ts';
import { isUniqueViolation } from '../errors.ts';
import { announceInvalidation } from '../invalidation.ts';
import { apiTokens, sessions, users } from '../schema/index.ts';

export interface PublicUser {
  id: string;
  email: string;
  name: string;
  createdAt: Date;
}

const publicUserColumns = { id: users.id, email: users.email, name: users.name, createdAt: users.createdAt };

export async function createUser(
  db: DbOrTx,
  input: { email: string; name: string; passwordHash: string },
): Promise<PublicUser> {
  try {
    const [user] = await db.insert(users).values(input).returning(publicUserColumns);
    return user!;
  } catch (error) {
    if (isUniqueViolation(error)) throw new ConflictError('an account with this email already exists');
    throw error;
  }
}

export async function findUserForLogin(db: DbOrTx, email: string) {
  const [row] = await db
    .select({ ...publicUserColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, email));
  return row ?? null;
}

export async function getUser(db: DbOrTx, id: string): Promise<PublicUser | null> {
  const [row] = await db.select(publicUserColumns).from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function countUsers(db: DbOrTx): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
  return row?.n ?? 0;
}

export async function createSession(
  db: DbOrTx,
  input: { userId: string; tokenHash: string; expiresAt: Date },
) {
  const [row] = await db.insert(sessions).values(input).returning({ id: sessions.id });
  return row!;
}

/**
 * The invalidation topic of cached token lookups (key: the token hash). Whatever ends or changes
 * what a token grants announces it in its transaction, so no API process keeps honouring it.
 */
export const AUTH_INVALIDATION_TOPIC = 'auth';

/**
 * "Last used" is for humans reading a token list: refreshed at most this often, so an authenticated
 * request is not also a write.
 */
export const LAST_USED_REFRESH_MS = 60_000;
const STALE_LAST_USED = sql`now() - make_interval(secs => ${LAST_USED_REFRESH_MS / 1000})`;

/** What a session or API token grants, as read once and then cached by the API. */
export interface TokenGrant {
  /** The session's or API token's id. */
  id: string;
  user: PublicUser;
  /** Sessions end then (checked on every use, cached or not); API tokens do not expire. */
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** The live session behind a token hash; expired sessions resolve to nothing. Reads only. */
export async function findSessionGrant(db: DbOrTx, tokenHash: string): Promise<TokenGrant | null> {
  const [row] = await db
    .select({
      user: publicUserColumns,
      id: sessions.id,
      expiresAt: sessions.expiresAt,
      lastUsedAt: sessions.lastUsedAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, sql`now()`)));
  return row ?? null;
}

/** Marks a session used now, unless another process did within `LAST_USED_REFRESH_MS`. */
export async function touchSession(db: DbOrTx, id: string): Promise<void> {
  await db
    .update(sessions)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(sessions.id, id), lt(sessions.lastUsedAt, STALE_LAST_USED)));
}

/** Ends the session of a token hash, in every API process at once. */
export async function deleteSession(db: DbOrTx, tokenHash: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    await tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
    await announceInvalidation(tx, AUTH_INVALIDATION_TOPIC, tokenHash);
  });
}

export async function createApiToken(
  db: DbOrTx,
  input: { userId: string; name: string; tokenHash: string; tokenPrefix: string },
) {
  const [row] = await db.insert(apiTokens).values(input).returning(apiTokenColumns);
  return row!;
}

const apiTokenColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  tokenPrefix: apiTokens.tokenPrefix,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

export async function listApiTokens(db: DbOrTx, userId: string) {
  return db
    .select(apiTokenColumns)
    .from(apiTokens)
    .where(eq(apiTokens.userId, userId))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

/** Revokes a token the user owns (in every API process at once); false when there is no such live token of theirs. */
export async function revokeApiToken(db: DbOrTx, userId: string, id: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const [row] = await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
      .returning({ tokenHash: apiTokens.tokenHash });
    if (!row) return false;
    await announceInvalidation(tx, AUTH_INVALIDATION_TOPIC, row.tokenHash);
    return true;
  });
}

/** The live (not revoked) API token behind a token hash. Reads only. */
export async function findApiTokenGrant(db: DbOrTx, tokenHash: string): Promise<TokenGrant | null> {
  const [row] = await db
    .select({ user: publicUserColumns, id: apiTokens.id, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
  return row ? { ...row, expiresAt: null } : null;
}

/** Marks an API token used now, unless another process did within `LAST_USED_REFRESH_MS`. */
export async function touchApiToken(db: DbOrTx, id: string): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, STALE_LAST_USED))),
    );
}
