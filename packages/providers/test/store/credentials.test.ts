/**
 * Provider keys at rest: AES-256-GCM round trips, every kind of tampering is refused with a clear
 * error, the database row holds nothing readable, and keys rotate without losing stored values.
 */
import { inspect } from 'node:util';
import { listCredentials } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { DomainError } from '@swarm/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createSecretKeyring,
  credentialHint,
  decryptSecret,
  encryptSecret,
  generateSecretKey,
  getDecryptedCredential,
  parseSecretKey,
  reencryptCredentials,
  SecretDecryptionError,
  SecretKeyConfigError,
  SecretKeyring,
  storeCredential,
} from '../../src/store/credentials.ts';

const database = useTestDatabase();

const KEY_A = generateSecretKey();
const KEY_B = generateSecretKey();
const keyringA = createSecretKeyring({ current: KEY_A })!;
const keyringB = createSecretKeyring({ current: KEY_B })!;
const API_KEY = 'sk-proj-Zq8vTtW3LmN0pQrS7uVwXyZ1aBcD';

let userCount = 0;
async function newUser(): Promise<string> {
  userCount += 1;
  const [row] = await database.sql<{ id: string }[]>`
    insert into users (email, password_hash) values (${`cred${userCount}@example.com`}, 'x') returning id`;
  return row!.id;
}

function flipByte(base64: string, index: number): string {
  const raw = Buffer.from(base64, 'base64');
  const at = index < 0 ? raw.length + index : index;
  raw[at] = raw[at]! ^ 0x01;
  return raw.toString('base64');
}

async function errorOf(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, got none');
}

describe('encryptSecret / decryptSecret', () => {
  it('round-trips, with a fresh IV every time', () => {
    const first = encryptSecret(keyringA, API_KEY, 'ctx');
    const second = encryptSecret(keyringA, API_KEY, 'ctx');
    expect(first.secret).not.toBe(second.secret);
    expect(Buffer.from(first.secret, 'base64').subarray(0, 12)).not.toEqual(
      Buffer.from(second.secret, 'base64').subarray(0, 12),
    );
    // iv (12) + ciphertext (same length as the plaintext) + tag (16)
    expect(Buffer.from(first.secret, 'base64')).toHaveLength(12 + API_KEY.length + 16);
    expect(first.keyId).toBe(keyringA.currentKeyId);
    expect(decryptSecret(keyringA, first, 'ctx')).toBe(API_KEY);
    expect(decryptSecret(keyringA, second, 'ctx')).toBe(API_KEY);
  });

  it('refuses a changed IV, ciphertext byte or auth tag, and a different context', async () => {
    const sealed = encryptSecret(keyringA, API_KEY, 'ctx');
    for (const index of [0, 12, 20, -1, -16]) {
      const tampered = { ...sealed, secret: flipByte(sealed.secret, index) };
      const error = await errorOf(() => decryptSecret(keyringA, tampered, 'ctx'));
      expect(error, `byte ${index}`).toBeInstanceOf(SecretDecryptionError);
      expect((error as Error).message).toMatch(/integrity check/);
    }
    const truncated = { ...sealed, secret: Buffer.from('short').toString('base64') };
    expect(await errorOf(() => decryptSecret(keyringA, truncated, 'ctx'))).toBeInstanceOf(
      SecretDecryptionError,
    );
    const elsewhere = await errorOf(() => decryptSecret(keyringA, sealed, 'other ctx'));
    expect((elsewhere as Error).message).toMatch(/integrity check/);
  });

  it('refuses a value under a key it does not have, naming the setting to fix', async () => {
    const sealed = encryptSecret(keyringA, API_KEY, 'ctx');
    const error = await errorOf(() => decryptSecret(keyringB, sealed, 'ctx'));
    expect(error).toBeInstanceOf(SecretDecryptionError);
    expect((error as Error).message).toContain(sealed.keyId);
    expect((error as Error).message).toMatch(/SWARM_SECRET_KEYS/);
    // Relabelled as B's key, it still fails: the tag is checked with B's key bytes.
    const relabelled = { ...sealed, keyId: keyringB.currentKeyId };
    expect((await errorOf(() => decryptSecret(keyringB, relabelled, 'ctx'))) as Error).toBeInstanceOf(
      SecretDecryptionError,
    );
  });

  it('never shows key bytes when a keyring is logged or serialised', () => {
    const raw = parseSecretKey(KEY_A);
    for (const shown of [JSON.stringify(keyringA), inspect(keyringA, { depth: 5, showHidden: true })]) {
      expect(shown).not.toContain(KEY_A);
      expect(shown).not.toContain(raw.toString('hex'));
    }
    expect(JSON.parse(JSON.stringify(keyringA))).toEqual({
      currentKeyId: keyringA.currentKeyId,
      keyIds: [keyringA.currentKeyId],
    });
  });
});

describe('key configuration', () => {
  it('accepts base64 and base64url keys of 32 bytes', () => {
    const raw = parseSecretKey(KEY_A);
    expect(raw).toHaveLength(32);
    expect(parseSecretKey(raw.toString('base64url'))).toEqual(raw);
  });

  it('names the setting for a key that is not base64 or not 32 bytes, without echoing it', async () => {
    const notBase64 = await errorOf(() => parseSecretKey('not a key!', 'SWARM_SECRET_KEY'));
    expect(notBase64).toBeInstanceOf(SecretKeyConfigError);
    expect((notBase64 as Error).message).toMatch(/^SWARM_SECRET_KEY is not base64/);
    const short = Buffer.alloc(16, 7).toString('base64');
    const tooShort = await errorOf(() =>
      createSecretKeyring({ current: KEY_A, others: `${KEY_B},${short}` }),
    );
    expect((tooShort as Error).message).toMatch(/^SWARM_SECRET_KEYS\[1\] must decode to 32 bytes, got 16/);
    expect((tooShort as Error).message).not.toContain(short);
  });

  it('has no keyring without keys; the first key encrypts and duplicates collapse', () => {
    expect(createSecretKeyring({})).toBeNull();
    expect(createSecretKeyring({ current: ' ', others: ' , ' })).toBeNull();
    const both = createSecretKeyring({ current: KEY_B, others: [KEY_A, KEY_B] })!;
    expect(both.currentKeyId).toBe(keyringB.currentKeyId);
    expect(both.keyIds).toEqual([keyringB.currentKeyId, keyringA.currentKeyId]);
    expect(createSecretKeyring({ others: `${KEY_A},${KEY_B}` })!.currentKeyId).toBe(keyringA.currentKeyId);
    expect(() => new SecretKeyring([])).toThrow(SecretKeyConfigError);
  });

  it('shows a hint only for keys long enough that four characters give nothing away', () => {
    expect(credentialHint(API_KEY)).toBe('aBcD');
    expect(credentialHint('short-key-1234')).toBe('');
  });
});

describe('stored credentials', () => {
  let owner: string;
  beforeAll(async () => {
    owner = await newUser();
  });

  it('lists only provider, hint and time; the row holds no readable trace of the key', async () => {
    const summary = await storeCredential(database.db, keyringA, owner, {
      provider: 'openai',
      apiKey: API_KEY,
    });
    expect(summary).toEqual({ provider: 'openai', hint: 'aBcD', updatedAt: expect.any(Date) });
    expect(await listCredentials(database.db, owner)).toEqual([summary]);

    const rows = await database.sql`select * from credentials where owner_id = ${owner}`;
    expect(rows).toHaveLength(1);
    const row = JSON.stringify(rows[0]);
    const plain = Buffer.from(API_KEY);
    for (const trace of [
      API_KEY,
      API_KEY.slice(0, 12),
      plain.toString('base64').slice(0, 16),
      plain.toString('hex').slice(0, 16),
    ]) {
      expect(row).not.toContain(trace);
    }
    expect(rows[0]!.key_id).toBe(keyringA.currentKeyId);
    expect(await getDecryptedCredential(database.db, keyringA, owner, 'openai')).toBe(API_KEY);
    expect(await getDecryptedCredential(database.db, keyringA, owner, 'anthropic')).toBeNull();
  });

  it('replaces the key for the same provider instead of adding a second row', async () => {
    const user = await newUser();
    await storeCredential(database.db, keyringA, user, {
      provider: 'gemini',
      apiKey: 'AIzaSy-first-key-000000000',
    });
    await storeCredential(database.db, keyringA, user, {
      provider: 'gemini',
      apiKey: 'AIzaSy-second-key-11111111',
    });
    expect((await listCredentials(database.db, user)).map((c) => c.hint)).toEqual(['1111']);
    expect(await getDecryptedCredential(database.db, keyringA, user, 'gemini')).toBe(
      'AIzaSy-second-key-11111111',
    );
  });

  it('refuses bad input by path, without echoing the key', async () => {
    const mock = await errorOf(() =>
      storeCredential(database.db, keyringA, owner, { provider: 'mock' as 'openai', apiKey: API_KEY }),
    );
    expect(mock).toBeInstanceOf(DomainError);
    expect((mock as DomainError).issues.map((i) => i.path)).toEqual(['provider']);
    const pasted = 'sk-with a space-in-the-middle';
    const spaced = await errorOf(() =>
      storeCredential(database.db, keyringA, owner, { provider: 'openai', apiKey: pasted }),
    );
    expect((spaced as DomainError).issues).toEqual([
      { path: 'apiKey', message: 'printable ASCII without spaces' },
    ]);
    expect(JSON.stringify((spaced as DomainError).issues) + (spaced as Error).message).not.toContain(pasted);
    expect(await getDecryptedCredential(database.db, keyringA, owner, 'openai')).toBe(API_KEY);
  });

  it('does not decrypt a ciphertext moved onto another user or provider, or changed in the database', async () => {
    const thief = await newUser();
    const victim = await newUser();
    await storeCredential(database.db, keyringA, victim, { provider: 'anthropic', apiKey: API_KEY });
    await database.sql`
      insert into credentials (owner_id, provider, secret, key_id, hint)
      select ${thief}, provider, secret, key_id, hint from credentials where owner_id = ${victim}`;
    const moved = await errorOf(() => getDecryptedCredential(database.db, keyringA, thief, 'anthropic'));
    expect(moved).toBeInstanceOf(SecretDecryptionError);
    expect((moved as Error).message).toMatch(/^the stored anthropic key cannot be used: .*integrity check/);

    await database.sql`update credentials set provider = 'openai' where owner_id = ${thief}`;
    expect(
      await errorOf(() => getDecryptedCredential(database.db, keyringA, thief, 'openai')),
    ).toBeInstanceOf(SecretDecryptionError);

    const [stored] = await database.sql<
      { secret: string }[]
    >`select secret from credentials where owner_id = ${victim}`;
    await database.sql`update credentials set secret = ${flipByte(stored!.secret, 14)} where owner_id = ${victim}`;
    const tampered = await errorOf(() => getDecryptedCredential(database.db, keyringA, victim, 'anthropic'));
    expect((tampered as Error).message).toMatch(/integrity check/);
    expect((tampered as Error).message).not.toContain(API_KEY);
  });

  it('rotates: old values decrypt under their key id, re-encryption moves them to the new key', async () => {
    const user = await newUser();
    await storeCredential(database.db, keyringA, user, { provider: 'openai', apiKey: API_KEY });
    await storeCredential(database.db, keyringA, user, {
      provider: 'gemini',
      apiKey: 'AIzaSy-rotating-key-222222',
    });

    // The new key alone cannot read values stored under the old one, and says which key is missing.
    const newOnly = keyringB;
    const missing = await errorOf(() => getDecryptedCredential(database.db, newOnly, user, 'openai'));
    expect((missing as Error).message).toContain(keyringA.currentKeyId);

    // New key current, old key kept: old rows still decrypt; new rows use the new key.
    const rotated = createSecretKeyring({ current: KEY_B, others: KEY_A })!;
    expect(await getDecryptedCredential(database.db, rotated, user, 'openai')).toBe(API_KEY);
    await storeCredential(database.db, rotated, user, {
      provider: 'anthropic',
      apiKey: 'sk-ant-rotated-key-3333333',
    });
    const keyIds = async () =>
      Object.fromEntries(
        (
          await database.sql<{ provider: string; key_id: string }[]>`
            select provider, key_id from credentials where owner_id = ${user}`
        ).map((r) => [r.provider, r.key_id]),
      );
    expect(await keyIds()).toEqual({
      openai: keyringA.currentKeyId,
      gemini: keyringA.currentKeyId,
      anthropic: keyringB.currentKeyId,
    });

    // A broken row under the old key is counted and left as it is, not lost or looped on.
    const broken = await newUser();
    await database.sql`
      insert into credentials (owner_id, provider, secret, key_id, hint)
      values (${broken}, 'openai', ${Buffer.alloc(40, 1).toString('base64')}, ${keyringA.currentKeyId}, '')`;

    const result = await reencryptCredentials(database.db, rotated, { batchSize: 1 });
    // Other tests' rows under key A are moved too.
    expect(result.reencrypted).toBeGreaterThanOrEqual(2);
    expect(result.failed).toBeGreaterThanOrEqual(1);
    const [brokenRow] = await database.sql<
      { key_id: string }[]
    >`select key_id from credentials where owner_id = ${broken}`;
    expect(brokenRow!.key_id).toBe(keyringA.currentKeyId);
    expect(await keyIds()).toEqual({
      openai: keyringB.currentKeyId,
      gemini: keyringB.currentKeyId,
      anthropic: keyringB.currentKeyId,
    });
    // The old key can now go.
    expect(await getDecryptedCredential(database.db, newOnly, user, 'openai')).toBe(API_KEY);
    expect(await getDecryptedCredential(database.db, newOnly, user, 'gemini')).toBe(
      'AIzaSy-rotating-key-222222',
    );
    expect(await reencryptCredentials(database.db, rotated)).toEqual({
      reencrypted: 0,
      failed: result.failed,
    });
  });
});
