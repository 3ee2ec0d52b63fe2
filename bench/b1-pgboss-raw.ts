/**
 * B1 — raw pg-boss, the queue's own ceiling for SWARM's stack, in two shapes on one scratch
 * database (whose `pgboss` schema SWARM's migrations installed):
 *
 * (b) the job lifecycle, the baseline B3's ρ_run divides by (`JOB_LIFECYCLE_ROW`; code in
 *     ./pgboss-lifecycle.ts): 32 producers each `send` one job per transaction while one worker
 *     fetches one job per fetch transaction and completes it in another — create, claim, finish,
 *     the least a run needs, with no batching anywhere.
 * (a) for context, the batched ceiling: a fresh queue `bench_b1` with `notify: true` gets
 *     `B1_JOBS` (default 10,000) no-op jobs in batched `insert` calls; then one pg-boss instance
 *     (`useListenNotify`) works them with the settings that measured best here: `batchSize`
 *     `B1_BATCH` (default 500), `localConcurrency` 4, `burstWhenBatchFull`. Completed = rows in
 *     state `completed` (pg-boss's own completion writes, not just handler returns), counted from
 *     the first `work` call until all are completed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, findTestServer, prepareTestTemplate } from '@swarm/db/testing';
import postgres from 'postgres';
// pg-boss is @swarm/db's dependency, not the root's (the lockfile is shared, so no new dependency):
// import it through @swarm/db's link to the very copy SWARM runs.
import { PgBoss } from '../packages/db/node_modules/pg-boss/dist/index.js';
import { type Benchmark, type BenchResult, rateRow, repoRoot } from './lib.ts';
import { JOB_LIFECYCLE_ROW, LIFECYCLE_PRODUCERS, measureJobLifecycle } from './pgboss-lifecycle.ts';

const JOBS = Number(process.env.B1_JOBS ?? 10_000);
const BATCH = Number(process.env.B1_BATCH ?? 500);
const LOCAL_CONCURRENCY = 4;
const INSERT_CHUNK = 1_000;
const SCHEMA = 'pgboss';

export const pgBossVersion = (): string =>
  (
    JSON.parse(
      readFileSync(path.join(repoRoot, 'packages/db/node_modules/pg-boss/package.json'), 'utf8'),
    ) as {
      version: string;
    }
  ).version;

export interface RawPgBossFigures {
  jobs: number;
  completed: number;
  handled: number;
  insertPerSecond: number;
  jobsPerSecond: number;
  workMs: number;
  settings: Record<string, unknown>;
}

/**
 * Inserts `jobs` no-op jobs into a fresh notify queue `queue` on `databaseUrl` (which must hold
 * SWARM's migrated `pgboss` schema), works them batched, and reports completions per second.
 * The queue is deleted afterwards, so B3 can take this baseline on its own scratch database.
 */
export async function measureRawPgBoss(
  databaseUrl: string,
  { jobs = JOBS, batchSize = BATCH, queue = 'bench_b1' } = {},
): Promise<RawPgBossFigures> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: SCHEMA,
    max: 6,
    migrate: false,
    supervise: false,
    schedule: false,
    useListenNotify: true,
    registerInstance: false,
  });
  boss.on('error', (err) => console.error('B1 pg-boss error:', err));
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await boss.start();
    await boss.createQueue(queue, { notify: true, retryLimit: 0 });

    const insertStart = performance.now();
    for (let i = 0; i < jobs; i += INSERT_CHUNK) {
      const n = Math.min(INSERT_CHUNK, jobs - i);
      await boss.insert(
        queue,
        Array.from({ length: n }, (_, k) => ({ data: { i: i + k } })),
      );
    }
    const insertMs = performance.now() - insertStart;

    const completedCount = async () => {
      const [{ n }] = (await sql.unsafe(
        `select count(*)::int as n from ${SCHEMA}.job where name = $1 and state = 'completed'`,
        [queue],
      )) as unknown as [{ n: number }];
      return n;
    };

    let handled = 0;
    const settings = {
      batchSize,
      localConcurrency: LOCAL_CONCURRENCY,
      pollingIntervalSeconds: 0.5,
      notifyPollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
    };
    const workStart = performance.now();
    await boss.work(queue, settings, async (batch) => {
      handled += batch.length;
    });
    const deadline = Date.now() + 300_000;
    let completed = 0;
    while (Date.now() < deadline) {
      completed = await completedCount();
      if (completed >= jobs) break;
      await sleep(20);
    }
    const workMs = performance.now() - workStart;
    await boss.offWork(queue);
    await boss.deleteQueue(queue).catch(() => {});
    return {
      jobs,
      completed,
      handled,
      insertPerSecond: (jobs / insertMs) * 1000,
      jobsPerSecond: (completed / workMs) * 1000,
      workMs,
      settings: {
        ...settings,
        insertChunk: INSERT_CHUNK,
        queue: { notify: true },
        useListenNotify: true,
      },
    };
  } finally {
    await boss.stop({ graceful: false, timeout: 5_000 }).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

export const rawPgBossRowName = (batchSize: number) =>
  `raw pg-boss no-op jobs completed (batchSize ${batchSize}, localConcurrency ${LOCAL_CONCURRENCY})`;

export const b1: Benchmark = {
  id: 'B1',
  title: `raw pg-boss: (b) job lifecycle, ${LIFECYCLE_PRODUCERS} producers, one job per transaction; (a) ${JOBS} no-op jobs batched`,
  async run(): Promise<BenchResult> {
    const pg = await findTestServer(repoRoot);
    const template = await prepareTestTemplate(pg.adminUrl);
    const database = await createTestDatabase(pg.adminUrl, template);
    try {
      const [{ server_version }] = (await database.sql`show server_version`) as unknown as [
        { server_version: string },
      ];
      const lifecycle = await measureJobLifecycle(database.url);
      const figures = await measureRawPgBoss(database.url);
      return {
        parameters: {
          lifecycle: { jobs: lifecycle.jobs, ...lifecycle.settings },
          batched: { jobs: figures.jobs, ...figures.settings },
        },
        versions: { postgres: server_version, 'pg-boss': pgBossVersion() },
        rows: [
          rateRow(
            JOB_LIFECYCLE_ROW,
            {
              perSecond: lifecycle.jobsPerSecond,
              p50Ms: lifecycle.latency.p50,
              p95Ms: lifecycle.latency.p95,
              p99Ms: lifecycle.latency.p99,
              samples: lifecycle.completed,
            },
            null,
          ),
          rateRow(
            `B1(b) sends (${LIFECYCLE_PRODUCERS} producers, one per transaction, during the lifecycle)`,
            {
              perSecond: lifecycle.sendsPerSecond,
              p50Ms: Number.NaN,
              p99Ms: Number.NaN,
              samples: lifecycle.jobs,
            },
            null,
          ),
          rateRow(
            `B1(a) batch insert (${INSERT_CHUNK} per call)`,
            {
              perSecond: figures.insertPerSecond,
              p50Ms: Number.NaN,
              p99Ms: Number.NaN,
              samples: figures.jobs,
            },
            null,
          ),
          rateRow(
            rawPgBossRowName(BATCH),
            {
              perSecond: figures.jobsPerSecond,
              p50Ms: Number.NaN,
              p99Ms: Number.NaN,
              samples: figures.completed,
            },
            null,
          ),
        ],
        notes: [
          `B1(b): ${lifecycle.completed} of ${lifecycle.jobs} completed in ${lifecycle.wallMs.toFixed(0)} ms by ${lifecycle.settings.workerLoops} fetch loops of one worker (each one job per fetch, then one complete); ${lifecycle.commitsPerJob === null ? 'commits not counted' : `${lifecycle.commitsPerJob.toFixed(2)} Postgres commits per job`}; ${lifecycle.emptyFetches} empty fetches; p50/p95/p99 are each job's created → completed on the database clock`,
          `B1(a): ${figures.completed} of ${figures.jobs} completed in ${figures.workMs.toFixed(0)} ms (handler saw ${figures.handled}); completion counted from pg-boss's job table, polled every 20 ms; jobs inserted before work started (a backlog, so every fetch is a full batch)`,
        ],
      };
    } finally {
      await database.drop().catch(() => {});
    }
  },
};
