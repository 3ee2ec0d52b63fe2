/**
 * The job catalog as the migrate step applies it: a database migrated before a queue setting
 * changed gets the new setting on its next migrate (pg-boss fixes only a queue's policy at creation).
 */
import { describe, expect, it } from 'vitest';
import { jobCatalog } from './jobs.ts';
import { migrateDatabase, QUEUE_SCHEMA } from './migrate.ts';
import { useTestDatabase } from './testing/vitest.ts';

const database = useTestDatabase();

async function runQueueNotify(): Promise<boolean | undefined> {
  const [row] = await database.sql<{ notify: boolean }[]>`
    select notify from ${database.sql(QUEUE_SCHEMA)}.queue where name = 'run'`;
  return row?.notify;
}

describe('migrate and the job catalog', () => {
  it('turns off per-insert NOTIFY on an existing `run` queue', async () => {
    expect(jobCatalog.run.queue.notify).toBe(false);
    // A database migrated when the queue still notified on every insert.
    await database.sql`update ${database.sql(QUEUE_SCHEMA)}.queue set notify = true where name = 'run'`;
    expect(await runQueueNotify()).toBe(true);
    await migrateDatabase(database.url);
    expect(await runQueueNotify()).toBe(false);
  });
});
