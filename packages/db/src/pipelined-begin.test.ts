/**
 * Transactions send their first statement right behind BEGIN, without waiting for BEGIN's answer
 * (`patches/postgres@3.4.9.patch`): one round trip less per transaction. Seen through a proxy that
 * holds back every answer of the server until the transaction's first statement has come from the
 * client — without the patch the client waits for BEGIN's answer first, and the transaction never
 * gets anywhere.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseProxy, startDatabaseProxy } from './testing/database-proxy.ts';
import { useTestDatabase } from './testing/vitest.ts';

const database = useTestDatabase();

describe('a transaction', () => {
  let proxy: DatabaseProxy;
  let sql: postgres.Sql;

  beforeAll(async () => {
    proxy = await startDatabaseProxy(database.url);
    sql = postgres(proxy.url, { max: 1, onnotice: () => {} });
    await sql`select 1`; // connected before anything is held back
  });
  afterAll(async () => {
    await sql.end();
    await proxy.close();
  });

  it('sends its first statement behind BEGIN before BEGIN is answered, inside that transaction', async () => {
    proxy.holdAnswersUntil('first statement of the transaction');
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
