/**
 * `swarm admin` with the packed binary against real databases: `reencrypt-credentials` moving
 * provider keys and webhook secrets (current and previous) from an old key onto a new one, after
 * which a keyring with the new key alone decrypts everything; and `migrate` on an empty database.
 */
import { randomBytes } from 'node:crypto';
import { useApiServer } from '@swarm/api/testing';
import { connectDatabase, getWebhookForCallOf } from '@swarm/db';
import { createSecretKeyring, generateSecretKey, getDecryptedCredential } from '@swarm/providers/store';
import { validWebhookSecrets } from '@swarm/webhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type InstalledCli, installCli } from './cli-harness.ts';

const OLD_KEY = generateSecretKey();
const NEW_KEY = generateSecretKey();
const api = useApiServer({ secretKey: OLD_KEY });
let cli: InstalledCli;

beforeAll(async () => {
  cli = await installCli();
}, 300_000);

afterAll(async () => {
  await cli?.cleanup();
});

describe('swarm admin reencrypt-credentials', () => {
  it('moves every provider key and webhook secret onto the new key; the old key can go', async () => {
    const users = await Promise.all([api.signUp(), api.signUp()]);
    const keys = ['sk-first-user-0123456789abcdef', 'sk-ant-second-user-0123456789'];
    await users[0].client.providers.credentials.set.mutate({ provider: 'openai', apiKey: keys[0]! });
    await users[1].client.providers.credentials.set.mutate({ provider: 'anthropic', apiKey: keys[1]! });
    const workflow = await users[0].client.workflows.create.mutate({ name: 'Hooked' });
    const hook = await users[0].client.webhooks.create.mutate({ workflowId: workflow.id, auth: 'signature' });
    // A regenerated secret: the old one stays valid for a grace period, encrypted as well.
    const rotated = await users[0].client.webhooks.regenerateSecret.mutate({
      id: hook.id,
      graceSeconds: 3600,
    });
    const other = await users[1].client.webhooks.create.mutate({
      workflowId: (await users[1].client.workflows.create.mutate({ name: 'Other' })).id,
      auth: 'url-secret',
    });

    const db = api.database.db;
    const onlyNew = createSecretKeyring({ current: NEW_KEY })!;
    await expect(getDecryptedCredential(db, onlyNew, users[0].user.id, 'openai')).rejects.toThrow();

    const env = { DATABASE_URL: api.database.url, SWARM_SECRET_KEY: NEW_KEY, SWARM_SECRET_KEYS: OLD_KEY };
    const first = await cli.swarm(['admin', 'reencrypt-credentials', '--json'], { env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      credentials: { reencrypted: 2, failed: 0 },
      webhookSecrets: { reencrypted: 2, failed: 0 },
    });

    // With the old key removed, everything still decrypts.
    expect(await getDecryptedCredential(db, onlyNew, users[0].user.id, 'openai')).toBe(keys[0]);
    expect(await getDecryptedCredential(db, onlyNew, users[1].user.id, 'anthropic')).toBe(keys[1]);
    const stored = await getWebhookForCallOf(db, users[0].user.id, hook.id);
    expect(validWebhookSecrets(onlyNew, stored).sort()).toEqual([hook.secret, rotated.secret].sort());
    expect(validWebhookSecrets(onlyNew, await getWebhookForCallOf(db, users[1].user.id, other.id))).toEqual([
      other.secret,
    ]);

    // Resumable and idempotent: a second run finds nothing left to move.
    const again = await cli.swarm(['admin', 'reencrypt-credentials'], {
      env: { ...env, SWARM_SECRET_KEYS: '' },
    });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/provider keys: 0 re-encrypted, 0 failed/);
    expect(again.stdout).toMatch(/webhook secrets: 0 re-encrypted, 0 failed/);
  });

  it('counts what it cannot decrypt and exits 1, leaving it as it was', async () => {
    const { client, user } = await api.signUp();
    await client.providers.credentials.set.mutate({ provider: 'gemini', apiKey: 'gemini-key-0123456789' });
    // Run with a key that never encrypted anything: the gemini key (under OLD_KEY) cannot move.
    const env = {
      DATABASE_URL: api.database.url,
      SWARM_SECRET_KEY: generateSecretKey(),
      SWARM_SECRET_KEYS: NEW_KEY,
    };
    const run = await cli.swarm(['admin', 'reencrypt-credentials', '--json'], { env });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).credentials.failed).toBe(1);
    const oldRing = createSecretKeyring({ current: OLD_KEY })!;
    expect(await getDecryptedCredential(api.database.db, oldRing, user.id, 'gemini')).toBe(
      'gemini-key-0123456789',
    );
  });

  it('refuses without DATABASE_URL or SWARM_SECRET_KEY (exit 2)', async () => {
    expect(
      (await cli.swarm(['admin', 'reencrypt-credentials'], { env: { SWARM_SECRET_KEY: NEW_KEY } })).code,
    ).toBe(2);
    const noKey = await cli.swarm(['admin', 'reencrypt-credentials'], {
      env: { DATABASE_URL: api.database.url },
    });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/SWARM_SECRET_KEY is not set/);
  });
});

describe('swarm admin migrate', () => {
  it('brings an empty database to the current schema, and again is a no-op', async () => {
    const adminUrl = inject('swarmAdminUrl');
    const name = `swarm_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
    const admin = connectDatabase(adminUrl, { max: 1 });
    await admin.sql.unsafe(`create database "${name}"`);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const target = connectDatabase(url.toString(), { max: 1 });
    try {
      const first = await cli.swarm(['admin', 'migrate'], { env: { DATABASE_URL: url.toString() } });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      const tables = await target.sql<{ name: string }[]>`
        select table_schema || '.' || table_name as name from information_schema.tables
        where table_name in ('workflows', 'executions', 'job') order by 1`;
      expect(tables.map((t) => t.name)).toEqual(['pgboss.job', 'public.executions', 'public.workflows']);
      const again = await cli.swarm(['admin', 'migrate', '--json'], {
        env: { DATABASE_URL: url.toString() },
      });
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({ migrated: true });
    } finally {
      await target.close();
      await admin.sql.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.close();
    }
  });
});
