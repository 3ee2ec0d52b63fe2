/**
 * The `run` queue's loop, in place of pg-boss `work()`, because a run is worth as few Postgres
 * commits as possible (benchmark B3, docs/benchmarks.md):
 *
 * - Fetch and claim in one transaction: `boss.fetch` on our transaction takes up to as many jobs as
 *   this runner has free slots, and each run is claimed (`run_attempt` bumped, its definition and
 *   prior steps read) before the same commit. Jobs whose run is over, deferred, or abandoned
 *   (claimed too often without finishing: failed by the claim) are completed there too.
 * - Complete in the finish: the job is completed inside the transaction that records the run's end,
 *   so the queue and the run never disagree and no separate completion commits.
 * - Heartbeats: one `touch` for every job this runner holds, every half heartbeat. A job the touch
 *   no longer finds under our claim (taken over after a freeze, cancelled by an operator) has its
 *   signal aborted: the run stops without writing (its writes are fenced anyway).
 * - Waking: a NOTIFY on `RUNS_READY_CHANNEL` (run creators announce, coalesced), the scheduler when
 *   an occurrence it armed is due, a slot freeing while the last fetch came back full (a backlog),
 *   and a poll every `pollSeconds` as the fallback (retries and deferred runs becoming due, lost
 *   notices). An idle runner therefore makes one fetch per poll interval and none per run.
 * - Failure: a run that throws (interrupted, database trouble) has its job failed, so pg-boss
 *   retries it with backoff and the next attempt resumes after the persisted steps.
 * - Stop: no new fetches; runs in flight get `drainMs` to finish (heartbeats continue), then are
 *   interrupted — their waiting steps are written and their jobs failed, to resume elsewhere.
 */
import {
  type ClaimedRun,
  type Database,
  type JobData,
  onTransaction,
  RUN_GROUP_CONCURRENCY,
  RUN_HEARTBEAT_SECONDS,
  RUNS_READY_CHANNEL,
} from '@swarm/db';
import type { Job, JobAttempt, PgBoss } from 'pg-boss';
import type { Logger } from 'pino';
import type { RunJob, RunService } from './runs.ts';

export interface RunDispatcherOptions {
  database: Database;
  boss: PgBoss;
  runs: RunService;
  logger: Logger;
  /** Runs this runner executes at once. */
  concurrency: number;
  /** How often to look for work without being woken, in seconds. */
  pollSeconds: number;
  /** The `run` queue's heartbeat, in seconds; touched every half of it. */
  heartbeatSeconds?: number | undefined;
}

type RunQueueJob = Job<JobData<'run'>>;

interface HeldRun {
  job: RunQueueJob;
  /** Aborted when this runner no longer holds the job (claim lost, expired, shutdown grace over). */
  abort: AbortController;
  done: Promise<void>;
}

const attemptOf = (job: RunQueueJob): JobAttempt => ({ id: job.id, retryCount: job.retryCount });

export function createRunDispatcher(options: RunDispatcherOptions) {
  const { boss, runs, logger, concurrency } = options;
  const { db, sql } = options.database;
  const heartbeatMs = (options.heartbeatSeconds ?? RUN_HEARTBEAT_SECONDS) * 500;
  const held = new Map<string, HeldRun>();
  let stopped = true;
  let fetching: Promise<void> | null = null;
  let fetchAgain = false;
  /** Whether runs may be waiting: set by wake-ups and by a fetch that came back full. */
  let backlog = true;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  let heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  let listening: { unlisten(): Promise<void> } | null = null;

  /** Fetches now unless every slot is taken or a fetch is under way (which then goes again). */
  function kick() {
    if (stopped || held.size >= concurrency) return;
    if (fetching) {
      fetchAgain = true;
      return;
    }
    fetching = fetchWhileFree().finally(() => {
      fetching = null;
    });
  }

  function wake() {
    backlog = true;
    kick();
  }

  async function fetchWhileFree() {
    do {
      fetchAgain = false;
      const free = concurrency - held.size;
      if (free <= 0 || stopped) return;
      const fetched = await fetchAndClaimOrIsolate(free);
      // Database trouble: the next wake-up or poll tries again.
      if (!fetched) return;
      backlog = fetched.count === free || fetched.isolated;
      for (const { job, run, abort } of fetched.claimed) start(job, run, abort);
    } while (fetchAgain || (backlog && held.size < concurrency));
  }

  /**
   * `fetchAndClaim`, but a job whose claim always fails (a poison job) must not stop the queue
   * behind it: when a batch fails, the jobs are taken one at a time, and a job that fails alone is
   * set aside (failed, so pg-boss retries it with backoff and in the end dead-letters it). Null when
   * nothing could be fetched at all (the database is down).
   */
  async function fetchAndClaimOrIsolate(limit: number) {
    try {
      return { ...(await fetchAndClaim(limit)), isolated: false };
    } catch (err) {
      logger.error({ err }, 'could not fetch and claim runs');
      let cause = err;
      if (limit > 1) {
        try {
          return { ...(await fetchAndClaim(1)), isolated: true };
        } catch (alone) {
          cause = alone;
        }
      }
      return (await setAsideFirst(cause)) ? { count: 0, claimed: [], isolated: true } : null;
    }
  }

  async function fetchAndClaim(limit: number) {
    return db.transaction(async (tx) => {
      const jobs = await boss.fetch<JobData<'run'>>('run', {
        batchSize: limit,
        groupConcurrency: RUN_GROUP_CONCURRENCY,
        ...onTransaction(tx),
      });
      const aborts = jobs.map(() => new AbortController());
      const steps = await runs.claimAll(
        tx,
        jobs.map((job, i) => runJobOf(job, aborts[i]!.signal)),
      );
      const claimed: { job: RunQueueJob; run: ClaimedRun; abort: AbortController }[] = [];
      const nothingToDo: JobAttempt[] = [];
      for (const [i, job] of jobs.entries()) {
        const step = steps[i]!;
        if (step.outcome === 'claimed') claimed.push({ job, run: step.run, abort: aborts[i]! });
        else nothingToDo.push(attemptOf(job));
      }
      // No output: pg-boss's completion through our connection takes none (it would arrive unserialised).
      if (nothingToDo.length > 0) await boss.complete('run', nothingToDo, null, onTransaction(tx));
      return { count: jobs.length, claimed };
    });
  }

  /**
   * After the first job in line failed its claim alone: fetch it (outside a transaction with the
   * claim) and fail it. When the database is down this fails too and nothing happens; a healthy job
   * caught by it (a transient error) is only retried a second later.
   */
  async function setAsideFirst(cause: unknown): Promise<boolean> {
    try {
      const [job] = await boss.fetch<JobData<'run'>>('run', {
        batchSize: 1,
        groupConcurrency: RUN_GROUP_CONCURRENCY,
      });
      if (!job) return false;
      const message = cause instanceof Error ? cause.message : String(cause);
      await boss.fail('run', attemptOf(job), { message: `its claim failed: ${message}` });
      logger.warn(
        { jobId: job.id, executionId: job.data.executionId },
        'run job set aside after its claim failed',
      );
      return true;
    } catch (err) {
      logger.warn({ err }, 'could not set a run job aside');
      return false;
    }
  }

  function runJobOf(job: RunQueueJob, signal: AbortSignal): RunJob {
    return { id: job.id, data: job.data, signal, groupId: job.groupId, groupTier: job.groupTier };
  }

  function start(job: RunQueueJob, run: ClaimedRun, abort: AbortController) {
    const log = logger.child({ jobId: job.id, executionId: job.data.executionId });
    // pg-boss would fail an attempt that outlives its expiry; stop ours first (it resumes elsewhere).
    const expiry = setTimeout(
      () => abort.abort(new Error(`the run job expired after ${job.expireInSeconds} s`)),
      job.expireInSeconds * 1000,
    );
    const done = (async () => {
      try {
        const result = await runs.executeClaimed(runJobOf(job, abort.signal), run, attemptOf(job));
        // Fenced out: the job belongs to the attempt that took over (this completes nothing then).
        if (result.outcome === 'superseded') await boss.complete('run', attemptOf(job), result);
      } catch (err) {
        log.error({ err }, 'run job failed; it will be retried');
        await boss
          .fail('run', attemptOf(job), { message: err instanceof Error ? err.message : String(err) })
          .catch((failErr: unknown) =>
            // The job stays active without heartbeats; supervision fails it over shortly.
            log.warn({ err: failErr }, 'could not fail the run job'),
          );
      } finally {
        clearTimeout(expiry);
        held.delete(job.id);
        if (backlog) kick();
      }
    })();
    held.set(job.id, { job, abort, done });
  }

  async function heartbeat() {
    const touched = [...held.values()].filter((h) => !h.abort.signal.aborted);
    if (touched.length === 0) return;
    let settled: string[] | undefined;
    try {
      const response = (await boss.touch(
        'run',
        touched.map((h) => attemptOf(h.job)),
      )) as { settled?: string[] };
      settled = response.settled;
    } catch (err) {
      // A heartbeat that could not run says nothing about the claims.
      logger.warn({ err }, 'could not refresh run job heartbeats');
      return;
    }
    if (!settled) return;
    const refreshed = new Set(settled);
    for (const h of touched)
      if (!refreshed.has(h.job.id) && held.get(h.job.id) === h)
        h.abort.abort(new Error(`job ${h.job.id} is no longer held by this runner`));
  }

  return {
    /** Starts fetching; resolves once the wake-up LISTEN is in place. */
    async start() {
      stopped = false;
      listening = await sql.listen(
        RUNS_READY_CHANNEL,
        () => wake(),
        // First LISTEN, and after a reconnect: notices may have been missed.
        () => wake(),
      );
      pollTimer = setInterval(kick, options.pollSeconds * 1000);
      heartbeatTimer = setInterval(() => void heartbeat(), heartbeatMs);
      wake();
    },
    /** Wakes the loop (the scheduler, when an occurrence it armed is due). */
    wake,
    /**
     * Stops fetching and waits up to `drainMs` for runs in flight; the rest are interrupted (their
     * jobs failed, so another runner resumes them).
     */
    async stop(drainMs: number) {
      stopped = true;
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
      await listening?.unlisten().catch(() => {});
      listening = null;
      await fetching;
      const all = () => Promise.all([...held.values()].map((h) => h.done));
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const drained = await Promise.race([
        all().then(() => true),
        new Promise<false>((resolve) => {
          timeout = setTimeout(() => resolve(false), drainMs);
        }),
      ]);
      clearTimeout(timeout);
      if (!drained) {
        logger.warn({ running: held.size }, 'drain time over: interrupting the runs still going');
        for (const h of held.values()) h.abort.abort(new Error('the runner is shutting down'));
        await all();
      }
      if (heartbeatTimer) clearInterval(heartbeatTimer);
      heartbeatTimer = null;
    },
  };
}

export type RunDispatcher = ReturnType<typeof createRunDispatcher>;
