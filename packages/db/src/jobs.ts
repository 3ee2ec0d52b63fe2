/**
 * The job catalog: every pg-boss queue SWARM uses, with its payload schema, retry and timeout
 * policy and (for recurring jobs) its cron. The migrate step creates the queues from it; the API
 * enqueues by these names; the runner's handler map must cover every entry (type-checked).
 */
import type { Queue } from 'pg-boss';
import { z } from 'zod';

interface JobDefinition<Schema extends z.ZodType> {
  schema: Schema;
  queue: Omit<Queue, 'name'>;
  /** Recurring jobs: a 5-field cron (UTC) pg-boss fires once per tick across all runners. */
  cron?: string;
}

const defineJob = <Schema extends z.ZodType>(job: JobDefinition<Schema>) => job;

export const jobCatalog = {
  /** Hourly housekeeping: expired sessions, old rate-limit windows, old provider health buckets. */
  maintenance: defineJob({
    schema: z.strictObject({}),
    queue: { policy: 'singleton', retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 300 },
    cron: '17 * * * *',
  }),
};

export type JobName = keyof typeof jobCatalog;
export type JobData<Name extends JobName> = z.output<(typeof jobCatalog)[Name]['schema']>;
export const jobNames = Object.keys(jobCatalog) as JobName[];
