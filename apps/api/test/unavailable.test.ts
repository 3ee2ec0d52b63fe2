/**
 * A database outage answers 503 (with Retry-After), not 500, and the API recovers by itself once
 * Postgres is back. The API reaches its (real) test database through a TCP proxy
 * (`startDatabaseProxy`); the outage is the proxy cutting every connection and refusing new ones —
 * what clients see while Postgres restarts — so the machine's shared server is never touched.
 */
import net from 'node:net';
import { isDatabaseUnavailable } from '@swarm/api-router';
import { createSwarmClient } from '@swarm/client';
import { type DatabaseProxy, startDatabaseProxy } from '@swarm/db/testing';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { generateSecretKey } from '@swarm/providers/store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '../src/server.ts';
import { standardHeaders } from './standard-webhooks.ts';

const database = useTestDatabase();

let proxy: DatabaseProxy;
let api: Awaited<ReturnType<typeof startApiServer>>;
let token: string;
let workflowId: string;
let webhook: { id: string; url: string; secret: string };

beforeAll(async () => {
  proxy = await startDatabaseProxy(database.url);
  api = await startApiServer({ databaseUrl: proxy.url, secretKey: generateSecretKey() });

  const signup = await createSwarmClient({ url: api.url }).auth.signup.mutate({
    email: `outage-${Date.now()}@example.com`,
    password: 'correct horse battery',
  });
  token = signup.token;
  const client = createSwarmClient({ url: api.url, token });
  const workflow = await client.workflows.create.mutate({
    name: 'During an outage',
    definition: {
      nodes: [
        { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
        { id: 'output', type: 'output', name: 'Output', position: { x: 200, y: 0 }, config: {} },
      ],
      edges: [{ id: 'e1', source: 'input', target: 'output' }],
    },
  });
  workflowId = workflow.id;
  const created = await client.webhooks.create.mutate({ workflowId, auth: 'signature' });
  webhook = { id: created.id, url: `${api.url}/webhooks/${created.id}`, secret: created.secret! };
});

afterAll(async () => {
  await proxy?.restore().catch(() => {});
  await api?.close();
  await proxy?.close();
});

function startRunRequest() {
  return fetch(`${api.url}/trpc/runs.start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ json: { workflowId, input: {} } }),
  });
}

function webhookRequest() {
  const body = JSON.stringify({ hello: 'outage' });
  return fetch(webhook.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...standardHeaders(webhook.secret, body) },
    body,
  });
}

async function runCount(): Promise<number> {
  const [row] = await database.sql<{ n: number }[]>`
    select count(*)::int as n from executions where workflow_id = ${workflowId}`;
  return row!.n;
}

describe('while the database is unreachable', () => {
  it('answers 503 with Retry-After (tRPC, webhooks, export), keeps /healthz alive, and recovers by itself', async () => {
    // Up: a run starts.
    expect((await startRunRequest()).status).toBe(200);
    const before = await runCount();

    await proxy.cut();

    const start = await startRunRequest();
    expect(start.status).toBe(503);
    expect(start.headers.get('retry-after')).toBe('5');
    const startBody = (await start.json()) as {
      error: { json: { message: string; data: { code: string } } };
    };
    expect(startBody.error.json.data.code).toBe('SERVICE_UNAVAILABLE');
    expect(startBody.error.json.message).toMatch(/database is unavailable/);

    // A procedure that needs no session still reaches the database: the same 503.
    const signup = await fetch(`${api.url}/trpc/auth.signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        json: { email: `x${Date.now()}@example.com`, password: 'correct horse battery' },
      }),
    });
    expect(signup.status).toBe(503);

    const hook = await webhookRequest();
    expect(hook.status).toBe(503);
    expect(hook.headers.get('retry-after')).toBe('5');
    expect(await hook.json()).toEqual({ error: expect.stringMatching(/database is unavailable/) });

    const exported = await fetch(`${api.url}/api/workflows/${workflowId}/export`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(exported.status).toBe(503);
    expect(exported.headers.get('retry-after')).toBe('5');

    // Liveness answers; readiness (the health procedure) says what is wrong.
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const health = await createSwarmClient({ url: api.url }).health.query();
    expect(health).toMatchObject({ ok: false, db: false });

    // Nothing was written during the outage.
    expect(await runCount()).toBe(before);

    await proxy.restore();

    // Back without a restart of the API: the pool reconnects on the next request.
    await expect.poll(async () => (await startRunRequest()).status, { timeout: 15_000 }).toBe(200);
    expect((await webhookRequest()).status).toBe(202);
    expect(await createSwarmClient({ url: api.url }).health.query()).toMatchObject({ ok: true, db: true });
    expect(await runCount()).toBe(before + 2);
  });
});

describe('isDatabaseUnavailable', () => {
  it('knows Postgres outages by code through wrappers, and not an outbound HTTP call that was refused', async () => {
    const wrapped = (cause: object) =>
      new Error('query failed', { cause: Object.assign(new Error('x'), cause) });
    expect(isDatabaseUnavailable(wrapped({ code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable(wrapped({ code: 'CONNECTION_CLOSED' }))).toBe(true);
    expect(isDatabaseUnavailable(wrapped({ code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('plain'))).toBe(false);
    // A port nobody listens on: fetch fails with ECONNREFUSED in its cause.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await fetch(`http://127.0.0.1:${port}/`).catch((error: unknown) => error);
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
    expect(isDatabaseUnavailable(new Error('provider call failed', { cause: refused }))).toBe(false);
  });
});
