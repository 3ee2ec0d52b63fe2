/**
 * What the runner does for each job of the catalog. The map's type makes it complete: adding a job
 * to the catalog without a handler here fails the typecheck. Handlers delegate to packages.
 */
import {
  type Db,
  type JobData,
  type JobName,
  pruneExpiredAuthState,
  pruneProviderHealthBuckets,
} from '@swarm/db';
import type { Logger } from 'pino';

export interface JobContext {
  db: Db;
  logger: Logger;
}

const HEALTH_BUCKET_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export type JobHandlers = { [Name in JobName]: (data: JobData<Name>, ctx: JobContext) => Promise<unknown> };

export const jobHandlers: JobHandlers = {
  async maintenance(_data, { db, logger }) {
    const auth = await pruneExpiredAuthState(db);
    // Breakers look back a minute and routing five; a week keeps enough for the health page.
    const healthBuckets = await pruneProviderHealthBuckets(db, HEALTH_BUCKET_RETENTION_MS);
    const pruned = { ...auth, healthBuckets };
    logger.info({ pruned }, 'maintenance done');
    return pruned;
  },
};
