/**
 * The guarded `fetch` for user-chosen endpoints (OpenAI-compatible base URLs), against a real
 * server on 127.0.0.1 — a blocked address, reached only by what an operator would configure. The
 * server counts its hits, so a refused request is proven never to have connected; an injected
 * resolver stands in for DNS (a name no real resolver knows can only connect through the addresses
 * the guard checked and pinned).
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockedAddressError, checkEndpointUrl, createGuardedFetch } from '../src/server.ts';

let server: Server;
let port: number;
const hits: Array<{ url: string; header: string | undefined; body: string }> = [];

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let body = '';
    for await (const part of req) body += part;
    hits.push({ url: req.url ?? '', header: req.headers['x-extra'] as string | undefined, body });
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    res.end('data: [DONE]\n\n');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.close();
});

const loopbackResolver = async () => [{ address: '127.0.0.1', family: 4 as const }];
const send = (f: typeof fetch, url: string) =>
  f(url, { method: 'POST', headers: { 'x-extra': 'yes' }, body: '{"q":1}' });

describe('guarded fetch', () => {
  it('refuses a loopback literal without an allow-list, before connecting', async () => {
    hits.length = 0;
    await expect(send(createGuardedFetch({}), `http://127.0.0.1:${port}/v1`)).rejects.toBeInstanceOf(
      BlockedAddressError,
    );
    await expect(send(createGuardedFetch({}), `http://[::ffff:7f00:1]:${port}/v1`)).rejects.toThrow(
      /loopback/,
    );
    expect(hits).toEqual([]);
  });

  it('refuses a name that resolves to a blocked address (link-local metadata, loopback)', async () => {
    hits.length = 0;
    const metadata = async () => [{ address: '169.254.169.254', family: 4 as const }];
    await expect(
      send(createGuardedFetch({ resolveHost: metadata }), 'http://metadata.example/'),
    ).rejects.toThrow(/refused to connect to metadata\.example \(169\.254\.169\.254\): link-local/);
    await expect(
      send(createGuardedFetch({ resolveHost: loopbackResolver }), `http://ollama.internal:${port}/v1`),
    ).rejects.toThrow(/loopback/);
    expect(hits).toEqual([]);
  });

  it('connects to an allow-listed range, streaming the body, with the headers and body sent', async () => {
    hits.length = 0;
    const allowed = createGuardedFetch({ allowedPrivateRanges: ['127.0.0.1/32'] });
    const response = await send(allowed, `http://127.0.0.1:${port}/v1/chat`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(await response.text()).toBe('data: {"n":1}\n\ndata: [DONE]\n\n');
    expect(hits).toEqual([{ url: '/v1/chat', header: 'yes', body: '{"q":1}' }]);
  });

  it('connects a name to exactly the addresses it checked (no second DNS lookup)', async () => {
    hits.length = 0;
    // `ollama.internal` means nothing to real DNS: the socket can only use the pinned address.
    const pinned = createGuardedFetch({
      allowedPrivateRanges: ['127.0.0.1/32'],
      resolveHost: loopbackResolver,
    });
    const response = await send(pinned, `http://ollama.internal:${port}/v1/chat`);
    expect(await response.text()).toContain('[DONE]');
    expect(hits).toHaveLength(1);
  });

  it('checks a URL without a request, for refusing it when it is saved', async () => {
    await expect(checkEndpointUrl(new URL('http://10.0.0.8/v1'), {})).rejects.toThrow(/private/);
    await expect(
      checkEndpointUrl(new URL('http://10.0.0.8/v1'), { allowedPrivateRanges: ['10.0.0.0/8'] }),
    ).resolves.toEqual([]);
    await expect(
      checkEndpointUrl(new URL('https://nowhere.example/'), {
        resolveHost: async () => {
          throw new Error('NXDOMAIN');
        },
      }),
    ).rejects.toThrow(/could not resolve nowhere\.example/);
  });
});
