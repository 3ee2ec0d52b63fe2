/**
 * The cron scheduler every runner runs: sleeps until the earliest next occurrence of any enabled
 * schedule (by the database's clock), then fires what is due (`fireDueSchedules`), starts
 * occurrences waiting behind a finished run (`startQueuedFires`) and creates retries a dead runner
 * left behind (`retryMissedScheduledRuns`). Not pg-boss cron: that evaluates every ~30 s, and a
 * schedule should start within a second of its time.
 *
 * Any number of runners do this at once; the queries claim each schedule with SKIP LOCKED and the
 * unique (schedule, fire_at) key makes each occurrence fire once. An occurrence whose firing keeps
 * killing its runner is given up after `maxFireClaims` claims (recorded as failed), not retried
 * forever. Changes to schedules NOTIFY on
 * `SCHEDULES_CHANNEL`, which wakes the loop to recompute its sleep; the sleep is capped (30 s) so a
 * missed notice costs little. Database errors are logged and retried with backoff; `stop()` ends the
 * loop and waits for the pass in flight.
 */
import {
  type Database,
  type Db,
  type FireReport,
  fireDueSchedules,
  type JobSender,
  type RunWakeup,
  retryFailedScheduledRun,
  retryMissedScheduledRuns,
  SCHEDULES_CHANNEL,
  scheduleOfExecution,
  schedulerClock,
  startQueuedFires,
} from '@swarm/db';
import type { NodeRegistry } from '@swarm/engine';
import type { Logger } from 'pino';

export interface SchedulerOptions {
  db: Db;
  /** The postgres.js client behind `db`, for LISTEN. */
  sql: Database['sql'];
  jobs: JobSender;
  registry: NodeRegistry;
  logger: Logger;
  /** The clock used to decide what is due; default: the database's (`now()`), so runners agree. */
  now?: (() => Date) | undefined;
  /** The longest sleep between passes, in ms. Default 30 s. */
  maxSleepMs?: number | undefined;
  /** How early occurrences are armed (see `lookAheadMs` of `fireDueSchedules`). Default 2 s. */
  armAheadMs?: number | undefined;
  /**
   * Wakes this runner's run workers. Called at the instant of each occurrence this runner armed:
   * its run's job becomes available then, and idle workers would otherwise wait for their poll.
   */
  wakeRunWorkers?: (() => void) | undefined;
  /**
   * Announces runs this scheduler made runnable at once to every runner (the `run` queue does not
   * NOTIFY per job). Runs held back to a later instant (armed occurrences, delayed retries) are not
   * announced: runners find them by polling, and this runner through `wakeRunWorkers`.
   */
  runWakeup?: RunWakeup | undefined;
  /**
   * Claims of an occurrence whose firing never committed (its runner died or froze mid-firing)
   * before the next claim records it as failed and moves on. Unset: no bound.
   */
  maxFireClaims?: number | undefined;
}

/** How often the retry sweep runs at most (it is a safety net for runners that died). */
const RETRY_SWEEP_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
/**
 * Schedules one runner fires at once when several share a minute. Each holds a pool connection for
 * its transaction, so this stays below the runner's pool size (RUNNER_POOL_SIZE, default 5).
 */
const FIRE_CONCURRENCY = 3;
/**
 * Occurrences are written this long before their time, their jobs held until it (`startAfter`), so
 * however many schedules share a minute their runs start on it, not after the writes of all of
 * them. The price: overlap is judged this much early, and a schedule paused in these last seconds
 * still runs this occurrence.
 */
const ARM_AHEAD_MS = 2_000;

export function createScheduler(options: SchedulerOptions) {
  const { db, jobs, registry, logger } = options;
  const maxSleepMs = options.maxSleepMs ?? 30_000;
  const armAheadMs = options.armAheadMs ?? ARM_AHEAD_MS;
  /** Wake-ups at the instants of armed occurrences, by instant (ms on this machine's clock). */
  const wakeTimers = new Map<number, NodeJS.Timeout>();
  let stopped = true;
  let loop: Promise<void> | null = null;
  let listening: { unlisten(): Promise<void> } | null = null;
  let wake: (() => void) | null = null;
  let woken = false;
  let lastSweep = 0;
  /** The database's clock minus this machine's, as of the last pass. */
  let offsetMs = 0;
  const dbNow = () => options.now?.() ?? new Date(Date.now() + offsetMs);

  let passErrors = 0;
  const onError = (err: unknown, scheduleId: string) => {
    passErrors += 1;
    logger.error({ err, scheduleId }, 'schedule could not be processed; retried on the next pass');
  };

  function wakeAt(localMs: number) {
    if (!options.wakeRunWorkers || wakeTimers.has(localMs)) return;
    const timer = setTimeout(
      () => {
        wakeTimers.delete(localMs);
        options.wakeRunWorkers?.();
      },
      Math.max(0, localMs - Date.now()),
    );
    wakeTimers.set(localMs, timer);
  }

  /** After the runs' transactions committed: one coalesced wake-up for those due now. */
  function announceReady(count: number) {
    if (count > 0) options.runWakeup?.announceCommitted(count);
  }
  const startedNow = (reports: FireReport[], now: Date) =>
    reports.filter((report) => report.executionId && report.fireAt <= now).length;

  function ring() {
    woken = true;
    wake?.();
  }

  function logFire(report: FireReport) {
    logger.info(
      {
        scheduleId: report.scheduleId,
        workflowId: report.workflowId,
        fireAt: report.fireAt.toISOString(),
        outcome: report.outcome,
        latenessMs: report.latenessMs,
        executionId: report.executionId ?? undefined,
        reason: report.reason ?? undefined,
      },
      'schedule fired',
    );
  }

  async function listen() {
    if (listening) return;
    try {
      // `onlisten` runs on the first LISTEN and after every reconnect: notices may have been missed.
      listening = await options.sql.listen(SCHEDULES_CHANNEL, ring, ring);
    } catch (err) {
      logger.warn({ err }, 'could not LISTEN for schedule changes; polling until it works');
    }
  }

  /** One pass; returns how long to sleep before the next. */
  async function pass(): Promise<number> {
    await listen();
    passErrors = 0;
    const clock = await schedulerClock(db);
    // Timers run on this machine's clock, decisions on the database's: keep the difference.
    offsetMs = clock.now.getTime() - Date.now();
    const now = options.now?.() ?? clock.now;
    const fired = await fireDueSchedules(db, jobs, {
      now,
      registry,
      onError,
      concurrency: FIRE_CONCURRENCY,
      lookAheadMs: armAheadMs,
      maxClaims: options.maxFireClaims,
    });
    fired.forEach(logFire);
    announceReady(startedNow(fired, now));
    for (const report of fired)
      if (report.executionId && report.fireAt > now) wakeAt(report.fireAt.getTime() - offsetMs);
    const dequeued = await startQueuedFires(db, jobs, { now, registry, onError });
    dequeued.forEach(logFire);
    announceReady(dequeued.filter((report) => report.executionId).length);
    if (Date.now() - lastSweep >= RETRY_SWEEP_MS) {
      lastSweep = Date.now();
      const retries = await retryMissedScheduledRuns(db, jobs, { now });
      for (const retry of retries) logger.info({ ...retry }, 'scheduled run retry created (sweep)');
      announceReady(retries.filter((retry) => retry.startAfter <= now).length);
    }
    const { nextFireAt } = await schedulerClock(db);
    if (!nextFireAt) return maxSleepMs;
    const untilNext = nextFireAt.getTime() - armAheadMs - dbNow().getTime();
    // Still due after this pass: another runner holds it (SKIP LOCKED) or it failed. Don't spin.
    if (untilNext <= 0) return passErrors > 0 ? 1000 : 50;
    return Math.min(maxSleepMs, untilNext);
  }

  async function sleep(ms: number) {
    if (woken || stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  async function run() {
    let failures = 0;
    while (!stopped) {
      woken = false;
      let delay: number;
      try {
        delay = await pass();
        failures = 0;
      } catch (err) {
        failures += 1;
        delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(failures, 10));
        logger.error({ err, retryInMs: delay }, 'scheduler pass failed');
      }
      await sleep(delay);
    }
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
      logger.info('scheduler started');
    },
    /** Ends the loop after the pass in flight and stops listening. */
    async stop() {
      if (stopped) return;
      stopped = true;
      ring();
      await loop;
      for (const timer of wakeTimers.values()) clearTimeout(timer);
      wakeTimers.clear();
      loop = null;
      await listening?.unlisten().catch((err: unknown) => logger.warn({ err }, 'unlisten failed'));
      listening = null;
      logger.info('scheduler stopped');
    },
    /** Re-evaluates now (tests; a run of a schedule finished). */
    wake: ring,
    /**
     * After a scheduled run ended: a failed one gets its retry (idempotent), and an occurrence
     * queued behind it may start. Errors are logged; the sweep and the next pass catch up.
     */
    async runFinished(executionId: string, status: string) {
      try {
        const scheduleId = await scheduleOfExecution(db, executionId);
        if (!scheduleId) return;
        const now = dbNow();
        if (status === 'failed') {
          const retry = await retryFailedScheduledRun(db, jobs, { executionId, now });
          if (retry) logger.info({ ...retry }, 'scheduled run retry created');
        }
        const dequeued = await startQueuedFires(db, jobs, { now, registry, onError, scheduleId });
        dequeued.forEach(logFire);
        announceReady(dequeued.filter((report) => report.executionId).length);
      } catch (err) {
        logger.error({ err, executionId }, 'could not follow up a finished scheduled run');
      }
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
