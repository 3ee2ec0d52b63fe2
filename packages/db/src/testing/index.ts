/**
 * The test harness's database side. Tests run on a real Postgres: `DATABASE_URL`'s server if set,
 * else the machine's server at 127.0.0.1:5432 if it answers, else the embedded one. A migrated
 * template database is made once per run (per migration set); every test file gets its own
 * database cloned from it, so files run in parallel and leave nothing behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { connectDatabase, type Database } from '../client.ts';
import { portAnswers, startEmbeddedPostgres } from '../embedded.ts';
import { jobCatalog } from '../jobs.ts';
import { migrateDatabase, migrationsFolder } from '../migrate.ts';

export { type DatabaseProxy, startDatabaseProxy } from './database-proxy.ts';

export interface TestServer {
  adminUrl: string;
  stop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function findTestServer(repoRoot: string): Promise<TestServer> {
  const fromEnv = process.env.DATABASE_URL;
  if (fromEnv) return { adminUrl: withDatabase(fromEnv, 'postgres'), stop: async () => {} };
  if (await portAnswers(5432)) {
    return { adminUrl: 'postgres://postgres@127.0.0.1:5432/postgres', stop: async () => {} };
  }
  const server = await startEmbeddedPostgres({
    dataDir: path.join(repoRoot, '.swarm', 'test-postgres'),
    port: Number(process.env.SWARM_TEST_PG_PORT ?? 54330),
  });
  return { adminUrl: server.adminUrl, stop: server.stop };
}

/**
 * Name of the template for the current migrations, pg-boss version and queues: any change to them
 * means a new template.
 */
/** `swarm_tpl_<hash of migrations, queue catalog and pg-boss version>`; a built one adds `_<created ms>`. */
function templatePrefix(): string {
  const hash = createHash('sha256');
  const pgBossPackage = fileURLToPath(new URL('../../node_modules/pg-boss/package.json', import.meta.url));
  hash.update(JSON.parse(readFileSync(pgBossPackage, 'utf8')).version);
  hash.update(JSON.stringify(Object.entries(jobCatalog).map(([name, job]) => [name, job.queue])));
  for (const file of readdirSync(migrationsFolder).sort()) {
    if (file.endsWith('.sql')) hash.update(file).update(readFileSync(path.join(migrationsFolder, file)));
  }
  return `swarm_tpl_${hash.digest('hex').slice(0, 12)}`;
}

const TEST_DB_PREFIX = 'swarm_test_';
const STALE_AFTER_MS = 60 * 60 * 1000;

/** A template's comment holds when a run last chose it: `swarm test template, last used <ms>`. */
const LAST_USED = /last used (\d+)/;

/**
 * Makes sure the migrated template exists and clears leftovers of crashed runs. Runs once per test
 * run (vitest globalSetup); concurrent runs serialise on an advisory lock. Templates of other
 * migration sets are dropped only once they have gone unused for an hour: another checkout (a CI
 * clone, a branch) testing against the same server may still be cloning from one — so a run marks
 * the template it takes as used, and age counts from the later of creation and last use.
 */
export async function prepareTestTemplate(adminUrl: string): Promise<string> {
  const prefix = templatePrefix();
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  let template: string | undefined;
  try {
    await admin`select pg_advisory_lock(hashtext('swarm:test-template'))`;
    const existing = await admin<{ datname: string; note: string | null }[]>`
      select datname, shobj_description(oid, 'pg_database') as note from pg_database
      where datname like 'swarm_tpl_%' or datname like ${`${TEST_DB_PREFIX}%`}`;
    template = existing.find(
      (row) => row.datname.startsWith(`${prefix}_`) && !row.datname.endsWith('_building'),
    )?.datname;
    for (const { datname, note } of existing) {
      if (datname === template) continue;
      // swarm_test_<created ms>_<hex>, swarm_tpl_<hash>_<created ms> (older templates had no time: 0).
      const created =
        Number(datname.startsWith(TEST_DB_PREFIX) ? datname.split('_')[2] : datname.split('_')[3]) || 0;
      const lastUsed = Number(note?.match(LAST_USED)?.[1] ?? 0);
      // Our own migration set's spare copies (an unnamed older one, an interrupted build) go at once.
      const ours = datname.startsWith(prefix);
      if (ours || Date.now() - Math.max(created, lastUsed) > STALE_AFTER_MS)
        await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    }
    if (!template) {
      template = `${prefix}_${Date.now()}`;
      // Build under a temporary name and rename, so a crash never leaves a half-migrated template.
      const building = `${prefix}_building`;
      await admin.unsafe(`drop database if exists "${building}" with (force)`);
      await admin.unsafe(`create database "${building}"`);
      await migrateDatabase(withDatabase(adminUrl, building));
      await admin.unsafe(`alter database "${building}" rename to "${template}"`);
    }
    await admin.unsafe(`comment on database "${template}" is 'swarm test template, last used ${Date.now()}'`);
  } finally {
    await admin`select pg_advisory_unlock(hashtext('swarm:test-template'))`.catch(() => {});
    await admin.end({ timeout: 5 });
  }
  return template;
}

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Closes the pool and drops the database. */
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(adminUrl: string, template: string): Promise<TestDatabase> {
  // The creation time is in the name so a later run can tell a crashed run's leftovers apart.
  const name = `${TEST_DB_PREFIX}${Date.now()}_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}" template "${template}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  const url = withDatabase(adminUrl, name);
  const database = connectDatabase(url, { max: 5 });
  return {
    ...database,
    url,
    name,
    async drop() {
      await database.close();
      const dropper = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end({ timeout: 5 });
      }
    },
  };
}
