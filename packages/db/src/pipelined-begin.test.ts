/**
 * Transactions send their first statement right behind BEGIN, without waiting for BEGIN's answer
 * (`patches/postgres@3.4.9.patch`): one round trip less per transaction. Seen through a proxy that
 * holds back every answer of the server until the transaction's first statement has come from the
 * client — without the patch the client waits for BEGIN's answer first, and the transaction never
 * gets anywhere.
 */
import { once } from 'node:events';
import net from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from './testing/vitest.ts';

const database = useTestDatabase();

/**
 * A TCP proxy to the test server that can hold the server's answers until `releaseOn` is seen, or
 * cut the connection when `cutOn` is.
 */
function answerHoldingProxy(target: { host: string; port: number }) {
  let releaseOn: string | null = null;
  let cutOn: string | null = null;
  let held: { socket: net.Socket; chunk: Buffer }[] = [];
  const release = () => {
    releaseOn = null;
    for (const { socket, chunk } of held.splice(0)) socket.write(chunk);
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    client.on('data', (chunk) => {
      if (cutOn !== null && chunk.includes(cutOn)) {
        cutOn = null;
        client.destroy();
        return;
      }
      upstream.write(chunk);
      if (releaseOn !== null && chunk.includes(releaseOn)) release();
    });
    upstream.on('data', (chunk) => {
      if (releaseOn === null) client.write(chunk);
      else held.push({ socket: client, chunk });
    });
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('error', () => b.destroy());
      a.on('close', () => b.destroy());
    }
  });
  return {
    server,
    /** Holds the server's answers from now until the client sends `text`. */
    holdUntil(text: string) {
      releaseOn = text;
      held = [];
    },
    /** Cuts the connection that sends `text`, before the server sees it. */
    cutWhen(text: string) {
      cutOn = text;
    },
  };
}

describe('a transaction', () => {
  let proxy: ReturnType<typeof answerHoldingProxy>;
  let sql: postgres.Sql;

  beforeAll(async () => {
    const url = new URL(database.url);
    proxy = answerHoldingProxy({ host: url.hostname, port: Number(url.port || 5432) });
    proxy.server.listen(0, '127.0.0.1');
    await once(proxy.server, 'listening');
    url.hostname = '127.0.0.1';
    url.port = String((proxy.server.address() as net.AddressInfo).port);
    sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await sql`select 1`; // connected before anything is held back
  });
  afterAll(async () => {
    await sql.end();
    proxy.server.close();
  });

  it('sends its first statement behind BEGIN before BEGIN is answered, inside that transaction', async () => {
    proxy.holdUntil('first statement of the transaction');
    const [first, second] = await sql.begin('isolation level serializable', async (tx) => [
      ...(await tx`select 'first statement of the transaction' as note, txid_current() as id,
        current_setting('transaction_isolation') as isolation`),
      ...(await tx`select txid_current() as id`),
    ]);
    expect(first).toMatchObject({ isolation: 'serializable' });
    expect(second!.id).toBe(first!.id);
  });

  it('fails when its connection closes behind BEGIN, and leaves the pool able to reconnect', async () => {
    // The statements were sent before anyone knew the connection had gone; the pool has one
    // connection, so one lost to it would leave the next query waiting for ever.
    proxy.cutWhen('statement cut off');
    await expect(
      sql.begin(async (tx) => {
        await tx`select 'statement cut off'`;
        await tx`select 'never sent'`;
      }),
    ).rejects.toThrow(/CONNECTION_CLOSED|write CONNECTION_CLOSED|connection/i);
    expect(await sql`select 'back' as state`).toEqual([{ state: 'back' }]);
    expect(await sql.begin((tx) => tx`select 'back in a transaction' as state`)).toEqual([
      { state: 'back in a transaction' },
    ]);
  });

  it('still rolls back all of its statements when one fails', async () => {
    await sql`create table if not exists pipelined_begin_probe (n int primary key)`;
    await expect(
      sql.begin(async (tx) => {
        await tx`insert into pipelined_begin_probe values (1)`;
        await tx`insert into pipelined_begin_probe values (1)`; // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await sql`select * from pipelined_begin_probe`).toEqual([]);
  });
});
