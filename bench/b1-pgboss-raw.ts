/**
 * B1 — raw pg-boss, the queue's own ceiling for SWARM's stack (the baseline B3 divides by).
 *
 * On a scratch database (whose `pgboss` schema SWARM's migrations installed) a fresh queue
 * `bench_b1` with `notify: true` gets `B1_JOBS` (default 10,000) no-op jobs in batched `insert`
 * calls; then one pg-boss instance (`useListenNotify`) works them with the settings STACK.md
 * measured best here: `batchSize` `B1_BATCH` (default 500), `localConcurrency` 4,
 * `burstWhenBatchFull`. Completed = rows in state `completed` (pg-boss's own completion writes,
 * not just handler returns), counted from the first `work` call until all are completed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, findTestServer, prepareTestTemplate } from '@swarm/db/testing';
// pg-boss is @swarm/db's dependency, not the root's (the lockfile is shared, so no new dependency):
// import it through @swarm/db's link to the very copy SWARM runs.
import { PgBoss } from '../packages/db/node_modules/pg-boss/dist/index.js';
import { type Benchmark, type BenchResult, rateRow, repoRoot } from './lib.ts';

const JOBS = Number(process.env.B1_JOBS ?? 10_000);
const BATCH = Number(process.env.B1_BATCH ?? 500);
const LOCAL_CONCURRENCY = 4;
const INSERT_CHUNK = 1_000;
const QUEUE = 'bench_b1';
const SCHEMA = 'pgboss';

export const b1: Benchmark = {
  id: 'B1',
  title: `raw pg-boss: ${JOBS} no-op jobs, batch insert, batched work with NOTIFY`,
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = {};
    const pg = await findTestServer(repoRoot);
    const template = await prepareTestTemplate(pg.adminUrl);
    const database = await createTestDatabase(pg.adminUrl, template);
    const boss = new PgBoss({
      connectionString: database.url,
      schema: SCHEMA,
      max: 6,
      migrate: false,
      supervise: false,
      schedule: false,
      useListenNotify: true,
      registerInstance: false,
    });
    boss.on('error', (err) => console.error('B1 pg-boss error:', err));
    try {
      const [{ server_version }] = (await database.sql`show server_version`) as unknown as [
        { server_version: string },
      ];
      versions.postgres = server_version;
      versions['pg-boss'] = (
        JSON.parse(
          readFileSync(path.join(repoRoot, 'packages/db/node_modules/pg-boss/package.json'), 'utf8'),
        ) as { version: string }
      ).version;
      await boss.start();
      await boss.createQueue(QUEUE, { notify: true, retryLimit: 0 });

      const insertStart = performance.now();
      for (let i = 0; i < JOBS; i += INSERT_CHUNK) {
        const n = Math.min(INSERT_CHUNK, JOBS - i);
        await boss.insert(
          QUEUE,
          Array.from({ length: n }, (_, k) => ({ data: { i: i + k } })),
        );
      }
      const insertMs = performance.now() - insertStart;

      const completedCount = async () => {
        const [{ n }] = (await database.sql.unsafe(
          `select count(*)::int as n from ${SCHEMA}.job where name = $1 and state = 'completed'`,
          [QUEUE],
        )) as unknown as [{ n: number }];
        return n;
      };

      let handled = 0;
      const workStart = performance.now();
      await boss.work(
        QUEUE,
        {
          batchSize: BATCH,
          localConcurrency: LOCAL_CONCURRENCY,
          pollingIntervalSeconds: 0.5,
          notifyPollingIntervalSeconds: 0.5,
          burstWhenBatchFull: true,
        },
        async (jobs) => {
          handled += jobs.length;
        },
      );
      const deadline = Date.now() + 300_000;
      let completed = 0;
      while (Date.now() < deadline) {
        completed = await completedCount();
        if (completed >= JOBS) break;
        await sleep(20);
      }
      const workMs = performance.now() - workStart;
      const jobsPerSecond = (completed / workMs) * 1000;
      const insertPerSecond = (JOBS / insertMs) * 1000;
      return {
        parameters: {
          jobs: JOBS,
          insertChunk: INSERT_CHUNK,
          batchSize: BATCH,
          localConcurrency: LOCAL_CONCURRENCY,
          queue: { notify: true },
          useListenNotify: true,
          burstWhenBatchFull: true,
        },
        versions,
        rows: [
          rateRow(
            `batch insert (${INSERT_CHUNK} per call)`,
            { perSecond: insertPerSecond, p50Ms: Number.NaN, p99Ms: Number.NaN, samples: JOBS },
            null,
          ),
          rateRow(
            `no-op jobs completed (batchSize ${BATCH}, localConcurrency ${LOCAL_CONCURRENCY})`,
            { perSecond: jobsPerSecond, p50Ms: Number.NaN, p99Ms: Number.NaN, samples: completed },
            null,
          ),
        ],
        notes: [
          `${completed} of ${JOBS} completed in ${workMs.toFixed(0)} ms (handler saw ${handled}); completion counted from pg-boss's job table, polled every 20 ms`,
        ],
      };
    } finally {
      await boss.stop({ graceful: false, timeout: 5_000 }).catch(() => {});
      await database.drop().catch(() => {});
    }
  },
};
