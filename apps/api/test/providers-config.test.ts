/**
 * The providers router on a server configured the strict way: no SWARM_SECRET_KEY (storing keys
 * is refused, saying what to set) and an admin list (only admins change prices and the model map).
 */
import { generateSecretKey } from '@swarm/providers/store';
import { describe, expect, it } from 'vitest';
import { parseApiEnv, providerAdminEmails } from '../src/env.ts';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const ADMIN = 'prices-admin@example.com';
const api = useApiServer({ providerAdminEmails: [ADMIN] });

describe('providers without a secret key and with an admin list', () => {
  it('refuses to store a key without SWARM_SECRET_KEY, and stores nothing', async () => {
    const { client } = await api.signUp();
    await expectApiError(
      client.providers.credentials.set.mutate({ provider: 'openai', apiKey: 'sk-no-key-configured-1234' }),
      'PRECONDITION_FAILED',
      { message: /set SWARM_SECRET_KEY/ },
    );
    expect(await client.providers.credentials.list.query()).toEqual([]);
    const [row] = await api.database.sql<{ n: number }[]>`select count(*)::int as n from credentials`;
    expect(row!.n).toBe(0);
  });

  it('lets only listed admins change prices and the model map; everyone may read them', async () => {
    const someone = await api.signUp();
    const admin = await api.signUp('Prices-Admin@Example.com');
    const price = {
      provider: 'mock' as const,
      model: 'admin-only',
      inputPerMillionMicros: 1,
      outputPerMillionMicros: 2,
    };
    const mapping = {
      from: { provider: 'mock' as const, model: 'admin-only' },
      to: [{ provider: 'mock' as const, model: 'echo' }],
    };

    await expectApiError(someone.client.providers.pricing.upsert.mutate(price), 'FORBIDDEN', {
      message: /SWARM_ADMIN_EMAILS/,
    });
    await expectApiError(someone.client.providers.modelMap.upsert.mutate(mapping), 'FORBIDDEN');
    expect(await someone.client.providers.pricing.list.query({ model: 'admin-only' })).toEqual([]);

    await admin.client.providers.pricing.upsert.mutate(price);
    await admin.client.providers.modelMap.upsert.mutate(mapping);
    expect(await someone.client.providers.pricing.list.query({ model: 'admin-only' })).toHaveLength(1);
    expect((await someone.client.providers.modelMap.list.query()).map((e) => e.from.model)).toContain(
      'admin-only',
    );
  });
});

describe('API configuration of the secret key and admins', () => {
  const base = { DATABASE_URL: 'postgres://localhost/swarm' };

  it('requires SWARM_SECRET_KEY in production, and no admin list there means nobody', () => {
    expect(() => parseApiEnv({ ...base, NODE_ENV: 'production' })).toThrow(
      /SWARM_SECRET_KEY: required in production/,
    );
    const env = parseApiEnv({ ...base, NODE_ENV: 'production', SWARM_SECRET_KEY: generateSecretKey() });
    expect(providerAdminEmails(env)).toEqual([]);
    expect(
      providerAdminEmails(
        parseApiEnv({
          ...base,
          NODE_ENV: 'production',
          SWARM_SECRET_KEYS: generateSecretKey(),
          SWARM_ADMIN_EMAILS: 'Ops@Example.com, b@example.com',
        }),
      ),
    ).toEqual(['ops@example.com', 'b@example.com']);
  });

  it('is optional in development, where any signed-in user may edit prices', () => {
    const env = parseApiEnv({ ...base, SWARM_SECRET_KEY: '' });
    expect(env.SWARM_SECRET_KEY).toBeUndefined();
    expect(providerAdminEmails(env)).toBeNull();
  });

  it('refuses a malformed key by name, without echoing it', () => {
    const short = Buffer.alloc(31, 9).toString('base64');
    const attempt = () => parseApiEnv({ ...base, SWARM_SECRET_KEY: short });
    expect(attempt).toThrow(/SWARM_SECRET_KEY: SWARM_SECRET_KEY must decode to 32 bytes, got 31/);
    expect(attempt).not.toThrow(short);
  });
});
