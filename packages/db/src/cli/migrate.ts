/**
 * `pnpm db:migrate`: the one explicit migration step for production. Run it once per deploy,
 * before starting new API and runner processes (they never migrate on their own).
 */
import { migrateDatabase } from '../migrate.ts';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('DATABASE_URL is not set: point it at the Postgres server to migrate.');
  process.exit(1);
}
await migrateDatabase(url);
console.log('migrations applied (SWARM tables and the pg-boss queue schema)');
