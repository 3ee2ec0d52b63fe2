/**
 * Accounts: sign-up, login (rate limited), sessions and API tokens. Routers stay thin and call
 * this; it holds the rules (email normalisation, equal answers for unknown user and wrong
 * password, token hashing).
 *
 * Every authenticated request resolves its token, so the lookup is cached per process (given an
 * invalidation feed): logout and revocation announce the token hash in their transaction and every
 * process drops it; a session's expiry is checked on each use, cached or not; entries live
 * `tokenCacheTtlMs` at most. "Last used" is written from here, at most once a minute per token.
 */
import {
  AUTH_INVALIDATION_TOPIC,
  createApiToken,
  createSession,
  createUser,
  type Db,
  deleteSession,
  findApiTokenGrant,
  findSessionGrant,
  findUserForLogin,
  hitRateLimit,
  type InvalidationFeed,
  LAST_USED_REFRESH_MS,
  listApiTokens,
  type PublicUser,
  resetRateLimit,
  revokeApiToken,
  type TokenGrant,
  touchApiToken,
  touchSession,
} from '@swarm/db';
import { DomainError, NotFoundError } from '@swarm/engine';
import {
  generateToken,
  hashPassword,
  hashToken,
  tokenDisplayPrefix,
  tokenKind,
  verifyPassword,
} from './secrets.ts';

export interface AuthLimits {
  sessionTtlDays: number;
  /** Login attempts per email per window, and per client address per window. */
  loginPerEmail: number;
  loginPerIp: number;
  loginWindowSeconds: number;
  signupPerIp: number;
  signupWindowSeconds: number;
}

export const defaultAuthLimits: AuthLimits = {
  sessionTtlDays: 30,
  loginPerEmail: 10,
  loginPerIp: 100,
  loginWindowSeconds: 15 * 60,
  signupPerIp: 20,
  signupWindowSeconds: 60 * 60,
};

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

function tooMany(what: string, windowSeconds: number) {
  const minutes = Math.ceil(windowSeconds / 60);
  return new DomainError('TOO_MANY_REQUESTS', `Too many ${what}; try again in up to ${minutes} minutes.`);
}

export type AuthService = ReturnType<typeof createAuthService>;

/** How long a token lookup is reused when no invalidation notice dropped it earlier. */
export const TOKEN_CACHE_TTL_MS = 30_000;

export interface AuthServiceOptions {
  /** Caches token lookups across requests; absent: every request reads its token's row. */
  invalidations?: InvalidationFeed | undefined;
  tokenCacheTtlMs?: number | undefined;
}

export function createAuthService(
  db: Db,
  limits: AuthLimits = defaultAuthLimits,
  options: AuthServiceOptions = {},
) {
  const lookup = (find: (db: Db, tokenHash: string) => Promise<TokenGrant | null>) => {
    const load = (tokenHash: string) => find(db, tokenHash);
    const cache = options.invalidations?.cache(AUTH_INVALIDATION_TOPIC, {
      ttlMs: options.tokenCacheTtlMs ?? TOKEN_CACHE_TTL_MS,
      load,
    });
    if (!cache) return load;
    return async (tokenHash: string) => {
      const grant = await cache.get(tokenHash);
      // Unknown tokens are not kept: nobody presents a token before it exists, and random ones
      // would only fill the cache.
      if (!grant) cache.invalidate(tokenHash);
      return grant;
    };
  };
  const sessionGrant = lookup(findSessionGrant);
  const apiTokenGrant = lookup(findApiTokenGrant);

  /** Writes "last used" when the value read (or last written by this process) is a minute old. */
  async function markUsed(grant: TokenGrant, touch: (db: Db, id: string) => Promise<void>) {
    const now = Date.now();
    if (grant.lastUsedAt !== null && now - grant.lastUsedAt.getTime() < LAST_USED_REFRESH_MS) return;
    // Set first: concurrent requests with the same cached grant write once.
    grant.lastUsedAt = new Date(now);
    await touch(db, grant.id);
  }

  async function startSession(user: PublicUser) {
    const token = generateToken('session');
    const expiresAt = new Date(Date.now() + limits.sessionTtlDays * 86_400_000);
    await createSession(db, { userId: user.id, tokenHash: hashToken(token), expiresAt });
    return { user, token, expiresAt };
  }

  return {
    async signup(input: { email: string; password: string; name?: string | undefined }, ip: string) {
      if ((await hitRateLimit(db, `signup:ip:${ip}`, limits.signupWindowSeconds)) > limits.signupPerIp) {
        throw tooMany('sign-ups from this address', limits.signupWindowSeconds);
      }
      const user = await createUser(db, {
        email: normalizeEmail(input.email),
        name: input.name?.trim() ?? '',
        passwordHash: await hashPassword(input.password),
      });
      return startSession(user);
    },

    async login(input: { email: string; password: string }, ip: string) {
      const email = normalizeEmail(input.email);
      const perEmail = await hitRateLimit(db, `login:email:${email}`, limits.loginWindowSeconds);
      const perIp = await hitRateLimit(db, `login:ip:${ip}`, limits.loginWindowSeconds);
      if (perEmail > limits.loginPerEmail || perIp > limits.loginPerIp) {
        throw tooMany('login attempts', limits.loginWindowSeconds);
      }
      const found = await findUserForLogin(db, email);
      // One answer for "no such user" and "wrong password", so emails can't be probed.
      if (!(await verifyPassword(found?.passwordHash ?? null, input.password)) || !found) {
        throw new DomainError('UNAUTHORIZED', 'Email or password is incorrect.');
      }
      await resetRateLimit(db, `login:email:${email}`);
      const { passwordHash: _, ...user } = found;
      return startSession(user);
    },

    async logout(sessionTokenHash: string | null) {
      if (!sessionTokenHash) return;
      await deleteSession(db, sessionTokenHash);
      // This process refuses it from the next request on; others when the notice arrives.
      options.invalidations?.invalidate(AUTH_INVALIDATION_TOPIC, sessionTokenHash);
    },

    /** The user behind a session or API token, or null for anything unknown, expired or revoked. */
    async resolveToken(token: string): Promise<{ user: PublicUser; sessionTokenHash: string | null } | null> {
      const kind = tokenKind(token);
      if (!kind) return null;
      const tokenHash = hashToken(token);
      const grant = await (kind === 'session' ? sessionGrant : apiTokenGrant)(tokenHash);
      // A cached session may have expired since it was read.
      if (!grant || (grant.expiresAt !== null && grant.expiresAt.getTime() <= Date.now())) return null;
      await markUsed(grant, kind === 'session' ? touchSession : touchApiToken);
      return { user: grant.user, sessionTokenHash: kind === 'session' ? tokenHash : null };
    },

    async createApiToken(userId: string, name: string) {
      const token = generateToken('api');
      const apiToken = await createApiToken(db, {
        userId,
        name,
        tokenHash: hashToken(token),
        tokenPrefix: tokenDisplayPrefix(token),
      });
      return { token, apiToken };
    },

    listApiTokens: (userId: string) => listApiTokens(db, userId),

    async revokeApiToken(userId: string, id: string) {
      if (!(await revokeApiToken(db, userId, id))) throw new NotFoundError('API token');
      // The token's hash is not at hand: drop this process's cached lookups (rare, and cheap to redo).
      options.invalidations?.invalidate(AUTH_INVALIDATION_TOPIC);
    },
  };
}
