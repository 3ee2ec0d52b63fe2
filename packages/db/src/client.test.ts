/**
 * A client that froze inside a transaction must not hold its row locks for as long as it stays
 * frozen. The frozen client here speaks the wire protocol by hand, so it can stop exactly where
 * postgres.js does when the process is stopped mid-statement: after Parse/Describe/Flush of a
 * statement new to its connection, waiting for the parameter types before it sends Bind/Execute/Sync.
 */
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDatabase, endStalledSessions } from './client.ts';
import { useTestDatabase } from './testing/vitest.ts';

const database = useTestDatabase();

function message(type: string, body: Buffer) {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
const cString = (text: string) => Buffer.from(`${text}\0`);

/**
 * Connects as `applicationName`, updates the probe row in an open transaction, then sends a new
 * statement as Parse/Describe/Flush and goes silent, the way a frozen postgres.js client does.
 * Resolves once the server has answered the Describe (it now waits for Bind).
 */
async function freezeMidStatement(url: string, applicationName: string) {
  const { hostname, port, username, pathname } = new URL(url);
  const socket = net.connect(Number(port || 5432), hostname);
  await once(socket, 'connect');
  const received: string[] = [];
  let buffered = Buffer.alloc(0);
  let describedResolve: () => void = () => {};
  const described = new Promise<void>((resolve) => {
    describedResolve = resolve;
  });
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 5 && buffered.length >= 1 + buffered.readInt32BE(1)) {
      const type = String.fromCharCode(buffered[0]!);
      received.push(type);
      // ParameterDescription: the server answered the Describe and now waits for Bind.
      if (type === 't') describedResolve();
      buffered = buffered.subarray(1 + buffered.readInt32BE(1));
    }
  });
  const closed = once(socket, 'close');
  const parameters = {
    user: decodeURIComponent(username || 'postgres'),
    database: pathname.slice(1),
    application_name: applicationName,
  };
  const startup = Buffer.concat([
    Buffer.from([0, 3, 0, 0]),
    ...Object.entries(parameters).map(([key, value]) => Buffer.concat([cString(key), cString(value)])),
    Buffer.from([0]),
  ]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(startup.length + 4);
  socket.write(Buffer.concat([length, startup]));
  socket.write(message('Q', cString('begin; update stall_probe set value = value + 1 where id = 1')));
  socket.write(
    Buffer.concat([
      message(
        'P',
        Buffer.concat([
          cString('s1'),
          cString('select value from stall_probe where id = $1'),
          Buffer.from([0, 0]),
        ]),
      ),
      message('D', Buffer.concat([Buffer.from('S'), cString('s1')])),
      message('H', Buffer.alloc(0)),
    ]),
  );
  await described;
  return { socket, closed, received };
}

/** Waits until the server reports a session of `applicationName` in `state`, waiting on `wait`. */
async function sessionReaches(applicationName: string, state: string, wait: string | null) {
  for (;;) {
    const rows = await database.sql`
      select 1 from pg_stat_activity
      where application_name = ${applicationName} and state = ${state}
        and wait_event is not distinct from ${wait}::text`;
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  await database.sql`create table stall_probe (id int primary key, value int not null)`;
  await database.sql`insert into stall_probe values (1, 0)`;
});

describe('a client frozen in the middle of a statement inside a transaction', () => {
  const live = { pool: null as ReturnType<typeof connectDatabase> | null };
  afterAll(async () => {
    await live.pool?.close();
  });

  it('is reported by the server as active, waiting on its client: no server timeout applies', async () => {
    const frozen = await freezeMidStatement(database.url, 'frozen-probe');
    try {
      await sessionReaches('frozen-probe', 'active', 'ClientRead');
      const [session] = await database.sql<{ state: string; wait: string; xid: string | null }[]>`
        select state, wait_event as wait, backend_xid::text as xid from pg_stat_activity
        where application_name = 'frozen-probe'`;
      expect(session).toEqual({ state: 'active', wait: 'ClientRead', xid: expect.any(String) });
    } finally {
      frozen.socket.destroy();
      await frozen.closed;
    }
  });

  it('is ended by a live pool once stalled past the timeout, releasing its row lock and write', async () => {
    const frozen = await freezeMidStatement(database.url, 'frozen-takeover');
    live.pool = connectDatabase(database.url, { max: 2, idleInTransactionTimeoutMs: 1000 });
    // Blocks on the frozen client's row lock until the pool's sweep ends that session.
    const [row] = await live.pool.sql.begin(
      (tx) => tx<{ value: number }[]>`select value from stall_probe where id = 1 for update`,
    );
    expect(row).toEqual({ value: 0 });
    await frozen.closed;
    expect(frozen.received).toContain('E');
  });
});

describe('endStalledSessions', () => {
  it('ends only sessions stuck mid-statement, not ones running a query or idle in a transaction', async () => {
    const frozen = await freezeMidStatement(database.url, 'frozen-sweep');
    const busy = connectDatabase(database.url, {
      max: 2,
      idleInTransactionTimeoutMs: 0,
      applicationName: 'busy',
    });
    // Both stay as they are until the sweep is over, however slow the machine: the query until it
    // is cancelled, the transaction until it is released (no durations for the sweep to outrun).
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const cancelSleep = () => database.sql`
      select pg_cancel_backend(pid) from pg_stat_activity
      where application_name = 'busy' and wait_event = 'PgSleep'`;
    try {
      const sleeping = busy.sql`select pg_sleep(600)`.execute().then(
        () => null,
        (error: { code?: string }) => error.code,
      );
      const idleInTransaction = busy.sql.begin(async (tx) => {
        await tx`select 1`;
        await released;
      });
      await Promise.all([
        sessionReaches('frozen-sweep', 'active', 'ClientRead'),
        sessionReaches('busy', 'active', 'PgSleep'),
        sessionReaches('busy', 'idle in transaction', 'ClientRead'),
      ]);

      const ended = await endStalledSessions(database.sql, 0);
      expect(ended.map((session) => session.applicationName)).toEqual(['frozen-sweep']);
      await frozen.closed;
      // Untouched by the sweep: the sleep is still running (ended now by us: query_canceled) and
      // the transaction still commits.
      release();
      await cancelSleep();
      expect(await sleeping).toBe('57014');
      await idleInTransaction;
    } finally {
      frozen.socket.destroy();
      release();
      await cancelSleep();
      await busy.close();
    }
  });
});
