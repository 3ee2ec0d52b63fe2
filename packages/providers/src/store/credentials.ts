/**
 * Provider API keys at rest: AES-256-GCM under a 32-byte key from configuration, never from the
 * database. Each value gets a random 12-byte IV; the 16-byte auth tag is checked on decryption, so
 * a changed byte is an error, never a wrong key handed to a provider. The owner and provider are
 * bound in as additional authenticated data: a ciphertext copied onto another user's row does not
 * decrypt.
 *
 * Rotation: the keyring holds the current key (encrypts) and older keys (decrypt only). Each row
 * stores the id of the key that encrypted it — a fingerprint of the key, so ids never need
 * configuring and two different keys never share one. `reencryptCredentials` moves rows onto the
 * current key; once none is left under an old key, that key can be dropped from configuration.
 *
 * Plaintext keys exist only in memory: never logged (the keyring's own key bytes are private and
 * serialise to their ids), never returned by the API, never in an error message.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import {
  type CredentialSummary,
  type Db,
  type DbOrTx,
  listCredentialsNotUnderKey,
  readEncryptedCredentials,
  replaceCredentialSecret,
  upsertCredential,
} from '@swarm/db';
import type { ProviderId } from '@swarm/engine';
import { parseInput } from '@swarm/engine';
import { z } from 'zod';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ALGORITHM = 'aes-256-gcm';

/** A configured key is wrong (not base64, not 32 bytes); names what to fix, never shows the value. */
export class SecretKeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretKeyConfigError';
  }
}

/** A stored value cannot be decrypted: unknown key id, tampered, or not ours. */
export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretDecryptionError';
  }
}

/** A fresh random key, base64: what `SWARM_SECRET_KEY` holds (`openssl rand -base64 32` works too). */
export function generateSecretKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString('base64');
}

/** Decodes a base64 (or base64url) key of exactly 32 bytes. `label` names the setting in errors. */
export function parseSecretKey(encoded: string, label = 'SWARM_SECRET_KEY'): Buffer {
  const text = encoded.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    throw new SecretKeyConfigError(`${label} is not base64: generate one with \`openssl rand -base64 32\``);
  }
  const key = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== SECRET_KEY_BYTES) {
    throw new SecretKeyConfigError(
      `${label} must decode to ${SECRET_KEY_BYTES} bytes, got ${key.length}: generate one with \`openssl rand -base64 32\``,
    );
  }
  return key;
}

/** A short public fingerprint of a key (domain-separated SHA-256), stored beside each value. */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update('swarm secret key id\0').update(key).digest('hex').slice(0, 16);
}

export interface EncryptedSecret {
  /** base64 of iv ‖ ciphertext ‖ auth tag. */
  secret: string;
  keyId: string;
}

/** The configured keys: the first encrypts, all decrypt. Key bytes stay private to this object. */
export class SecretKeyring {
  // KeyObjects, not Buffers: Node turns a raw key into one on every cipher it makes, through brand
  // checks that cost more than decrypting a webhook secret (a third of a webhook call's crypto in
  // a B2 profile).
  readonly #keys = new Map<string, KeyObject>();
  readonly currentKeyId: string;

  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new SecretKeyConfigError('a keyring needs at least one key');
    for (const key of keys) {
      if (key.length !== SECRET_KEY_BYTES) {
        throw new SecretKeyConfigError(`every key must be ${SECRET_KEY_BYTES} bytes`);
      }
      const id = secretKeyId(key);
      if (!this.#keys.has(id)) this.#keys.set(id, createSecretKey(Buffer.from(key)));
    }
    this.currentKeyId = secretKeyId(keys[0]!);
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  hasKey(keyId: string): boolean {
    return this.#keys.has(keyId);
  }

  /** `context` is authenticated, not encrypted: decryption must present the same one. */
  encrypt(plaintext: string, context: string): EncryptedSecret {
    const key = this.#keys.get(this.currentKeyId)!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      secret: Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64'),
      keyId: this.currentKeyId,
    };
  }

  decrypt(encrypted: EncryptedSecret, context: string): string {
    const key = this.#keys.get(encrypted.keyId);
    if (!key) {
      throw new SecretDecryptionError(
        `encrypted with key ${encrypted.keyId}, which is not configured (configured: ${this.keyIds.join(', ')}); ` +
          'add that key to SWARM_SECRET_KEYS, or store the credential again',
      );
    }
    const raw = Buffer.from(encrypted.secret, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) {
      throw new SecretDecryptionError('the stored value is too short to be an encrypted secret');
    }
    const iv = raw.subarray(0, IV_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError(
        'the stored value failed its integrity check: it was changed, or belongs to another owner or provider; store the credential again',
      );
    }
  }

  /** What logs and JSON see of a keyring: ids, never key bytes. */
  toJSON() {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }
}

/**
 * The keyring from configuration: `current` (e.g. SWARM_SECRET_KEY) first, then `others`
 * (e.g. SWARM_SECRET_KEYS, comma-separated, older keys last). Null when no key is configured:
 * storing credentials is then refused, and stored ones cannot be used.
 */
export function createSecretKeyring(config: {
  current?: string | undefined;
  others?: string | readonly string[] | undefined;
}): SecretKeyring | null {
  const others = typeof config.others === 'string' ? config.others.split(',') : [...(config.others ?? [])];
  const entries = [
    ...(config.current?.trim() ? [{ value: config.current, label: 'SWARM_SECRET_KEY' }] : []),
    ...others
      .map((value) => value.trim())
      .filter(Boolean)
      .map((value, i) => ({ value, label: `SWARM_SECRET_KEYS[${i}]` })),
  ];
  if (entries.length === 0) return null;
  return new SecretKeyring(entries.map((entry) => parseSecretKey(entry.value, entry.label)));
}

export function encryptSecret(keyring: SecretKeyring, plaintext: string, context: string): EncryptedSecret {
  return keyring.encrypt(plaintext, context);
}

export function decryptSecret(keyring: SecretKeyring, encrypted: EncryptedSecret, context: string): string {
  return keyring.decrypt(encrypted, context);
}

// ---------------------------------------------------------------------------------------------
// Stored provider credentials

/** Providers a key can be stored for: every one but the offline mock, which needs none. */
export const CREDENTIAL_PROVIDERS = ['openai', 'anthropic', 'gemini'] as const satisfies readonly Exclude<
  ProviderId,
  'mock'
>[];
export type CredentialProvider = (typeof CREDENTIAL_PROVIDERS)[number];

export const credentialProviderSchema = z.enum(CREDENTIAL_PROVIDERS, {
  error: `one of ${CREDENTIAL_PROVIDERS.join(', ')} (the mock provider needs no key)`,
});

export const credentialInputSchema = z.object({
  provider: credentialProviderSchema,
  apiKey: z
    .string()
    .trim()
    .min(8, 'at least 8 characters')
    .max(4096, 'at most 4096 characters')
    // Keys travel in HTTP headers: a space, newline or non-ASCII character can only be a paste error.
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
});
export type CredentialInput = z.input<typeof credentialInputSchema>;

/** The authenticated context of a credential: its ciphertext only decrypts for this owner and provider. */
const credentialContext = (ownerId: string, provider: string) => `swarm/credential/v1/${ownerId}/${provider}`;

/** Enough to tell two keys apart; nothing for short keys, where four characters would be a real part of it. */
export function credentialHint(apiKey: string): string {
  return apiKey.length >= 16 ? apiKey.slice(-4) : '';
}

/** Encrypts and stores (or replaces) a user's key for a provider. Returns what the user may see. */
export async function storeCredential(
  db: DbOrTx,
  keyring: SecretKeyring,
  ownerId: string,
  input: CredentialInput,
): Promise<CredentialSummary> {
  const { provider, apiKey } = parseInput(credentialInputSchema, input);
  const encrypted = keyring.encrypt(apiKey, credentialContext(ownerId, provider));
  return upsertCredential(db, ownerId, { provider, ...encrypted, hint: credentialHint(apiKey) });
}

/** Decrypts one stored row; the error says which provider's key failed, never its value. */
export function decryptCredential(
  keyring: SecretKeyring,
  ownerId: string,
  stored: { provider: string; secret: string; keyId: string },
): string {
  try {
    return keyring.decrypt(stored, credentialContext(ownerId, stored.provider));
  } catch (error) {
    if (error instanceof SecretDecryptionError) {
      throw new SecretDecryptionError(`the stored ${stored.provider} key cannot be used: ${error.message}`);
    }
    throw error;
  }
}

/**
 * The owner's key for a provider in plaintext, or null when none is stored. For the runner only:
 * the value goes to the provider's SDK and nowhere else.
 */
export async function getDecryptedCredential(
  db: DbOrTx,
  keyring: SecretKeyring,
  ownerId: string,
  provider: ProviderId,
): Promise<string | null> {
  const stored = (await readEncryptedCredentials(db, ownerId)).find((row) => row.provider === provider);
  return stored ? decryptCredential(keyring, ownerId, stored) : null;
}

/**
 * Re-encrypts stored keys that are not under the keyring's current key, in batches. A row that
 * changed meanwhile is left alone (compare-and-set); one that cannot be decrypted is counted and
 * left as it is. Safe to run on several processes at once.
 */
export async function reencryptCredentials(
  db: Db,
  keyring: SecretKeyring,
  options: { batchSize?: number } = {},
): Promise<{ reencrypted: number; failed: number }> {
  return reencryptInBatches({
    batchSize: options.batchSize,
    list: (limit) => listCredentialsNotUnderKey(db, keyring.currentKeyId, limit),
    keyOf: (row) => `${row.ownerId}\0${row.provider}`,
    reencrypt: (row) =>
      keyring.encrypt(
        decryptCredential(keyring, row.ownerId, row),
        credentialContext(row.ownerId, row.provider),
      ),
    replace: (row, next) => replaceCredentialSecret(db, row.ownerId, row.provider, row, next),
  });
}

/**
 * The loop of a key rotation, for every kind of stored secret: rows not under the current key are
 * read in batches and each re-encrypted and written back with a compare-and-set. Each row is tried
 * once per call: one that cannot be decrypted (counted as failed, left as it is) or that changed
 * meanwhile is not read again, so the loop ends whatever other processes do, and a call that was
 * interrupted is simply run again.
 */
export async function reencryptInBatches<Row, Next>(job: {
  batchSize?: number | undefined;
  /** Rows not under the current key, at most `limit` of them. */
  list(limit: number): Promise<Row[]>;
  keyOf(row: Row): string;
  /** The row's secret(s) under the current key; throws when they cannot be decrypted. */
  reencrypt(row: Row): Next;
  /** Writes them if the row is still as read; false when it changed meanwhile. */
  replace(row: Row, next: Next): Promise<boolean>;
}): Promise<{ reencrypted: number; failed: number }> {
  const batchSize = job.batchSize ?? 100;
  let reencrypted = 0;
  let failed = 0;
  const tried = new Set<string>();
  for (;;) {
    const rows = (await job.list(batchSize + tried.size)).filter((row) => !tried.has(job.keyOf(row)));
    if (rows.length === 0) return { reencrypted, failed };
    for (const row of rows) {
      tried.add(job.keyOf(row));
      let next: Next;
      try {
        next = job.reencrypt(row);
      } catch {
        failed += 1;
        continue;
      }
      if (await job.replace(row, next)) reencrypted += 1;
    }
  }
}
