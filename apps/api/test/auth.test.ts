import { createSwarmClient } from '@swarm/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startApiServer } from '../src/server.ts';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer({ authLimits: { loginPerEmail: 3 } });

async function countRows(table: 'users' | 'sessions' | 'api_tokens') {
  const [row] = await api.database.sql<
    { n: number }[]
  >`select count(*)::int as n from ${api.database.sql(table)}`;
  return row!.n;
}

describe('sign-up and login', () => {
  it('signs up with a normalised email and returns a token that works as a Bearer token', async () => {
    const { user, token } = await api.anonymous().auth.signup.mutate({
      email: '  Ada@Example.COM ',
      password: 'analytical engine',
      name: 'Ada',
    });
    expect(user.email).toBe('ada@example.com');
    expect(token).toMatch(/^sws_/);
    const me = await createSwarmClient({ url: api.url, token }).auth.me.query();
    expect(me).toMatchObject({ id: user.id, email: 'ada@example.com', name: 'Ada' });
  });

  it('sets an httpOnly, SameSite=Lax session cookie that authenticates the browser', async () => {
    const res = await fetch(`${api.url}/trpc/auth.signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { email: 'cookie@example.com', password: 'cookie monster!' } }),
    });
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^swarm_session=sws_/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).not.toMatch(/Secure/i); // not in development; production sets it
    const cookie = setCookie.split(';')[0]!;
    const me = await fetch(`${api.url}/trpc/auth.me`, { headers: { cookie } });
    expect(
      ((await me.json()) as { result: { data: { json: { email: string } } } }).result.data.json.email,
    ).toBe('cookie@example.com');
  });

  it('refuses a second account for the same email, whatever its case, and writes nothing', async () => {
    await api.anonymous().auth.signup.mutate({ email: 'twice@example.com', password: 'first password' });
    const users = await countRows('users');
    await expectApiError(
      api.anonymous().auth.signup.mutate({ email: 'TWICE@example.com', password: 'second password' }),
      'CONFLICT',
      { message: /already exists/ },
    );
    expect(await countRows('users')).toBe(users);
  });

  it('names the failing field for a malformed email or a short password and writes nothing', async () => {
    const users = await countRows('users');
    await expectApiError(
      api.anonymous().auth.signup.mutate({ email: 'not-an-email', password: 'long enough' }),
      'BAD_REQUEST',
      {
        paths: ['email'],
        message: /email: not a valid email/,
      },
    );
    await expectApiError(
      api.anonymous().auth.signup.mutate({ email: 'short@example.com', password: 'short' }),
      'BAD_REQUEST',
      {
        paths: ['password'],
        message: /password: at least 8 characters/,
      },
    );
    expect(await countRows('users')).toBe(users);
  });

  it('answers a wrong password exactly like an unknown user', async () => {
    await api.anonymous().auth.signup.mutate({ email: 'known@example.com', password: 'the right one' });
    const wrong = await expectApiError(
      api.anonymous().auth.login.mutate({ email: 'known@example.com', password: 'the wrong one' }),
      'UNAUTHORIZED',
    );
    const unknown = await expectApiError(
      api.anonymous().auth.login.mutate({ email: 'nobody@example.com', password: 'the wrong one' }),
      'UNAUTHORIZED',
    );
    expect(wrong.message).toBe(unknown.message);
    const { user } = await api
      .anonymous()
      .auth.login.mutate({ email: 'KNOWN@example.com', password: 'the right one' });
    expect(user.email).toBe('known@example.com');
  });

  it('rate-limits login attempts per email, even with the right password once limited', async () => {
    await api.anonymous().auth.signup.mutate({ email: 'limited@example.com', password: 'the right one' });
    for (let i = 0; i < 3; i++) {
      await expectApiError(
        api.anonymous().auth.login.mutate({ email: 'limited@example.com', password: `guess ${i}` }),
        'UNAUTHORIZED',
      );
    }
    await expectApiError(
      api.anonymous().auth.login.mutate({ email: 'limited@example.com', password: 'the right one' }),
      'TOO_MANY_REQUESTS',
      { message: /try again/ },
    );
  });

  it('refuses an expired session', async () => {
    const { client, user } = await api.signUp();
    await api.database
      .sql`update sessions set expires_at = now() - interval '1 second' where user_id = ${user.id}`;
    await expectApiError(client.auth.me.query(), 'UNAUTHORIZED');
  });

  it('logout ends the session it was called with, and only that one', async () => {
    const { client, token } = await api.signUp('logout@example.com', 'logging out now');
    const second = await api
      .anonymous()
      .auth.login.mutate({ email: 'logout@example.com', password: 'logging out now' });
    await client.auth.logout.mutate();
    await expectApiError(createSwarmClient({ url: api.url, token }).auth.me.query(), 'UNAUTHORIZED');
    expect((await createSwarmClient({ url: api.url, token: second.token }).auth.me.query()).email).toBe(
      'logout@example.com',
    );
  });
});

describe('API tokens', () => {
  it('shows a token once, stores only its hash, records its use, and stops working when revoked', async () => {
    const { client } = await api.signUp();
    const { token, apiToken } = await client.auth.createApiToken.mutate({ name: 'ci script' });
    expect(token).toMatch(/^swt_/);
    expect(apiToken).toMatchObject({ name: 'ci script', tokenPrefix: token.slice(0, 12), lastUsedAt: null });

    const stored = await api.database.sql<{ token_hash: string }[]>`
      select token_hash from api_tokens where id = ${apiToken.id}`;
    expect(stored[0]!.token_hash).not.toContain(token);
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);

    const viaToken = createSwarmClient({ url: api.url, token });
    await viaToken.workflows.list.query();
    const [listed] = await client.auth.listApiTokens.query();
    expect(listed).not.toHaveProperty('token');
    expect(listed!.lastUsedAt).toBeInstanceOf(Date);

    await client.auth.revokeApiToken.mutate({ id: apiToken.id });
    await expectApiError(viaToken.workflows.list.query(), 'UNAUTHORIZED');
    await expectApiError(client.auth.revokeApiToken.mutate({ id: apiToken.id }), 'NOT_FOUND');
  });

  it('refuses made-up and malformed bearer tokens', async () => {
    await expectApiError(
      createSwarmClient({ url: api.url, token: 'swt_made_up' }).auth.me.query(),
      'UNAUTHORIZED',
    );
    await expectApiError(
      createSwarmClient({ url: api.url, token: 'garbage' }).auth.me.query(),
      'UNAUTHORIZED',
    );
  });
});

/**
 * Token lookups are cached per API process: a second server on the same database must still refuse
 * a token the first one ended as soon as the NOTIFY of that commit reaches it (milliseconds), without
 * waiting for the cache to expire.
 */
describe('token lookups across API instances', () => {
  let other: Awaited<ReturnType<typeof startApiServer>> | undefined;
  const onOther = (token: string) => createSwarmClient({ url: other!.url, token });
  /** Polls until the call is refused as UNAUTHORIZED (the other instance heard the change). */
  const refusedSoon = (call: () => Promise<unknown>) =>
    expect
      .poll(
        () =>
          call().then(
            () => 'accepted',
            (error: { data?: { code?: string } }) => error.data?.code ?? 'error',
          ),
        { timeout: 5_000, interval: 20 },
      )
      .toBe('UNAUTHORIZED');

  beforeAll(async () => {
    other = await startApiServer({ databaseUrl: api.database.url });
  });
  afterAll(async () => {
    vi.useRealTimers();
    await other?.close();
  });

  it('refuses a session on another instance as soon as it is logged out', async () => {
    const { client, token, user } = await api.signUp();
    // Twice: the second answer comes from the other instance's cache.
    expect((await onOther(token).auth.me.query()).id).toBe(user.id);
    expect((await onOther(token).auth.me.query()).id).toBe(user.id);
    await client.auth.logout.mutate();
    await refusedSoon(() => onOther(token).auth.me.query());
  });

  it('refuses an API token on another instance as soon as it is revoked', async () => {
    const { client } = await api.signUp();
    const { token, apiToken } = await client.auth.createApiToken.mutate({ name: 'deploy bot' });
    await onOther(token).workflows.list.query();
    await onOther(token).workflows.list.query();
    await client.auth.revokeApiToken.mutate({ id: apiToken.id });
    await refusedSoon(() => onOther(token).workflows.list.query());
  });

  it('refuses a session that expired while its lookup was cached', async () => {
    const { token, user } = await api.signUp();
    expect((await onOther(token).auth.me.query()).id).toBe(user.id);
    // Only the wall clock moves: the cached entry itself is still fresh (its TTL runs on another clock).
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 31 * 86_400_000);
      await expectApiError(onOther(token).auth.me.query(), 'UNAUTHORIZED');
    } finally {
      vi.useRealTimers();
    }
  });

  it('writes "last used" at most once a minute per token, decided from the value read', async () => {
    const { client } = await api.signUp();
    const { token, apiToken } = await client.auth.createApiToken.mutate({ name: 'poller' });
    /** The year of `last_used_at` (null: never used). */
    const lastUsedYear = async () => {
      const [row] = await api.database.sql<{ year: number | null }[]>`
        select extract(year from last_used_at)::int as year from api_tokens where id = ${apiToken.id}`;
      return row!.year;
    };
    await onOther(token).workflows.list.query();
    expect(await lastUsedYear()).toBeGreaterThan(2000);
    // A marker older than the refresh interval: only a write would replace it.
    await api.database.sql`update api_tokens set last_used_at = '2000-01-01' where id = ${apiToken.id}`;
    await onOther(token).workflows.list.query();
    expect(await lastUsedYear()).toBe(2000);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 2 * 60_000);
      await onOther(token).workflows.list.query();
    } finally {
      vi.useRealTimers();
    }
    expect(await lastUsedYear()).toBeGreaterThan(2000);
    expect((await client.auth.listApiTokens.query())[0]!.lastUsedAt!.getUTCFullYear()).toBeGreaterThan(2000);
  });
});
