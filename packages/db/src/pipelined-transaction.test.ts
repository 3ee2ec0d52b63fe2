/**
 * Round trips taken out of transactions (`patches/postgres@3.4.9.patch`): the first statement goes
 * right behind BEGIN, without waiting for BEGIN's answer, and `commitWithLastWrites` sends COMMIT
 * right behind the last writes. Seen through a proxy that holds back every answer of the server
 * until some statement has come from the client — without the patch the client waits for an answer
 * first, and the transaction never gets anywhere.
 */
import { sql as sqlText } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { commitWithLastWrites, connectDatabase, type Database, type Tx } from './client.ts';
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

describe('commitWithLastWrites', () => {
  let proxy: DatabaseProxy;
  let pool: Database;
  const probe = async () =>
    (await pool.sql<{ n: number }[]>`select n from last_writes_probe order by n`).map((row) => row.n);
  const insert = (tx: Tx, n: number) => tx.execute(sqlText`insert into last_writes_probe values (${n})`);

  beforeAll(async () => {
    proxy = await startDatabaseProxy(database.url);
    // One connection: a connection lost to a misstep would leave the next statement waiting.
    pool = connectDatabase(proxy.url, { max: 1, idleInTransactionTimeoutMs: 0 });
    await pool.sql`create table if not exists last_writes_probe (n int primary key)`;
  });
  beforeEach(async () => {
    await pool.sql`truncate last_writes_probe`;
  });
  afterAll(async () => {
    await pool.close();
    await proxy.close();
  });

  it('sends COMMIT before the last writes are answered, and commits them', async () => {
    // A connection of its own, on which COMMIT is new: a statement prepared before on a connection
    // is sent by name only, without its text for the proxy to see. Unparameterised writes: a
    // parameterised statement new to a connection waits for its parameter types first.
    const fresh = connectDatabase(proxy.url, { max: 1, idleInTransactionTimeoutMs: 0 });
    try {
      await fresh.sql`select 1`;
      proxy.holdAnswersUntil('commit');
      const written = await fresh.db.transaction((tx) =>
        commitWithLastWrites(
          tx,
          Promise.all([
            tx.execute(sqlText`insert into last_writes_probe values (1)`),
            tx.execute(sqlText`insert into last_writes_probe values (2)`),
          ]),
        ),
      );
      expect(written).toHaveLength(2);
      expect(await probe()).toEqual([1, 2]);
    } finally {
      await fresh.close();
    }
  });

  it("rolls every write back when one fails, with that write's error", async () => {
    await expect(
      pool.db.transaction((tx) =>
        commitWithLastWrites(tx, Promise.all([insert(tx, 1), insert(tx, 2), insert(tx, 1)])),
      ),
    ).rejects.toHaveProperty('cause.message', expect.stringMatching(/duplicate key/));
    expect(await probe()).toEqual([]);
    expect(await pool.db.transaction((tx) => commitWithLastWrites(tx, insert(tx, 3)))).toBeDefined();
    expect(await probe()).toEqual([3]);
  });

  it('rolls back when a write fails in JS before sending anything', async () => {
    await expect(
      pool.db.transaction((tx) =>
        commitWithLastWrites(tx, Promise.all([insert(tx, 1), Promise.reject(new Error('checked in JS'))])),
      ),
    ).rejects.toThrow('checked in JS');
    expect(await probe()).toEqual([]);
  });

  it('refuses a statement issued after COMMIT instead of running it outside the transaction', async () => {
    // Breaks the contract on purpose: the second write waits two turns of the event loop, past
    // the moment COMMIT is sent.
    const late = async (tx: Tx) => {
      await new Promise(setImmediate);
      await new Promise(setImmediate);
      return insert(tx, 2);
    };
    await expect(
      pool.db.transaction((tx) => commitWithLastWrites(tx, Promise.all([insert(tx, 1), late(tx)]))),
    ).rejects.toHaveProperty('cause.code', 'STATEMENT_AFTER_COMMIT');
    expect(await probe()).toEqual([1]);
    expect(await pool.db.transaction((tx) => commitWithLastWrites(tx, insert(tx, 3)))).toBeDefined();
    expect(await probe()).toEqual([1, 3]);
  });
});
