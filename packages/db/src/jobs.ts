/**
 * The job catalog: every pg-boss queue SWARM uses, with its payload schema, retry and timeout
 * policy and (for recurring jobs) its cron. The migrate step creates the queues from it; the API
 * enqueues by these names (`enqueueJob`, inside the transaction that writes the job's row); the
 * runner's handler map must cover every entry (type-checked).
 */
import { sql } from 'drizzle-orm';
import { fromDrizzle, type JobInsert, PgBoss, type Queue, type SendOptions } from 'pg-boss';
import { z } from 'zod';
import type { Database, DbOrTx } from './client.ts';
import { QUEUE_SCHEMA } from './migrate.ts';

interface JobDefinition<Schema extends z.ZodType> {
  schema: Schema;
  queue: Omit<Queue, 'name'>;
  /** Recurring jobs: a 5-field cron (UTC) pg-boss fires once per tick across all runners. */
  cron?: string;
}

const defineJob = <Schema extends z.ZodType>(job: JobDefinition<Schema>) => job;

/**
 * pg-boss's smallest heartbeat. A runner that dies mid-run stops refreshing it, and the queue
 * supervisor hands the job to another runner this long (plus one supervise pass) later.
 */
export const RUN_HEARTBEAT_SECONDS = 10;

export const jobCatalog = {
  /** Hourly housekeeping: expired sessions, old rate-limit windows, old provider health buckets. */
  maintenance: defineJob({
    schema: z.strictObject({}),
    queue: { policy: 'singleton', retryLimit: 3, retryDelay: 60, retryBackoff: true, expireInSeconds: 300 },
    cron: '17 * * * *',
  }),
  /**
   * A `run` job whose retries ran out lands here (its dead letter queue), so the execution is
   * marked failed instead of staying `running` forever. Declared before `run`: the migrate step
   * creates queues in catalog order and a dead letter queue must exist first.
   */
  runAbandoned: defineJob({
    schema: z.object({ executionId: z.uuid() }),
    queue: { policy: 'standard', retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 60 },
  }),
  /**
   * Executes one workflow run. At-least-once: the handler claims the execution with a
   * compare-and-set that bumps `run_attempt`, and every write is fenced by it. Retries only happen
   * when a runner died or lost its claim (heartbeat) or the database failed — a workflow that fails
   * is a completed job with a failed execution. `expireInSeconds` bounds one attempt; a longer run
   * is taken over by the next attempt and resumes from its persisted steps.
   */
  run: defineJob({
    schema: z.object({ executionId: z.uuid() }),
    queue: {
      policy: 'standard',
      // No NOTIFY per insert: Postgres serialises the commits of notifying transactions on one lock
      // and signals every listening backend for each. Run creators wake runners through
      // `createRunWakeup` (RUNS_READY_CHANNEL) instead, coalesced; polling stays as the backstop.
      notify: false,
      retryLimit: 10,
      retryDelay: 1,
      retryBackoff: true,
      retryDelayMax: 60,
      expireInSeconds: 60 * 60,
      heartbeatSeconds: RUN_HEARTBEAT_SECONDS,
      deadLetter: 'runAbandoned',
      deleteAfterSeconds: 24 * 60 * 60,
    },
  }),
  /**
   * Turns one notification event into deliveries (one per subscribed channel, or a count in the
   * channel's digest) and, for a failed run, starts its error workflow. Idempotent: the event row
   * is locked and marked fanned out in the same transaction, so a retry or a second runner finds
   * nothing left to do.
   */
  notificationEvent: defineJob({
    schema: z.object({ eventId: z.uuid() }),
    queue: { policy: 'standard', retryLimit: 5, retryDelay: 5, retryBackoff: true, expireInSeconds: 120 },
  }),
  /**
   * Sends one notification (email, Slack, signed webhook). A failed send is retried with backoff
   * (1 s, 2 s, 4 s … up to 5 min); the delivery row counts the attempts and turns `failed` after
   * the last. Receivers get `webhook-id` = the delivery id to drop a duplicate from a retried job.
   */
  notificationDelivery: defineJob({
    schema: z.object({ deliveryId: z.uuid() }),
    queue: {
      policy: 'standard',
      retryLimit: 5,
      retryDelay: 1,
      retryBackoff: true,
      retryDelayMax: 300,
      expireInSeconds: 120,
      deleteAfterSeconds: 7 * 24 * 60 * 60,
    },
  }),
  /**
   * Every minute: fans out events the database recorded by itself (budget alerts, schedule fires,
   * opened circuits: triggers, see the notifications migration), and any run-failed event whose
   * job was lost.
   */
  notificationSweep: defineJob({
    schema: z.strictObject({}),
    queue: { policy: 'singleton', retryLimit: 1, retryDelay: 30, expireInSeconds: 120 },
    cron: '* * * * *',
  }),
};

export type JobName = keyof typeof jobCatalog;
export type JobData<Name extends JobName> = z.output<(typeof jobCatalog)[Name]['schema']>;
export const jobNames = Object.keys(jobCatalog) as JobName[];

/** What enqueueing needs from pg-boss: `send`, optionally on the caller's transaction. */
export type JobSender = Pick<PgBoss, 'send'>;

/** Enqueueing many jobs in one statement too (pg-boss `insert`). */
export type JobBatchSender = Pick<PgBoss, 'send' | 'insert'>;

/**
 * A send-only pg-boss client over the caller's pool (through pg-boss's drizzle adapter), for
 * processes that enqueue but never work (the API): no extra connections, no supervision, no cron.
 */
export function createJobSender(
  database: Database,
  options: { onError?: ((error: unknown) => void) | undefined } = {},
) {
  const boss = new PgBoss({
    db: fromDrizzle(database.db, sql),
    schema: QUEUE_SCHEMA,
    migrate: false,
    supervise: false,
    schedule: false,
    registerInstance: false,
  });
  // pg-boss reports trouble (its queue cache refresh while the database restarts) as `error`
  // events; an EventEmitter with no listener would crash the process instead.
  boss.on('error', (error) => options.onError?.(error));
  return {
    boss,
    sender: boss as JobBatchSender,
    start: async () => {
      await boss.start();
    },
    stop: () => boss.stop({ graceful: false, close: false }),
  };
}

/**
 * Enqueues a catalog job inside `tx` (a drizzle transaction), so the job exists exactly when the
 * rows written in the same transaction do. The payload is checked against the catalog schema.
 */
export async function enqueueJob<Name extends JobName>(
  sender: JobSender,
  tx: DbOrTx,
  name: Name,
  data: JobData<Name>,
  options: Omit<SendOptions, 'db'> = {},
): Promise<string> {
  const payload = jobCatalog[name].schema.parse(data) as object;
  const id = await sender.send(name, payload, { ...options, ...onTransaction(tx) });
  if (!id) throw new Error(`pg-boss did not create the ${name} job`);
  return id;
}

/**
 * `enqueueJob` for many jobs of one queue in one statement (pg-boss `insert`, which takes the
 * queue's settings for what a job leaves out, as `send` does). Every payload is checked.
 */
export async function enqueueJobs<Name extends JobName>(
  sender: JobBatchSender,
  tx: DbOrTx,
  name: Name,
  jobs: { data: JobData<Name>; options?: Omit<JobInsert, 'id' | 'data'> }[],
): Promise<string[]> {
  const rows = jobs.map(({ data, options }) => ({
    ...options,
    data: jobCatalog[name].schema.parse(data) as object,
  }));
  const ids = await sender.insert(name, rows, { ...onTransaction(tx), returnId: true });
  if (ids?.length !== jobs.length)
    throw new Error(`pg-boss created ${ids?.length ?? 0} of ${jobs.length} ${name} jobs`);
  return ids;
}

/**
 * The connection option that makes a pg-boss call (`fetch`, `complete`, `send`, …) run on the
 * caller's transaction: a runner fetches and claims runs in one transaction, and completes a run's
 * job in the transaction that records its end.
 */
export function onTransaction(tx: DbOrTx) {
  return { db: fromDrizzle(tx, sql) };
}
