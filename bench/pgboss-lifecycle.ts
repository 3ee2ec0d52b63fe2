/**
 * B1(b), the raw pg-boss job lifecycle: the least a run needs from the queue — create, claim,
 * finish — with no batching anywhere, so that B3's ρ_run compares a run with what the queue alone
 * costs per job (not with 500-job batches).
 *
 * `PRODUCERS` (32) concurrent producers each `send` one job per transaction (pg-boss's own pool,
 * one autocommit statement per send) while one worker — one pg-boss instance with its own pool —
 * runs `WORKER_LOOPS` fetch loops, each fetching ONE job per fetch transaction (`batchSize: 1`)
 * and completing it in another (`complete`). Production and consumption overlap, as they do when
 * runs arrive. Jobs/s = completions ÷ the time from the first send to the last completion. The
 * queue is a fresh standard queue shaped like SWARM's `run` queue (no NOTIFY per insert, no
 * retries needed); it is deleted afterwards, so B3 can take this baseline on its own database.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
// pg-boss is @swarm/db's dependency, not the root's: import the very copy SWARM runs.
import { PgBoss } from '../packages/db/node_modules/pg-boss/dist/index.js';
import { PG_STATS_FLUSH_MS, percentile, xactCommits } from './lib.ts';

const SCHEMA = 'pgboss';
export const LIFECYCLE_PRODUCERS = 32;
const JOBS = Number(process.env.B1_LIFECYCLE_JOBS ?? 10_000);
/**
 * The worker's concurrent fetch loops (each one job at a time). Not a batch: every loop makes its
 * own fetch and its own complete; more loops only overlap round trips, as a runner's slots do.
 */
const WORKER_LOOPS = Number(process.env.B1_WORKER_LOOPS ?? 16);

/** The row B3's ρ_run divides by (bench/results/B1.json). */
export const JOB_LIFECYCLE_ROW =
  'B1(b) job lifecycle: jobs/s completed (1 send/tx, 1 fetch/tx, 1 complete/tx)';

export interface JobLifecycleFigures {
  jobs: number;
  completed: number;
  /** Completions per second, first send to last completion. */
  jobsPerSecond: number;
  /** Sends per second over the producers' own time. */
  sendsPerSecond: number;
  /** created_on → completed_on of each job (database clock), ms. */
  latency: { p50: number; p95: number; p99: number };
  /** Postgres commits per completed job (xact_commit, stats flushed), or null if not measured. */
  commitsPerJob: number | null;
  emptyFetches: number;
  wallMs: number;
  settings: Record<string, unknown>;
}

const newBoss = (databaseUrl: string, max: number) => {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: SCHEMA,
    max,
    migrate: false,
    supervise: false,
    schedule: false,
    registerInstance: false,
  });
  boss.on('error', (err) => console.error('B1(b) pg-boss error:', err));
  return boss;
};

/**
 * Measures the lifecycle on `databaseUrl` (SWARM's migrated `pgboss` schema). `countCommits`
 * waits for Postgres's stats to flush (~11 s) to report commits per job.
 */
export async function measureJobLifecycle(
  databaseUrl: string,
  { jobs = JOBS, workerLoops = WORKER_LOOPS, queue = 'bench_b1_lifecycle', countCommits = true } = {},
): Promise<JobLifecycleFigures> {
  const producers = newBoss(databaseUrl, LIFECYCLE_PRODUCERS);
  const worker = newBoss(databaseUrl, workerLoops);
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await producers.start();
    await worker.start();
    await producers.createQueue(queue, { policy: 'standard', notify: false, retryLimit: 0 });
    // Warm both pools (connections opened, statements planned) outside the timed part.
    await Promise.all(
      Array.from({ length: LIFECYCLE_PRODUCERS }, () => producers.send(queue, { warm: true })),
    );
    for (;;) {
      const warm = await worker.fetch(queue, { batchSize: 1 });
      const job = warm[0];
      if (!job) break;
      await worker.complete(queue, job.id);
    }

    if (countCommits) await sleep(PG_STATS_FLUSH_MS);
    const commitsBefore = countCommits ? await xactCommits(sql) : 0;

    let nextSend = 0;
    let sendEnd = 0;
    let completed = 0;
    let emptyFetches = 0;
    const start = performance.now();
    const produce = async () => {
      while (nextSend < jobs) {
        const i = nextSend++;
        await producers.send(queue, { i });
      }
      sendEnd = Math.max(sendEnd, performance.now());
    };
    const work = async () => {
      while (completed < jobs) {
        const [job] = await worker.fetch(queue, { batchSize: 1 });
        if (!job) {
          emptyFetches++;
          // Ahead of the producers (only at the very start or end): yield briefly, then fetch again.
          await sleep(1);
          continue;
        }
        await worker.complete(queue, job.id);
        completed++;
      }
    };
    await Promise.all([
      ...Array.from({ length: LIFECYCLE_PRODUCERS }, produce),
      ...Array.from({ length: workerLoops }, work),
    ]);
    const wallMs = performance.now() - start;

    let commitsPerJob: number | null = null;
    if (countCommits) {
      await sleep(PG_STATS_FLUSH_MS);
      // The two reads are one transaction each (the first one counted in the difference).
      commitsPerJob = (await xactCommits(sql)) - commitsBefore - 1;
      commitsPerJob /= completed;
    }
    const rows = (await sql.unsafe(
      `select extract(epoch from completed_on - created_on) * 1000 as ms
       from ${SCHEMA}.job where name = $1 and state = 'completed' and not (data ? 'warm')
       order by 1`,
      [queue],
    )) as unknown as { ms: string }[];
    const latencies = rows.map((r) => Number(r.ms));
    await producers.deleteQueue(queue).catch(() => {});
    return {
      jobs,
      completed,
      jobsPerSecond: (completed / wallMs) * 1000,
      sendsPerSecond: (jobs / (sendEnd - start)) * 1000,
      latency: {
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
      },
      commitsPerJob,
      emptyFetches,
      wallMs,
      settings: {
        producers: LIFECYCLE_PRODUCERS,
        workerLoops,
        fetchBatchSize: 1,
        queue: { policy: 'standard', notify: false },
      },
    };
  } finally {
    await producers.stop({ graceful: false, timeout: 5_000 }).catch(() => {});
    await worker.stop({ graceful: false, timeout: 5_000 }).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}
