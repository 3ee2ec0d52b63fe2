/**
 * Connecting to Postgres: one postgres.js pool per process wrapped by drizzle. Everything else in
 * this package takes the resulting `Db` (or a transaction of it) as its first argument. The pool
 * also keeps a frozen process (SIGSTOP, a VM pause) from holding row locks for as long as it stays
 * frozen: see `idleInTransactionTimeoutMs` and `endStalledSessions`.
 */
import { PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { preparingClient } from './prepared-statements.ts';

/**
 * Without the schema: drizzle's relational `db.query.*` builders are not used, and with a schema
 * every transaction constructs one for each table (in a profile of webhook ingest, ~1 % of the API's
 * CPU and a share of its allocations went to that alone).
 */
export type Db = PostgresJsDatabase;
/** A transaction handle; accepted wherever a `Db` is, so queries compose inside transactions. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

/**
 * Runs `work` in a transaction: `db`'s own when it already is one (no savepoint — a round trip
 * saved on hot paths like webhook ingest and schedule firing), else a new one.
 */
export function inTransaction<T>(db: DbOrTx, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db instanceof PgTransaction ? work(db as Tx) : db.transaction(work);
}

/** postgres.js's transaction as patched by SWARM (`patches/postgres@3.4.9.patch`). */
interface PipeliningTransactionSql {
  pipelineCommit(): Promise<unknown>;
}

/**
 * Ends `tx` with its last writes: COMMIT follows their statements down the connection at once
 * instead of after their answers, so the writes and the commit share one round trip. Resolves with
 * what `lastWrites` resolves to once committed; rejects with the first failed write's error. A
 * write that fails in the database (COMMIT then answers ROLLBACK), or in JS before its statement
 * goes out, leaves nothing committed; a check a write makes on its answer comes after the commit
 * (its error is thrown, but the transaction committed).
 *
 * The contract that makes it safe: every statement of `lastWrites` is issued without waiting for
 * any I/O first (a database answer, a file) — only microtasks, as drizzle's and pg-boss's own
 * layers take. COMMIT is sent once those have run (`setImmediate`); a statement issued after it
 * fails with `STATEMENT_AFTER_COMMIT` instead of running outside the transaction, but the others
 * will have committed. Nothing may be written in `tx` after this; the caller returns once it
 * resolves.
 */
export async function commitWithLastWrites<T>(tx: Tx, lastWrites: PromiseLike<T>): Promise<T> {
  // Once: a drizzle query is a thenable that runs again each time it is awaited.
  const writes = Promise.resolve(lastWrites);
  let failedBeforeCommit = false;
  writes.catch(() => {
    failedBeforeCommit = true;
  });
  await new Promise(setImmediate);
  // Thrown here, before COMMIT is sent, the transaction rolls back as for any other error.
  if (failedBeforeCommit) return writes;
  const client = (tx as unknown as { session: { client: PipeliningTransactionSql } }).session.client;
  const [result] = await Promise.all([writes, client.pipelineCommit()]);
  return result;
}

export interface DatabaseOptions {
  /** Pool size. Count it against the server's `max_connections` across every process. */
  max?: number;
  /** Seconds an idle connection is kept before closing. */
  idleTimeout?: number;
  /**
   * A session whose client went silent inside a transaction is ended after this long (ms), so a
   * process that froze mid-transaction (SIGSTOP, a VM pause) does not hold up, with its row locks,
   * the runner taking over its runs for as long as it stays frozen. Our transactions never wait on
   * anything slow. Two cases, because the server only covers one:
   *
   * - between statements (`idle in transaction`): the server's `idle_in_transaction_session_timeout`;
   * - in the middle of a statement (`active`, waiting on `ClientRead`/`ClientWrite`): postgres.js
   *   sends a statement new to a connection as Parse/Describe/Flush, waits for the parameter types,
   *   then sends Bind/Execute/Sync; frozen in between, the server waits for the rest inside the
   *   transaction, and neither that timeout nor `statement_timeout` fires there (Postgres 15/16 have
   *   no `transaction_timeout`). `endStalledSessions` ends those, every sixth of this period, from
   *   every process with a pool — whichever is not frozen.
   *
   * Default 30 s; 0 turns both off.
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * How the sessions name themselves in `pg_stat_activity`; default `swarm:<process id>`, so a lock
   * holder can be traced to its process.
   */
  applicationName?: string;
  /**
   * Told each statement's text as it is sent: lets a test see which statements a request makes (to
   * check that two paths do the same work) without timing anything.
   */
  onQuery?: ((statement: string) => void) | undefined;
}

export interface Database {
  db: Db;
  /** The underlying postgres.js client, for the few things drizzle doesn't do (LISTEN, raw health checks). */
  sql: postgres.Sql;
  /** The pool's connections in use and idle, and queries waiting for one (for metrics). */
  poolStats(): PoolStats;
  close(): Promise<void>;
}

export interface PoolStats {
  inUse: number;
  idle: number;
  waiting: number;
}

interface PostgresPoolCounts {
  open: number;
  busy: number;
  full: number;
  reserved: number;
  waiting: number;
}

/**
 * Read from postgres.js's own queues, exposed by our patch (`patches/postgres@3.4.9.patch`, which
 * adds `sql.stats()`): a connection is in use when it runs queries (busy, full) or is held by a
 * transaction or `reserve` (reserved); open ones are idle. Zeros if the patch is ever missing.
 */
function poolStatsOf(sql: postgres.Sql): PoolStats {
  const stats = (sql as unknown as { stats?: () => PostgresPoolCounts }).stats?.();
  if (!stats) return { inUse: 0, idle: 0, waiting: 0 };
  return { inUse: stats.busy + stats.full + stats.reserved, idle: stats.open, waiting: stats.waiting };
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): Database {
  const stalledAfterMs = options.idleInTransactionTimeoutMs ?? 30_000;
  const sql = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: options.idleTimeout ?? 30,
    connect_timeout: 10,
    connection: {
      application_name: options.applicationName ?? `swarm:${process.pid}`,
      idle_in_transaction_session_timeout: stalledAfterMs,
    },
    onnotice: () => {},
    ...(options.onQuery
      ? { debug: (_connection: number, statement: string) => options.onQuery?.(statement) }
      : {}),
  });
  const db = drizzle(preparingClient(sql));
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweeper =
    stalledAfterMs > 0
      ? setInterval(
          () => {
            // A failed sweep (the server restarting) is simply tried again on the next tick.
            sweeping = endStalledSessions(sql, stalledAfterMs).catch(() => {});
          },
          Math.max(stalledAfterMs / 6, 500),
        ).unref()
      : null;
  return {
    db,
    sql,
    poolStats: () => poolStatsOf(sql),
    close: async () => {
      if (sweeper) clearInterval(sweeper);
      await sweeping;
      await sql.end({ timeout: 5 });
    },
  };
}

/**
 * Ends this database's sessions (of the current role, so no extra privilege is needed) that have
 * been stuck for `stalledForMs` in the middle of a statement, the server waiting on a client that
 * neither sends the rest nor reads the answer: the client froze (see `idleInTransactionTimeoutMs`).
 * Ending one rolls its transaction back and frees its locks, as `idle_in_transaction_session_timeout`
 * would have done one message later; the frozen client finds its connection closed when it wakes.
 * Not for pools that stream `COPY FROM STDIN` or page through cursors inside a transaction — SWARM
 * does neither. Returns the ended sessions.
 */
export async function endStalledSessions(
  sql: postgres.Sql,
  stalledForMs: number,
): Promise<Array<{ pid: number; applicationName: string; query: string }>> {
  // Chosen first, ended after: in one WHERE clause the planner may call pg_terminate_backend before
  // the other conditions have ruled a session out.
  const ended = await sql<Array<{ pid: number; applicationName: string; query: string; ended: boolean }>>`
    with stalled as materialized (
      select pid, application_name, query from pg_stat_activity
      where datname = current_database() and usename = current_user and pid <> pg_backend_pid()
        and state = 'active' and wait_event_type = 'Client' and wait_event in ('ClientRead', 'ClientWrite')
        and state_change < now() - make_interval(secs => ${stalledForMs / 1000})
    )
    select pid, application_name as "applicationName", left(query, 200) as query,
      pg_terminate_backend(pid) as ended
    from stalled`;
  return ended.filter((session) => session.ended).map(({ ended: _, ...session }) => session);
}

/** True when the server answers a trivial query; used by health checks. */
export async function pingDatabase(database: Database): Promise<boolean> {
  try {
    await database.sql`select 1`;
    return true;
  } catch {
    return false;
  }
}

/** The installed pg-boss schema version, or null when the queue schema is missing. */
export async function queueSchemaVersion(database: Database): Promise<number | null> {
  try {
    const [row] = await database.sql<{ version: number }[]>`select version from pgboss.version`;
    return row ? Number(row.version) : null;
  } catch {
    return null;
  }
}
