/**
 * The runner daemon: the `run` queue's dispatcher (run-dispatcher.ts), pg-boss workers for every
 * other queue of the job catalog, the catalog's cron schedules, the workflow cron scheduler, and
 * queue supervision (expiring lapsed claims and heartbeats, archiving). Any number of runners may
 * run against one database; pg-boss hands each job to one of them and fires each cron tick once.
 *
 * Runs: up to `runConcurrency` at once. The dispatcher fetches and claims in one transaction,
 * completes each job in its run's finish transaction, and wakes on the coalesced NOTIFY run
 * creators send (`RUNS_READY_CHANNEL`), so an idle runner starts a new run within milliseconds and
 * a busy one drains a backlog without a fetch per run. pg-boss's own LISTEN is off: no queue
 * notifies (it would cost every listening backend a transaction per job).
 */
import {
  connectDatabase,
  createInvalidationFeed,
  createRunEventFeed,
  createRunWakeup,
  type Db,
  type InvalidationFeed,
  jobCatalog,
  jobNames,
  QUEUE_SCHEMA,
  readMonitoringSnapshot,
} from '@swarm/db';
import type { HttpSettings, NodeRegistry, ProviderId, RunLimits } from '@swarm/engine';
import { createExpressionPool, createNodeRegistry, type ExpressionPoolOptions } from '@swarm/engine/server';
import { capabilitiesOf } from '@swarm/providers';
import {
  createMetrics,
  createRunObserver,
  type MetricsServer,
  type RunObserverOptions,
  serveMetrics,
  startTracing,
  type Tracing,
  type TracingOptions,
} from '@swarm/telemetry';
import { type Job, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import {
  type HandledJobName,
  type JobContext,
  type JobHandlers,
  jobHandlers,
  type MaintenanceSettings,
  maintenanceSettings,
} from './jobs.ts';
import { createLlmClient, type RunnerLlm } from './llm.ts';
import { createNotificationServices, type NotificationOptions } from './notifications.ts';
import { createRunDispatcher } from './run-dispatcher.ts';
import { createRunService } from './runs.ts';
import { createScheduler, type SchedulerOptions } from './scheduler.ts';

export interface RunnerOptions {
  databaseUrl: string;
  logger: Logger;
  poolSize: number;
  drainSeconds: number;
  /** Runs this runner executes at once. Default 32. */
  runConcurrency?: number | undefined;
  /** How often an idle runner looks for work when no NOTIFY woke it, in seconds (≥ 0.5). Default 2. */
  pollSeconds?: number | undefined;
  /** How long side-effect-free step changes wait to be written together, in ms (run service). */
  stepFlushMs?: number | undefined;
  /**
   * How often queue supervision runs, in seconds: it hands the job of a runner that stopped
   * heartbeating to another one, so a dead runner's run resumes within about the heartbeat (10 s)
   * plus this. Default 10.
   */
  superviseSeconds?: number | undefined;
  /**
   * Claims a run (or a schedule occurrence) may have without finishing before the next one gives up
   * on it (`RUNNER_MAX_RUN_CLAIMS`). Default 3.
   */
  maxRunClaims?: number | undefined;
  /** The LLM client runs use; defaults to one with the operator's environment keys only (none). */
  createLlm?: ((deps: LlmDeps) => RunnerLlm) | undefined;
  registry?: NodeRegistry | undefined;
  runLimits?: RunLimits | undefined;
  http?: HttpSettings | undefined;
  /** The pool evaluating `transform`/`condition` expressions (EXPRESSION_* settings). */
  expressionPool?: ExpressionPoolOptions | undefined;
  /** Replaceable for tests; defaults to the real handlers. */
  handlers?: JobHandlers;
  /** What the hourly maintenance job keeps (defaults: see `MaintenanceSettings`). */
  maintenance?: Partial<MaintenanceSettings> | undefined;
  /** Sending notifications: the keyring for channel secrets, SMTP, links to the app. */
  notifications?: NotificationOptions | undefined;
  /**
   * Fire cron schedules (default true; every runner may, each occurrence fires once). Tests may pass
   * the scheduler's clock (`now`) and its longest sleep.
   */
  scheduler?: boolean | Pick<SchedulerOptions, 'now' | 'maxSleepMs'> | undefined;
  /** Serve Prometheus metrics on this port (`RUNNER_METRICS_PORT`; 0 picks one); unset: none. */
  metrics?: { port: number; host: string; token?: string | undefined } | undefined;
  /** Export traces over OTLP/HTTP (`OTEL_*`); unset: no tracing SDK is loaded. */
  tracing?: TracingOptions | undefined;
}

/** Three claims: a deploy restart and a lost machine still resume; a run that kills every runner doesn't. */
export const DEFAULT_MAX_RUN_CLAIMS = 3;

export function createRunner(options: RunnerOptions) {
  const { logger } = options;
  const handlers = options.handlers ?? jobHandlers;
  const maintenance = maintenanceSettings(options.maintenance);
  const runConcurrency = options.runConcurrency ?? 32;
  const pollSeconds = options.pollSeconds ?? 2;
  const superviseSeconds = options.superviseSeconds ?? 10;
  const maxRunClaims = options.maxRunClaims ?? DEFAULT_MAX_RUN_CLAIMS;
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
    useListenNotify: false,
    superviseIntervalSeconds: superviseSeconds,
    monitorIntervalSeconds: superviseSeconds,
  });
  // pg-boss reports connection trouble here and keeps retrying; unhandled, it would crash the process.
  boss.on('error', (err) => logger.error({ err }, 'queue error'));
  boss.on('warning', (warning) => logger.warn({ warning }, 'queue warning'));

  const events = createRunEventFeed(database.sql, {
    onError: (err) => logger.error({ err }, 'run event listener failed'),
  });
  // Budgets, the model map and prices are cached per process and dropped on writers' notices.
  const invalidation = createInvalidationFeed(database.sql, {
    onError: (err) => logger.error({ err }, 'cache invalidation listener failed'),
  });
  const llm = (options.createLlm ?? defaultLlm)({ db: database.db, logger, invalidation });
  const registry = options.registry ?? createNodeRegistry();
  // Users' JSONata runs in worker processes: one that blocks or eats memory stalls no other run.
  const expressions = createExpressionPool(options.expressionPool);
  // The scheduler wakes the dispatcher when an occurrence it armed is due; the dispatcher needs the
  // run service, which tells the scheduler when a scheduled run ended.
  let wakeRuns = () => {};
  // Runs a catch-up fire starts now are announced to every runner (coalesced NOTIFY).
  const runWakeup = createRunWakeup(database.sql, {
    onError: (err) => logger.warn({ err }, 'could not announce new runs'),
  });
  const scheduler =
    options.scheduler === false
      ? null
      : createScheduler({
          db: database.db,
          sql: database.sql,
          jobs: boss,
          registry,
          logger: logger.child({ component: 'scheduler' }),
          wakeRunWorkers: () => wakeRuns(),
          runWakeup,
          maxFireClaims: maxRunClaims,
          ...(typeof options.scheduler === 'object' ? options.scheduler : {}),
        });
  // Only what is configured exists: without metrics and tracing, runs report to nobody.
  const metrics = options.metrics
    ? createMetrics({
        service: 'runner',
        readSnapshot: () => readMonitoringSnapshot(database.db),
        poolStats: database.poolStats,
        onSnapshotError: (err) => logger.warn({ err }, 'could not read the monitoring snapshot'),
        isKnownModel: (provider, model) =>
          capabilitiesOf({ provider: provider as ProviderId, model }) !== null,
      })
    : undefined;
  const observing: RunObserverOptions = { metrics };
  let metricsServer: MetricsServer | null = null;
  let tracing: Tracing | null = null;
  const notifications = createNotificationServices({
    db: database.db,
    jobs: boss,
    registry,
    logger: logger.child({ component: 'notifications' }),
    http: options.http,
    ...options.notifications,
  });
  const runs = createRunService({
    observer: metrics || options.tracing ? createRunObserver(observing) : undefined,
    db: database.db,
    events,
    jobs: boss,
    llm,
    registry,
    logger: logger.child({ component: 'runs' }),
    onFinished: scheduler ? (executionId, status) => scheduler.runFinished(executionId, status) : undefined,
    limits: options.runLimits,
    http: options.http,
    expressions,
    stepFlushMs: options.stepFlushMs,
    maxClaims: maxRunClaims,
  });
  const dispatcher = createRunDispatcher({
    database,
    boss,
    runs,
    logger: logger.child({ component: 'dispatcher' }),
    concurrency: runConcurrency,
    pollSeconds,
  });
  wakeRuns = dispatcher.wake;

  async function runJob<Name extends HandledJobName>(name: Name, job: Job<unknown>) {
    const log = logger.child({ job: name, jobId: job.id });
    const data = jobCatalog[name].schema.parse(job.data) as Parameters<JobHandlers[Name]>[0];
    const ctx: JobContext = {
      db: database.db,
      logger: log,
      maintenance,
      notifications,
    };
    try {
      return await (handlers[name] as JobHandlers[Name])(data, ctx);
    } catch (err) {
      log.error({ err }, 'job failed');
      throw err;
    }
  }

  return {
    async start() {
      if (options.tracing) {
        tracing = await startTracing(options.tracing);
        observing.tracing = tracing;
      }
      await invalidation.start();
      await events.start();
      await boss.start();
      for (const name of jobNames) {
        if (name !== 'run')
          await boss.work(name, { pollingIntervalSeconds: pollSeconds }, async ([job]) =>
            job ? runJob(name, job) : undefined,
          );
        const { cron } = jobCatalog[name] as { cron?: string };
        // Keyed and idempotent: every runner declares the same schedule; pg-boss fires it once per tick.
        if (cron) await boss.schedule(name, cron, {}, { tz: 'UTC', key: 'catalog' });
      }
      await dispatcher.start();
      scheduler?.start();
      if (metrics && options.metrics) {
        metricsServer = await serveMetrics(metrics, options.metrics);
        logger.info({ port: metricsServer.port, host: options.metrics.host }, 'metrics listening');
      }
      logger.info(
        { queues: jobNames, runConcurrency, scheduler: scheduler !== null, tracing: tracing !== null },
        'runner started',
      );
    },
    /** Stops taking work and waits up to `drainSeconds` for jobs in flight (runs finish). */
    async stop() {
      logger.info({ drainSeconds: options.drainSeconds }, 'runner draining');
      // No new occurrences while draining; runs in flight still get their retries (runFinished).
      await scheduler?.stop();
      await runWakeup.flush();
      // Runs first: their heartbeats and failures go through pg-boss's pool, closed by its stop.
      await dispatcher.stop(options.drainSeconds * 1000);
      await boss.stop({ graceful: true, timeout: options.drainSeconds * 1000, close: true });
      await llm.close();
      notifications.close();
      await expressions.close();
      await invalidation.stop();
      await events.stop();
      await metricsServer?.close();
      await database.close();
      await tracing
        ?.shutdown()
        .catch((err: unknown) => logger.warn({ err }, 'could not export the last spans'));
      logger.info('runner stopped');
    },
  };
}

/** What the runner hands its LLM client factory. */
export interface LlmDeps {
  db: Db;
  logger: Logger;
  invalidation: InvalidationFeed;
}

function defaultLlm(deps: LlmDeps): RunnerLlm {
  return createLlmClient({ ...deps, secretKeys: null, providers: {} });
}
