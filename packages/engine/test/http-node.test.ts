/**
 * The `http` node and the address guard. A real HTTP server listens on 127.0.0.1 — itself a blocked
 * address — so the tests reach it only through configuration a self-hoster would use:
 * `allowedPrivateRanges: ['127.0.0.1/32']` (that one address, nothing else private), or an
 * injected resolver that maps test host names to it. Refusals are checked with the guard fully on;
 * the server counts its hits, proving refused requests never connected.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpSettings } from '../src/index.ts';
import { blockedAddressReason, createNodeRegistry, normalizeIpLiteral, runWorkflow } from '../src/server.ts';
import { workflow } from './support.ts';

let server: Server;
let base: string;
let port: number;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/json') {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(
          JSON.stringify({
            ok: true,
            got: body ? JSON.parse(body) : null,
            auth: req.headers.authorization ?? null,
          }),
        );
      });
      return;
    }
    if (url.pathname === '/redirect') {
      res.statusCode = 302;
      res.setHeader('location', url.searchParams.get('to') ?? '/json');
      res.end();
      return;
    }
    if (url.pathname === '/big') {
      res.end('x'.repeat(5000));
      return;
    }
    if (url.pathname === '/missing') {
      res.statusCode = 404;
      res.end('no such thing');
      return;
    }
    res.end('plain text');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server.close();
  await once(server, 'close');
});

const registry = createNodeRegistry();
const onlyTestServer: HttpSettings = { allowedPrivateRanges: ['127.0.0.1/32'] };

async function request(config: Record<string, unknown>, http: HttpSettings = {}, input: unknown = {}) {
  return runWorkflow({
    definition: workflow([{ id: 'call', type: 'http', config }], []),
    input,
    registry,
    executionId: 'exec-http',
    services: { http },
    hooks: {
      async stepFinished(step) {
        finished.push(step);
      },
    },
  });
}
const finished: Array<{ output: unknown; nodeId: string }> = [];

describe('http node', () => {
  it('sends templated url, headers and JSON body and parses a JSON answer', async () => {
    const outcome = await request(
      {
        method: 'POST',
        url: `${base}/json?q={{input.q}}`,
        headers: { Authorization: 'Bearer {{input.token}}' },
        body: { count: '{{input.n}}', note: 'n is {{input.n}}' },
      },
      onlyTestServer,
      { q: 'tides', token: 't0k', n: 3 },
    );
    expect(outcome.status).toBe('succeeded');
    expect(finished.at(-1)?.output).toMatchObject({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: { ok: true, got: { count: 3, note: 'n is 3' }, auth: 'Bearer t0k' },
    });
    expect(hits.at(-1)).toBe('POST /json?q=tides');
  });

  it('follows a redirect to an allowed address and returns text as text', async () => {
    const outcome = await request({ method: 'GET', url: `${base}/redirect?to=/text` }, onlyTestServer);
    expect(outcome.status).toBe('succeeded');
    expect(finished.at(-1)?.output).toMatchObject({ status: 200, body: 'plain text' });
  });

  it('connects to the address its resolver checked, whatever the name', async () => {
    const seen: string[] = [];
    const outcome = await request(
      { method: 'GET', url: `http://api.example.test:${port}/text` },
      {
        ...onlyTestServer,
        resolveHost: async (host) => {
          seen.push(host);
          return [{ address: '127.0.0.1', family: 4 }];
        },
      },
    );
    expect(outcome.status).toBe('succeeded');
    expect(seen).toEqual(['api.example.test']);
  });

  it.each([
    ['http://127.0.0.1:PORT/json', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[::1]:PORT/json', 'loopback'],
    ['http://0x7f.1:PORT/json', 'loopback'],
    ['http://2130706433:PORT/json', 'loopback'],
    ['http://127.1:PORT/json', 'loopback'],
    ['http://[::ffff:127.0.0.1]:PORT/json', 'loopback'],
    ['http://localhost:PORT/json', 'loopback'],
    ['http://10.1.2.3/', 'private'],
    ['http://100.64.0.1/', 'shared (CGNAT)'],
    ['http://[fd00::1]/', 'unique-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://0.0.0.0:PORT/', 'unspecified'],
    ['http://224.0.0.1/', 'multicast'],
  ])('refuses %s (%s) without connecting', async (url, reason) => {
    const before = hits.length;
    const outcome = await request({ method: 'GET', url: url.replace('PORT', String(port)) });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('blocked_address');
    expect(outcome.error?.message).toContain(`${reason} addresses are blocked`);
    expect(hits.length).toBe(before);
  });

  it('refuses a name that resolves to a private address, even when another address is public', async () => {
    const outcome = await request(
      { method: 'GET', url: 'http://internal.example.test/' },
      {
        resolveHost: async () => [
          { address: '93.184.216.34', family: 4 },
          { address: '10.0.0.5', family: 4 },
        ],
      },
    );
    expect(outcome.error).toMatchObject({ code: 'blocked_address' });
    expect(outcome.error?.message).toContain('internal.example.test (10.0.0.5)');
  });

  it('refuses a redirect from an allowed host to a private one, re-checking the hop', async () => {
    const before = hits.length;
    const outcome = await request(
      {
        method: 'GET',
        url: `${base}/redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`,
      },
      onlyTestServer,
    );
    expect(outcome.error).toMatchObject({ code: 'blocked_address' });
    expect(outcome.error?.message).toContain('169.254.169.254');
    expect(hits.slice(before)).toEqual([
      `GET /redirect?to=${encodeURIComponent('http://169.254.169.254/latest/meta-data/')}`,
    ]);

    const toOtherLoopback = await request(
      { method: 'GET', url: `${base}/redirect?to=${encodeURIComponent(`http://127.0.0.2:${port}/json`)}` },
      onlyTestServer,
    );
    expect(toOtherLoopback.error?.message).toContain('127.0.0.2');
  });

  it('stops after 5 redirects', async () => {
    let url = `${base}/json`;
    for (let i = 0; i < 6; i++) url = `${base}/redirect?to=${encodeURIComponent(url)}`;
    const outcome = await request({ method: 'GET', url }, onlyTestServer);
    expect(outcome.error).toMatchObject({ code: 'too_many_redirects' });
  });

  it('reaches private addresses when allowPrivateNetworks is on', async () => {
    const outcome = await request(
      { method: 'GET', url: `http://localhost:${port}/json` },
      { allowPrivateNetworks: true },
    );
    expect(outcome.status).toBe('succeeded');
  });

  it('caps the response size, fails on error statuses unless allowed, and refuses other schemes', async () => {
    const big = await request(
      { method: 'GET', url: `${base}/big` },
      { ...onlyTestServer, maxResponseBytes: 1000 },
    );
    expect(big.error).toMatchObject({ code: 'response_too_large' });
    const missing = await request({ method: 'GET', url: `${base}/missing` }, onlyTestServer);
    expect(missing.error).toMatchObject({ code: 'http_status' });
    const allowed = await request(
      { method: 'GET', url: `${base}/missing`, allowErrorStatus: true },
      onlyTestServer,
    );
    expect(allowed.status).toBe('succeeded');
    expect(finished.at(-1)?.output).toMatchObject({ status: 404, body: 'no such thing' });
    const file = await request({ method: 'GET', url: 'file:///etc/passwd' });
    expect(file.error).toMatchObject({ code: 'invalid_url' });
  });
});

describe('address guard', () => {
  it('normalises odd IPv4 spellings and IPv4-mapped IPv6', () => {
    expect(normalizeIpLiteral('0x7f.1')).toBe('127.0.0.1');
    expect(normalizeIpLiteral('2130706433')).toBe('127.0.0.1');
    expect(normalizeIpLiteral('0177.0.0.1')).toBe('127.0.0.1');
    expect(normalizeIpLiteral('127.1')).toBe('127.0.0.1');
    expect(normalizeIpLiteral('[::ffff:127.0.0.1]')).toBe('0:0:0:0:0:ffff:7f00:1');
    expect(normalizeIpLiteral('example.com')).toBeNull();
    expect(normalizeIpLiteral('1.example')).toBeNull();
  });

  it('classifies addresses', () => {
    expect(blockedAddressReason('8.8.8.8')).toBeNull();
    expect(blockedAddressReason('2606:4700::1111')).toBeNull();
    expect(blockedAddressReason('::ffff:10.0.0.1')).toBe('private');
    expect(blockedAddressReason('::ffff:7f00:1')).toBe('loopback');
    expect(blockedAddressReason('64:ff9b::a9fe:a9fe')).toBe('link-local');
    expect(blockedAddressReason('2002:7f00:1::')).toBe('loopback');
    expect(blockedAddressReason('172.31.255.255')).toBe('private');
    expect(blockedAddressReason('172.32.0.1')).toBeNull();
    expect(blockedAddressReason('255.255.255.255')).toBe('reserved');
    expect(blockedAddressReason('fe80::1%eth0')).toBe('link-local');
    expect(blockedAddressReason('not an ip')).toBe('unparseable');
  });
});
