/**
 * Passwords and bearer secrets. Passwords are hashed with argon2id (OWASP parameters); session and
 * API tokens are random, shown to their owner once, and stored only as SHA-256 hashes — they have
 * 256 bits of entropy, so a fast hash is enough and lookups stay a single indexed read.
 */

import { createHash, randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, ARGON2);

// Verifying against this when the email is unknown keeps "no such user" as slow as "wrong password".
const decoyHash = hash('decoy password that never matches', ARGON2);

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) {
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  return verify(passwordHash, password).catch(() => false);
}

/** Session tokens (`sws_…`) and API tokens (`swt_…`) are told apart by their prefix. */
export type TokenKind = 'session' | 'api';
const PREFIX: Record<TokenKind, string> = { session: 'sws_', api: 'swt_' };

export function generateToken(kind: TokenKind): string {
  return PREFIX[kind] + randomBytes(32).toString('base64url');
}

export function tokenKind(token: string): TokenKind | null {
  if (token.startsWith(PREFIX.session)) return 'session';
  if (token.startsWith(PREFIX.api)) return 'api';
  return null;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** What users see in a token list to recognise a token: its kind prefix and first characters. */
export const tokenDisplayPrefix = (token: string) => token.slice(0, 12);
