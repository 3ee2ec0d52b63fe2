/**
 * A TCP proxy in front of a test database, for tests of what clients do when their connection
 * misbehaves — without touching the machine's shared server: an outage (`cut`, then `restore`), a
 * connection cut when the client sends some text (`cutWhen`), the server's answers held back until
 * the client sends some text (`holdAnswersUntil`).
 */
import net from 'node:net';

export interface DatabaseProxy {
  /** The database's URL through the proxy. */
  readonly url: string;
  /** The outage: every connection cut, new ones refused. */
  cut(): Promise<void>;
  /** The outage's end: listening again, on the same port. */
  restore(): Promise<void>;
  /** Cuts the connection that sends `text`, before the server sees it. */
  cutWhen(text: string): void;
  /** Holds the server's answers from now until a client sends `text`. */
  holdAnswersUntil(text: string): void;
  /** Stops the proxy (as `cut`). */
  close(): Promise<void>;
}

export async function startDatabaseProxy(databaseUrl: string): Promise<DatabaseProxy> {
  const url = new URL(databaseUrl);
  const target = { host: url.hostname, port: Number(url.port || 5432) };
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  let cutOn: string | null = null;
  let releaseOn: string | null = null;
  let held: { client: net.Socket; chunk: Buffer }[] = [];

  function forward(client: net.Socket) {
    const upstream = net.connect(target);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      const end = () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      };
      socket.on('close', end);
      socket.on('error', end);
    }
    client.on('data', (chunk: Buffer) => {
      if (cutOn !== null && chunk.includes(cutOn)) {
        cutOn = null;
        client.destroy();
        return;
      }
      upstream.write(chunk);
      if (releaseOn !== null && chunk.includes(releaseOn)) {
        releaseOn = null;
        for (const answer of held.splice(0)) answer.client.write(answer.chunk);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (releaseOn === null) client.write(chunk);
      else held.push({ client, chunk });
    });
  }

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer(forward);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await listen();
  url.hostname = '127.0.0.1';
  url.port = String(port);

  async function cut() {
    const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  }

  return {
    url: url.toString(),
    cut,
    restore: listen,
    close: cut,
    cutWhen(text) {
      cutOn = text;
    },
    holdAnswersUntil(text) {
      releaseOn = text;
      held = [];
    },
  };
}
