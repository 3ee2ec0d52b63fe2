/**
 * `pnpm start` (and `pnpm dev`): brings up everything on one machine.
 *
 * 1. Postgres: `DATABASE_URL` if set, else an embedded server with data under `.swarm/`.
 * 2. Migrations (ours and pg-boss's), then — on an empty database — the demo account and sample
 *    workflow, whose credentials are printed.
 * 3. The API (serving the built web app on the same port) and one runner, as child processes,
 *    exactly as they run in production. `--dev` adds Vite with hot reload and restarts on change.
 *
 * Ctrl-C stops everything in order and exits 0: the API and the runner drain (SIGTERM), then the
 * embedded database stops. The children and the database run in process groups of their own, so
 * the terminal's SIGINT reaches only this script, which stops them in that order.
 *
 * `SWARM_STATE_DIR` moves `.swarm/` (embedded data, generated key, demo credentials) elsewhere.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '@swarm/api-router';
import {
  connectDatabase,
  ensureDatabase,
  migrateDatabase,
  seedDemoAccount,
  startEmbeddedPostgres,
} from '@swarm/db';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const dev = process.argv.includes('--dev');
const port = Number(process.env.PORT ?? 3000);
// Where the embedded database, the generated key and the demo credentials live (tests use their own).
const stateDir = path.resolve(process.env.SWARM_STATE_DIR ?? path.join(root, '.swarm'));
const say = (line: string) => console.log(`[swarm] ${line}`);

async function resolveDatabase() {
  if (process.env.DATABASE_URL) {
    say('using the database in DATABASE_URL');
    return { url: process.env.DATABASE_URL, stop: async () => {} };
  }
  const pgPort = Number(process.env.SWARM_EMBEDDED_PG_PORT ?? 54329);
  const dataDir = path.join(stateDir, 'postgres');
  const server = await startEmbeddedPostgres({ dataDir, port: pgPort });
  await ensureDatabase(server.adminUrl, 'swarm');
  const url = server.urlFor('swarm');
  say(`embedded Postgres on 127.0.0.1:${pgPort}, data in ${path.relative(root, dataDir)}/ (${url})`);
  return { url, stop: () => server.stop() };
}

async function seedOnFirstStart(url: string, embedded: boolean) {
  const database = connectDatabase(url, { max: 1 });
  try {
    const email = 'demo@swarm.local';
    const password = randomBytes(9).toString('base64url');
    const user = await seedDemoAccount(database.db, {
      email,
      name: 'Demo',
      passwordHash: await hashPassword(password),
    });
    if (!user) return;
    say(`created the demo account — email: ${email}  password: ${password}`);
    if (embedded) {
      await writeFile(
        path.join(stateDir, 'demo-credentials.txt'),
        `email: ${email}\npassword: ${password}\n`,
        {
          mode: 0o600,
        },
      );
      say(`(also saved in ${path.relative(root, path.join(stateDir, 'demo-credentials.txt'))})`);
    }
  } finally {
    await database.close();
  }
}

/**
 * The key that encrypts provider credentials at rest. Production configures `SWARM_SECRET_KEY`;
 * on the embedded database one is generated once and kept beside the data in `.swarm/`.
 */
async function resolveSecretKey(embedded: boolean): Promise<Record<string, string>> {
  if (process.env.SWARM_SECRET_KEY) return {};
  if (!embedded) {
    say('SWARM_SECRET_KEY is not set: saving provider API keys in the app is disabled');
    return {};
  }
  const file = path.join(stateDir, 'secret-key');
  let key = await readFile(file, 'utf8').catch(() => '');
  if (!key.trim()) {
    key = randomBytes(32).toString('base64');
    await writeFile(file, `${key}\n`, { mode: 0o600 });
    say(`generated the credentials encryption key in ${path.relative(root, file)}`);
  }
  return { SWARM_SECRET_KEY: key.trim() };
}

const children: ChildProcess[] = [];
function run(name: string, args: string[], env: Record<string, string>, cwd = root) {
  // A process group of its own (like the embedded database's): Ctrl-C signals the terminal's whole
  // foreground group, and a child hit by it mid-start dies before it can drain — and looks like a
  // crash here. Only this script signals the children, in order (see `stop`).
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: 'inherit',
    detached: true,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  children.push(child);
}

let stopping = false;
let database: Awaited<ReturnType<typeof resolveDatabase>> | undefined;
async function stop(exitCode = 0) {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  await database?.stop();
  process.exit(exitCode);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
// Should this script end any other way (a crash), its detached children must not outlive it.
process.on('exit', () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});

await mkdir(stateDir, { recursive: true });
database = await resolveDatabase();
const url = database.url;
await migrateDatabase(url);
say('migrations applied');
await seedOnFirstStart(url, !process.env.DATABASE_URL);
const secrets = await resolveSecretKey(!process.env.DATABASE_URL);

const tsx = (entry: string) => ['--import', 'tsx', ...(dev ? ['--watch'] : []), path.join(root, entry)];
run('api', tsx('apps/api/src/main.ts'), {
  ...secrets,
  DATABASE_URL: url,
  PORT: String(port),
  WEB_DIST_DIR: path.join(root, 'apps/web/dist'),
});
run('runner', tsx('apps/runner/src/main.ts'), { ...secrets, DATABASE_URL: url });
if (dev) {
  const vite = path.join(root, 'apps/web/node_modules/vite/bin/vite.js');
  run(
    'web',
    [vite, '--port', String(port + 1)],
    { SWARM_API_URL: `http://127.0.0.1:${port}` },
    path.join(root, 'apps/web'),
  );
  say(`web (hot reload) on http://localhost:${port + 1} — API on http://localhost:${port}`);
} else {
  say(`SWARM is up on http://localhost:${port}`);
}
