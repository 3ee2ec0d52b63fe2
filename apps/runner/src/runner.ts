/**
 * The runner daemon: a pg-boss instance that supervises the queue (expiring lapsed claims,
 * archiving, cron) for the whole cluster. Any number of runners may run against one database;
 * pg-boss coordinates them through Postgres. Workflow-run workers attach here (engine issue).
 */
import { QUEUE_SCHEMA } from '@swarm/db';
import { PgBoss } from 'pg-boss';
import type { Logger } from 'pino';

export interface RunnerOptions {
  databaseUrl: string;
  logger: Logger;
  poolSize: number;
  drainSeconds: number;
}

export function createRunner(options: RunnerOptions) {
  const { logger } = options;
  const boss = new PgBoss({
    connectionString: options.databaseUrl,
    schema: QUEUE_SCHEMA,
    max: options.poolSize,
    application_name: 'swarm-runner',
    // The schema is installed by the migrate step, never implicitly by a runner starting up.
    migrate: false,
    supervise: true,
    schedule: true,
  });
  // pg-boss reports connection trouble here and keeps retrying; unhandled, it would crash the process.
  boss.on('error', (err) => logger.error({ err }, 'queue error'));

  return {
    async start() {
      await boss.start();
      logger.info('runner started');
    },
    /** Stops taking work and waits up to `drainSeconds` for jobs in flight. */
    async stop() {
      logger.info({ drainSeconds: options.drainSeconds }, 'runner draining');
      await boss.stop({ graceful: true, timeout: options.drainSeconds * 1000, close: true });
      logger.info('runner stopped');
    },
  };
}
