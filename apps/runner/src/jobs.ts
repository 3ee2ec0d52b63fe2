/**
 * What the runner does for each job of the catalog. The map's type makes it complete: adding a job
 * to the catalog without a handler here fails the typecheck. Handlers delegate to packages.
 */
import { type Db, type JobData, type JobName, pruneExpiredAuthState } from '@swarm/db';
import type { Logger } from 'pino';

export interface JobContext {
  db: Db;
  logger: Logger;
}

export type JobHandlers = { [Name in JobName]: (data: JobData<Name>, ctx: JobContext) => Promise<unknown> };

export const jobHandlers: JobHandlers = {
  async maintenance(_data, { db, logger }) {
    const pruned = await pruneExpiredAuthState(db);
    logger.info({ pruned }, 'maintenance done');
    return pruned;
  },
};
