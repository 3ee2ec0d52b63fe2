/**
 * Subscriptions through `createSwarmClient` against a small real HTTP server that speaks tRPC's
 * SSE wire format and drops the stream on purpose: every (re)connect carries the bearer token, a
 * dropped stream is resumed with `Last-Event-ID` naming the last event that fully arrived (so
 * `runs.events` goes on where it stopped), and the stream may come in any line endings and pieces.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import superjson from 'superjson';
import { afterEach, describe, expect, it } from 'vitest';
import { createSwarmClient } from './index.ts';

const RUN_ID = '00000000-0000-4000-8000-000000000001';

interface Seen {
  authorization: string | undefined;
  lastEventId: string | undefined;
}

/** One tracked `runs.events` event as the API sends it: its id, and the superjson-encoded data. */
const event = (id: number, eol = '\n') =>
  `id: ${id}${eol}data: ${JSON.stringify(superjson.serialize({ kind: 'step', n: id }))}${eol}${eol}`;
/** Opens the stream: reconnect after 10 ms (not the default seconds), then tRPC's `connected`. */
const opening = 'retry: 10\n\nevent: connected\ndata: {}\n\n';
const end = 'event: return\ndata: \n\n';

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/**
 * Serves `runs.events`: the n-th connection is answered by `connections[n]`, which writes the
 * stream and then ends it or drops it. Records the headers each connection came with.
 */
async function sseServer(connections: ((response: ServerResponse) => Promise<void>)[]) {
  const seen: Seen[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (!request.url?.startsWith('/trpc/runs.events')) {
      response.writeHead(404).end();
      return;
    }
    seen.push({
      authorization: request.headers.authorization,
      lastEventId: request.headers['last-event-id'] as string | undefined,
    });
    const answer = connections[seen.length - 1];
    if (!answer) {
      response.writeHead(500).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.flushHeaders();
    void answer(response);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  stop = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** Writes `text`, waiting until it is handed to the socket (so pieces leave one by one). */
const write = (response: ServerResponse, text: string) =>
  new Promise<void>((resolve, reject) =>
    response.write(text, (error) => (error ? reject(error) : resolve())),
  );

/** Writes, then drops the connection without ending the stream (a network failure, not an end). */
const dropAfter = (text: string) => async (response: ServerResponse) => {
  await write(response, text);
  response.socket?.destroy();
};
const endAfter = (text: string) => async (response: ServerResponse) => {
  await write(response, text);
  response.end();
};

/** Subscribes to one run's events and resolves with what arrived once the server ends the stream. */
function watch(url: string) {
  const swarm = createSwarmClient({ url, token: 'swt_test' });
  const received: { id: string | undefined; data: unknown }[] = [];
  return new Promise<typeof received>((resolve, reject) => {
    swarm.runs.events.subscribe(
      { id: RUN_ID },
      {
        onData: (value) => received.push({ id: value.id, data: value.data }),
        onError: reject,
        onComplete: () => resolve(received),
      },
    );
  });
}

describe('runs.events over SSE', () => {
  it('reconnects after a dropped stream with the bearer token and Last-Event-ID of the last event', async () => {
    const { url, seen } = await sseServer([
      dropAfter(opening + event(1) + event(2)),
      endAfter(opening + event(3) + end),
    ]);
    const received = await watch(url);
    expect(received.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(received[2]!.data).toEqual({ kind: 'step', n: 3 });
    expect(seen).toEqual([
      { authorization: 'Bearer swt_test', lastEventId: undefined },
      { authorization: 'Bearer swt_test', lastEventId: '2' },
    ]);
  });

  it('resumes from the last complete event when the stream drops in the middle of one', async () => {
    // Event 2's id arrived, its data and the blank line that dispatches it did not: it never
    // happened for the client, so the resume point is 1 and the server sends 2 again.
    const { url, seen } = await sseServer([
      dropAfter(`${opening}${event(1)}id: 2\ndata: {"json":`),
      endAfter(opening + event(2) + event(3) + end),
    ]);
    const received = await watch(url);
    expect(received.map((e) => e.id)).toEqual(['1', '2', '3']);
    expect(seen.map((s) => s.lastEventId)).toEqual([undefined, '1']);
  });

  it('reads CRLF and CR line ends, comments, multi-line data, and lines split across pieces', async () => {
    const stream =
      ': a comment, ignored\r\n' +
      opening.replaceAll('\n', '\r\n') +
      event(1, '\r') +
      // One JSON value spread over two data lines: they are joined with a newline.
      `id: 2\r\ndata: {"json":\r\ndata: {"kind":"step","n":2}}\r\n\r\n` +
      end;
    const { url } = await sseServer([
      async (response) => {
        for (let at = 0; at < stream.length; at += 3) await write(response, stream.slice(at, at + 3));
        response.end();
      },
    ]);
    const received = await watch(url);
    expect(received).toEqual([
      { id: '1', data: { kind: 'step', n: 1 } },
      { id: '2', data: { kind: 'step', n: 2 } },
    ]);
  });
});
