/**
 * The runner daemon: pg-boss workers for every queue of the job catalog, the catalog's cron
 * schedules, and queue supervision (expiring lapsed claims, archiving). Any number of runners may
 * run against one database; pg-boss hands each job to one of them and fires each cron tick once.
 */
import { connectDatabase, type JobName, jobCatalog, jobNames, QUEUE_SCHEMA } from '@swarm/db';
import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import { type JobHandlers, jobHandlers } from './jobs.ts';

export interface RunnerOptions {
  databaseUrl: string;
  logger: Logger;
  poolSize: number;
  drainSeconds: number;
  /** Replaceable for tests; defaults to the real handlers. */
  handlers?: JobHandlers;
}

export function createRunner(options: RunnerOptions) {
  const { logger } = options;
  const handlers = options.handlers ?? jobHandlers;
  const database = connectDatabase(options.databaseUrl, { max: options.poolSize });
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    schema: QUEUE_SCHEMA,
    max: options.poolSize,
    application_name: 'swarm-runner',
    // The schema and queues are installed by the migrate step, never implicitly by a runner.
    migrate: false,
    supervise: true,
    schedule: true,
  });
  // pg-boss reports connection trouble here and keeps retrying; unhandled, it would crash the process.
  boss.on('error', (err) => logger.error({ err }, 'queue error'));

  async function runJob<Name extends JobName>(name: Name, job: { id: string; data: unknown }) {
    const log = logger.child({ job: name, jobId: job.id });
    const data = jobCatalog[name].schema.parse(job.data) as Parameters<JobHandlers[Name]>[0];
    try {
      return await (handlers[name] as JobHandlers[Name])(data, { db: database.db, logger: log });
    } catch (err) {
      log.error({ err }, 'job failed');
      throw err;
    }
  }

  return {
    async start() {
      await boss.start();
      for (const name of jobNames) {
        await boss.work(name, async ([job]) => (job ? runJob(name, job) : undefined));
        const { cron } = jobCatalog[name];
        // Keyed and idempotent: every runner declares the same schedule; pg-boss fires it once per tick.
        if (cron) await boss.schedule(name, cron, {}, { tz: 'UTC', key: 'catalog' });
      }
      logger.info({ queues: jobNames }, 'runner started');
    },
    /** Stops taking work and waits up to `drainSeconds` for jobs in flight. */
    async stop() {
      logger.info({ drainSeconds: options.drainSeconds }, 'runner draining');
      await boss.stop({ graceful: true, timeout: options.drainSeconds * 1000, close: true });
      await database.close();
      logger.info('runner stopped');
    },
  };
}
