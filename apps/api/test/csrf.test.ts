/**
 * The CSRF guard (src/auth/csrf.ts) over real HTTP: cookie-signed changes from another origin
 * (another port, a sibling host, `null`, a cross-site Sec-Fetch-Site) or with a body a form can
 * send (multipart, url-encoded, text/plain, none) are refused with 403 and change nothing —
 * checked in the database and by a follow-up call — while the same request from our own origin,
 * from a tool that sends neither header, or with a Bearer token goes through. Requests are made
 * with node:http so every header (Origin, Host, Sec-Fetch-Site) is exactly what a browser would send.
 */
import { request } from 'node:http';
import { createSwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csrfRefusal } from '../src/auth/csrf.ts';
import { parseApiEnv } from '../src/env.ts';
import { startApiServer } from '../src/server.ts';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer({ secretKey: generateSecretKey(), authLimits: { signupPerIp: 1000 } });

interface Answer {
  status: number;
  text: string;
  json: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTP request with exactly these headers (no Origin or Sec-Fetch-Site unless given). */
function send(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Uint8Array } = {},
): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'POST', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, text, json, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** Our own origin and two others: the same host on another port, and a sibling host name. */
function origins(base: string) {
  const url = new URL(base);
  return {
    own: url.origin,
    otherPort: `${url.protocol}//${url.hostname}:${Number(url.port) + 1}`,
    siblingHost: `${url.protocol}//localhost:${url.port}`,
  };
}

/** A fresh user signed in the way the browser is: the session cookie from sign-up. */
async function signedIn() {
  const email = `csrf-${crypto.randomUUID()}@example.com`;
  const res = await fetch(`${api.url}/trpc/auth.signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { email, password: 'correct horse battery' } }),
  });
  expect(res.status).toBe(200);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^swarm_session=sws_/);
  const body = (await res.json()) as { result: { data: { json: { user: { id: string }; token: string } } } };
  return { cookie, userId: body.result.data.json.user.id, token: body.result.data.json.token };
}

async function workflowCount(userId: string) {
  const [row] = await api.database.sql<{ n: number }[]>`
    select count(*)::int as n from workflows where owner_id = ${userId}`;
  return row!.n;
}

/** `auth.me` with the cookie: the signed-in user's id, or null when the session is gone. */
async function meWithCookie(cookie: string): Promise<string | null> {
  const answer = await send(api.url, '/trpc/auth.me', { method: 'GET', headers: { cookie } });
  const data = (answer.json as { result?: { data?: { json?: { id?: string } | null } } }).result?.data?.json;
  return data?.id ?? null;
}

const json = (value: unknown) => JSON.stringify(value);
const createBody = (name: string) => json({ json: { name } });

/** A multipart body as a form (`<form enctype="multipart/form-data">`) sends it. */
function multipart(fields: Record<string, string>) {
  const boundary = '----csrf-test-boundary';
  const body = `${Object.entries(fields)
    .map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
    .join('')}--${boundary}--\r\n`;
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

/** The tRPC refusal as the client reads it: FORBIDDEN, 403, a message saying why. */
function expectTrpcForbidden(answer: Answer, message: RegExp) {
  expect(answer.status).toBe(403);
  const error = (
    answer.json as { error: { json: { message: string; data: { code: string; httpStatus: number } } } }
  ).error.json;
  expect(error.data.code).toBe('FORBIDDEN');
  expect(error.data.httpStatus).toBe(403);
  expect(error.message).toMatch(message);
}

function expectHttpForbidden(answer: Answer, message: RegExp) {
  expect(answer.status).toBe(403);
  const error = (answer.json as { error: { message: string; code: string } }).error;
  expect(error.code).toBe('FORBIDDEN');
  expect(error.message).toMatch(message);
}

/** A minimal export document for the import route. */
async function exportDocument(token: string) {
  const client = createSwarmClient({ url: api.url, token });
  const wf = await client.workflows.create.mutate({ name: 'Source' });
  const res = await fetch(`${api.url}/api/workflows/${wf.id}/export`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return { id: wf.id, text: await res.text() };
}

describe('tRPC mutations signed in by the cookie', () => {
  it('refuses workflows.create from another port or a sibling host, with any body, and creates nothing', async () => {
    const { cookie, userId } = await signedIn();
    const { otherPort, siblingHost } = origins(api.url);
    const form = multipart({ name: 'forged' });
    for (const origin of [otherPort, siblingHost]) {
      for (const [type, body] of [
        ['application/json', createBody('forged')],
        ['text/plain', createBody('forged')],
        [form.type, form.body],
        ['application/x-www-form-urlencoded', 'name=forged'],
      ] as const) {
        const answer = await send(api.url, '/trpc/workflows.create', {
          headers: { cookie, origin, 'content-type': type },
          body,
        });
        expectTrpcForbidden(answer, new RegExp(`Cross-origin request refused: it came from "${origin}"`));
      }
    }
    expect(await workflowCount(userId)).toBe(0);
  });

  it('answers a batched call with one FORBIDDEN per call, which the typed client reads', async () => {
    const { cookie, userId } = await signedIn();
    const { otherPort, own } = origins(api.url);
    const batch = await send(api.url, '/trpc/workflows.create,workflows.create?batch=1', {
      headers: { cookie, origin: otherPort, 'content-type': 'application/json' },
      body: json({ 0: { json: { name: 'a' } }, 1: { json: { name: 'b' } } }),
    });
    expect(batch.status).toBe(403);
    expect(batch.json).toHaveLength(2);
    expect(
      (batch.json as Array<{ error: { json: { data: { code: string; path: string } } } }>)[1]!.error.json
        .data,
    ).toMatchObject({ code: 'FORBIDDEN', path: 'workflows.create' });

    // The web app's own client, pointed at us from another origin: a clean FORBIDDEN, not a parse error.
    const withHeaders =
      (extra: Record<string, string>): typeof fetch =>
      (input, init) =>
        fetch(input, {
          ...init,
          headers: { ...(init?.headers as Record<string, string>), cookie, ...extra },
        });
    const forged = createSwarmClient({ url: api.url, fetch: withHeaders({ origin: otherPort }) });
    await expectApiError(forged.workflows.create.mutate({ name: 'forged' }), 'FORBIDDEN', {
      message: /Cross-origin request refused/,
    });
    expect(await workflowCount(userId)).toBe(0);

    const ours = createSwarmClient({ url: api.url, fetch: withHeaders({ origin: own }) });
    const created = await ours.workflows.create.mutate({ name: 'From our own page' });
    expect(created.name).toBe('From our own page');
    expect(await workflowCount(userId)).toBe(1);
  });

  it('refuses auth.logout from another origin with multipart, text/plain or JSON; the session stays valid', async () => {
    const { cookie, userId } = await signedIn();
    const { otherPort, siblingHost } = origins(api.url);
    const form = multipart({});
    for (const origin of [otherPort, siblingHost, 'null']) {
      for (const [type, body] of [
        [form.type, form.body],
        ['text/plain', '{}'],
        ['application/json', '{}'],
      ] as const) {
        const answer = await send(api.url, '/trpc/auth.logout', {
          headers: { cookie, origin, 'content-type': type },
          body,
        });
        expectTrpcForbidden(answer, /Cross-origin request refused/);
        expect(answer.headers['set-cookie']).toBeUndefined();
      }
    }
    expect(await meWithCookie(cookie)).toBe(userId);
  });

  it('refuses a form body or no body type even from our own origin or without any origin header', async () => {
    const { cookie, userId } = await signedIn();
    const { own } = origins(api.url);
    const form = multipart({});
    const senders: Record<string, string>[] = [{ origin: own }, {}, { 'sec-fetch-site': 'same-origin' }];
    for (const headers of senders) {
      for (const [type, body] of [
        [form.type, form.body],
        ['text/plain', '{}'],
        ['application/x-www-form-urlencoded', 'a=1'],
        [undefined, undefined],
      ] as const) {
        const answer = await send(api.url, '/trpc/auth.logout', {
          headers: { cookie, ...headers, ...(type ? { 'content-type': type } : {}) },
          body,
        });
        expectTrpcForbidden(
          answer,
          type ? new RegExp(`Content-Type "${type.split(';')[0]}" refused`) : /Content-Type \(none\) refused/,
        );
      }
    }
    expect(await meWithCookie(cookie)).toBe(userId);
  });

  it('lets our own origin create and log out, and a tool that sends no origin headers too', async () => {
    const { own } = origins(api.url);
    const senders: Record<string, string>[] = [
      { origin: own },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' },
      {},
    ];
    for (const headers of senders) {
      const { cookie, userId } = await signedIn();
      const created = await send(api.url, '/trpc/workflows.create', {
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: createBody('Mine'),
      });
      expect(created.status).toBe(200);
      expect(await workflowCount(userId)).toBe(1);

      const out = await send(api.url, '/trpc/auth.logout', {
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: '{}',
      });
      expect(out.status).toBe(200);
      expect(await meWithCookie(cookie)).toBeNull();
    }
  });

  it('refuses Sec-Fetch-Site cross-site or same-site without Origin, and accepts same-origin', async () => {
    const { cookie, userId } = await signedIn();
    for (const site of ['cross-site', 'same-site']) {
      const answer = await send(api.url, '/trpc/workflows.create', {
        headers: { cookie, 'sec-fetch-site': site, 'content-type': 'application/json' },
        body: createBody('forged'),
      });
      expectTrpcForbidden(answer, new RegExp(`Sec-Fetch-Site: "${site}"`));
    }
    expect(await workflowCount(userId)).toBe(0);
    const ok = await send(api.url, '/trpc/workflows.create', {
      headers: { cookie, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: createBody('ok'),
    });
    expect(ok.status).toBe(200);
    expect(await workflowCount(userId)).toBe(1);
  });

  it('refuses a forged sign-in (login CSRF) and leaves cookie-less reads alone', async () => {
    const { otherPort } = origins(api.url);
    const email = `login-csrf-${crypto.randomUUID()}@example.com`;
    await api.anonymous().auth.signup.mutate({ email, password: 'attacker password' });
    const forged = await send(api.url, '/trpc/auth.login', {
      headers: { origin: otherPort, 'content-type': 'application/json' },
      body: json({ json: { email, password: 'attacker password' } }),
    });
    expectTrpcForbidden(forged, /Cross-origin request refused/);
    expect(forged.headers['set-cookie']).toBeUndefined();
    // Queries are GETs: not checked (they change nothing).
    const health = await send(api.url, '/trpc/health', { method: 'GET', headers: { origin: otherPort } });
    expect(health.status).toBe(200);
  });
});

describe('Bearer-token clients', () => {
  it('are not checked: no origin, another origin, any body type', async () => {
    const { token, userId } = await signedIn();
    const { otherPort } = origins(api.url);
    const authorization = `Bearer ${token}`;
    const plain = await send(api.url, '/trpc/workflows.create', {
      headers: { authorization, 'content-type': 'application/json' },
      body: createBody('by token'),
    });
    expect(plain.status).toBe(200);
    const elsewhere = await send(api.url, '/trpc/workflows.create', {
      headers: { authorization, origin: otherPort, 'content-type': 'application/json' },
      body: createBody('by token, from a page elsewhere'),
    });
    expect(elsewhere.status).toBe(200);
    expect(await workflowCount(userId)).toBe(2);

    const { text } = await exportDocument(token);
    const imported = await send(api.url, '/api/workflows/import', {
      headers: { authorization, 'content-type': 'text/plain' },
      body: text,
    });
    expect(imported.status).toBe(200);
    expect(await workflowCount(userId)).toBe(4);
  });
});

describe('plain HTTP routes signed in by the cookie', () => {
  it('refuses POST /api/workflows/import as text/plain (any origin) or JSON from another origin, importing nothing', async () => {
    const { cookie, userId, token } = await signedIn();
    const { own, otherPort, siblingHost } = origins(api.url);
    const { text } = await exportDocument(token);
    const before = await workflowCount(userId);
    for (const origin of [otherPort, siblingHost]) {
      for (const type of ['text/plain', 'application/json', 'application/zip']) {
        const answer = await send(api.url, '/api/workflows/import', {
          headers: { cookie, origin, 'content-type': type },
          body: text,
        });
        expectHttpForbidden(answer, /Cross-origin request refused/);
      }
    }
    const senders: Record<string, string>[] = [{ origin: own }, {}];
    for (const headers of senders) {
      const answer = await send(api.url, '/api/workflows/import', {
        headers: { cookie, ...headers, 'content-type': 'text/plain' },
        body: text,
      });
      expectHttpForbidden(answer, /Content-Type "text\/plain" refused/);
    }
    expect(await workflowCount(userId)).toBe(before);

    const ok = await send(api.url, '/api/workflows/import', {
      headers: { cookie, origin: own, 'content-type': 'application/json' },
      body: text,
    });
    expect(ok.status).toBe(200);
    expect(await workflowCount(userId)).toBe(before + 1);
  });

  it('refuses POST /api/workflows/bulk-export from another origin and serves our own', async () => {
    const { cookie, token } = await signedIn();
    const { own, otherPort, siblingHost } = origins(api.url);
    const { id } = await exportDocument(token);
    const body = json({ workflowIds: [id] });
    for (const origin of [otherPort, siblingHost]) {
      const answer = await send(api.url, '/api/workflows/bulk-export', {
        headers: { cookie, origin, 'content-type': 'application/json' },
        body,
      });
      expectHttpForbidden(answer, /Cross-origin request refused/);
    }
    const forgedForm = await send(api.url, '/api/workflows/bulk-export', {
      headers: { cookie, origin: own, 'content-type': 'application/x-www-form-urlencoded' },
      body: `workflowIds=${id}`,
    });
    expectHttpForbidden(forgedForm, /Content-Type "application\/x-www-form-urlencoded" refused/);
    const ok = await send(api.url, '/api/workflows/bulk-export', {
      headers: { cookie, origin: own, 'content-type': 'application/json' },
      body,
    });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/zip');
    // Downloads are GETs and not checked.
    const download = await send(api.url, `/api/workflows/${id}/export`, {
      method: 'GET',
      headers: { cookie, origin: otherPort },
    });
    expect(download.status).toBe(200);
  });
});

describe('public webhooks', () => {
  it('are not checked: they never use the cookie', async () => {
    const { token } = await signedIn();
    const client = createSwarmClient({ url: api.url, token });
    const at = (x: number) => ({ x, y: 0 });
    const wf = await client.workflows.create.mutate({
      name: 'Hooked',
      definition: {
        nodes: [
          { id: 'in', type: 'input', name: 'In', position: at(0), config: {} },
          { id: 'out', type: 'output', name: 'Out', position: at(200), config: {} },
        ],
        edges: [{ id: 'e1', source: 'in', target: 'out' }],
      },
    });
    const hook = await client.webhooks.create.mutate({ workflowId: wf.id, auth: 'url-secret' });
    const { otherPort } = origins(api.url);
    const answer = await send(api.url, new URL(hook.triggerUrl).pathname, {
      headers: { origin: otherPort, 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
      body: 'hello',
    });
    expect(answer.status).toBe(202);
  });
});

describe('configured origins', () => {
  let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
  let proxied: Awaited<ReturnType<typeof startApiServer>> | undefined;
  beforeAll(async () => {
    server = await startApiServer({
      databaseUrl: api.database.url,
      publicUrl: 'https://swarm.example.com/base/',
      allowedOrigins: ['http://localhost:5173'],
    });
    proxied = await startApiServer({ databaseUrl: api.database.url, trustProxy: true });
  });
  afterAll(async () => {
    await server?.close();
    await proxied?.close();
  });

  it('accepts SWARM_PUBLIC_URL and SWARM_ALLOWED_ORIGINS and still the addressed host; refuses their neighbours', async () => {
    const { cookie, userId } = await signedIn();
    const attempt = (base: string, headers: Record<string, string>) =>
      send(base, '/trpc/workflows.create', {
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: createBody('configured'),
      });
    for (const origin of ['https://swarm.example.com', 'http://localhost:5173', origins(server!.url).own])
      expect((await attempt(server!.url, { origin })).status).toBe(200);
    for (const origin of [
      'http://swarm.example.com',
      'https://swarm.example.com:8443',
      'https://blog.example.com',
      'http://localhost:5174',
    ])
      expectTrpcForbidden(await attempt(server!.url, { origin }), /Cross-origin request refused/);
    expect(await workflowCount(userId)).toBe(3);
  });

  it('takes the addressed origin from a trusted proxy (TRUST_PROXY) and from the Vite dev proxy’s Host', async () => {
    const { cookie, userId } = await signedIn();
    const attempt = (base: string, headers: Record<string, string>) =>
      send(base, '/trpc/workflows.create', {
        headers: { cookie, 'content-type': 'application/json', ...headers },
        body: createBody('proxied'),
      });
    const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'swarm.example.com' };
    expect((await attempt(proxied!.url, { origin: 'https://swarm.example.com', ...forwarded })).status).toBe(
      200,
    );
    // Without TRUST_PROXY the forwarded headers mean nothing.
    expectTrpcForbidden(
      await attempt(api.url, { origin: 'https://swarm.example.com', ...forwarded }),
      /Cross-origin request refused/,
    );
    // `pnpm dev`: Vite on :3001 proxies with changeOrigin false, so Host and Origin both say :3001.
    expect((await attempt(api.url, { origin: 'http://localhost:3001', host: 'localhost:3001' })).status).toBe(
      200,
    );
    expectTrpcForbidden(
      await attempt(api.url, { origin: 'http://localhost:3002', host: 'localhost:3001' }),
      /Cross-origin request refused/,
    );
    expect(await workflowCount(userId)).toBe(2);
  });

  it('parses SWARM_ALLOWED_ORIGINS, naming a bad entry', () => {
    const base = { DATABASE_URL: 'postgres://127.0.0.1/x' };
    expect(
      parseApiEnv({ ...base, SWARM_ALLOWED_ORIGINS: 'http://localhost:5173, https://a.example.com/' })
        .SWARM_ALLOWED_ORIGINS,
    ).toEqual(['http://localhost:5173', 'https://a.example.com/']);
    expect(() =>
      parseApiEnv({ ...base, SWARM_ALLOWED_ORIGINS: 'http://ok.example.com,https://x.example.com/path' }),
    ).toThrow(/SWARM_ALLOWED_ORIGINS\.1: must be an origin/);
    expect(() => parseApiEnv({ ...base, SWARM_ALLOWED_ORIGINS: 'localhost:3001' })).toThrow(
      /SWARM_ALLOWED_ORIGINS\.0: must be an origin/,
    );
  });
});

describe('the rule on its own', () => {
  const facts = {
    method: 'POST',
    routeUrl: '/trpc/:path',
    authorization: undefined,
    origin: undefined,
    secFetchSite: undefined,
    contentType: 'application/json',
    addressedOrigin: 'http://127.0.0.1:3000',
  };
  const none = new Set<string>();
  it('checks only unsafe, cookie-capable, non-webhook requests', () => {
    const hostile = { ...facts, origin: 'https://evil.example', contentType: 'text/plain' };
    expect(csrfRefusal({ ...hostile, method: 'GET' }, none)).toBeNull();
    expect(csrfRefusal({ ...hostile, method: 'HEAD' }, none)).toBeNull();
    expect(csrfRefusal({ ...hostile, method: 'OPTIONS' }, none)).toBeNull();
    expect(csrfRefusal({ ...hostile, authorization: 'Bearer x' }, none)).toBeNull();
    expect(csrfRefusal({ ...hostile, routeUrl: '/webhooks/:webhookId' }, none)).toBeNull();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'])
      expect(csrfRefusal({ ...hostile, method }, none)).not.toBeNull();
    // No route matched: still checked (a 404 is no reason to skip it).
    expect(csrfRefusal({ ...hostile, routeUrl: undefined }, none)).not.toBeNull();
  });

  it('compares scheme, host and port exactly, default ports and case aside', () => {
    const ok = (origin: string) => csrfRefusal({ ...facts, origin }, none) === null;
    expect(ok('http://127.0.0.1:3000')).toBe(true);
    expect(ok('https://127.0.0.1:3000')).toBe(false);
    expect(ok('http://127.0.0.1:3001')).toBe(false);
    expect(ok('http://127.0.0.1')).toBe(false);
    expect(ok('http://localhost:3000')).toBe(false);
    expect(ok('null')).toBe(false);
    expect(ok('')).toBe(false);
    expect(ok('http://user@127.0.0.1:3000')).toBe(false);
    const onDefault = { ...facts, addressedOrigin: 'https://swarm.example.com' };
    expect(csrfRefusal({ ...onDefault, origin: 'https://SWARM.example.com:443' }, none)).toBeNull();
    expect(
      csrfRefusal({ ...facts, addressedOrigin: null, origin: 'http://127.0.0.1:3000' }, none),
    ).not.toBeNull();
  });

  it('accepts only the preflighted body types, parameters and case aside', () => {
    const ok = (contentType: string | undefined) => csrfRefusal({ ...facts, contentType }, none) === null;
    expect(ok('application/json')).toBe(true);
    expect(ok('Application/JSON; charset=utf-8')).toBe(true);
    expect(ok('application/zip')).toBe(true);
    expect(ok('application/octet-stream')).toBe(true);
    expect(ok('text/plain; application/json')).toBe(false);
    expect(ok('application/json, text/plain')).toBe(false);
    expect(ok('multipart/form-data; boundary=x')).toBe(false);
    expect(ok(undefined)).toBe(false);
  });
});
