/**
 * Connecting to Postgres: one postgres.js pool per process wrapped by drizzle. Everything else in
 * this package takes the resulting `Db` (or a transaction of it) as its first argument.
 */
import { PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema>;
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

export interface DatabaseOptions {
  /** Pool size. Count it against the server's `max_connections` across every process. */
  max?: number;
  /** Seconds an idle connection is kept before closing. */
  idleTimeout?: number;
  /**
   * The server ends a session that sits inside a transaction doing nothing for this long (ms).
   * Our transactions never wait on anything slow, so this only fires for a process that froze
   * mid-transaction (SIGSTOP, a VM pause): without it, its row locks would hold up the runner
   * taking over its runs for as long as it stays frozen. Default 30 s; 0 turns it off.
   */
  idleInTransactionTimeoutMs?: number;
  /**
   * How the sessions name themselves in `pg_stat_activity`; default `swarm:<process id>`, so a lock
   * holder can be traced to its process.
   */
  applicationName?: string;
}

export interface Database {
  db: Db;
  /** The underlying postgres.js client, for the few things drizzle doesn't do (LISTEN, raw health checks). */
  sql: postgres.Sql;
  close(): Promise<void>;
}

export function connectDatabase(url: string, options: DatabaseOptions = {}): Database {
  const sql = postgres(url, {
    max: options.max ?? 10,
    idle_timeout: options.idleTimeout ?? 30,
    connect_timeout: 10,
    connection: {
      application_name: options.applicationName ?? `swarm:${process.pid}`,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 30_000,
    },
    onnotice: () => {},
  });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
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
