/** Users, sessions and API tokens. Token values never reach this layer: only their hashes. */
import { ConflictError } from '@swarm/engine';
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { isUniqueViolation } from '../errors.ts';
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

// "Last used" is for humans reading a token list; refreshing it at most once a minute keeps every
// authenticated request from also being a write.
const STALE_LAST_USED = sql`now() - interval '1 minute'`;

/** Resolves a session token hash to its user; expired sessions resolve to nothing. */
export async function findSessionUser(db: DbOrTx, tokenHash: string): Promise<PublicUser | null> {
  const [row] = await db
    .select({ ...publicUserColumns, sessionId: sessions.id })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, sql`now()`)));
  if (!row) return null;
  const { sessionId, ...user } = row;
  await db
    .update(sessions)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(sessions.id, sessionId), lt(sessions.lastUsedAt, STALE_LAST_USED)));
  return user;
}

export async function deleteSession(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
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

/** Revokes a token the user owns; false when there is no such live token of theirs. */
export async function revokeApiToken(db: DbOrTx, userId: string, id: string): Promise<boolean> {
  const rows = await db
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  return rows.length > 0;
}

/** Resolves a live (not revoked) API token hash to its user. */
export async function findApiTokenUser(db: DbOrTx, tokenHash: string): Promise<PublicUser | null> {
  const [row] = await db
    .select({ ...publicUserColumns, tokenId: apiTokens.id })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, tokenHash), isNull(apiTokens.revokedAt)));
  if (!row) return null;
  const { tokenId, ...user } = row;
  await db
    .update(apiTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(
      and(
        eq(apiTokens.id, tokenId),
        or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, STALE_LAST_USED)),
      ),
    );
  return user;
}
