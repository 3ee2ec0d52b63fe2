/**
 * Where user expressions are evaluated: a bounded pool of worker processes, never the main event
 * loop. A SWARM process serves many users; one user's expression must not be able to stall the
 * others' runs or the API. jsonata's own time limit is cooperative (checked between evaluation
 * steps), so a single builtin call runs past it: `$distinct` over 100,000 objects compares every
 * pair for minutes, and `$pad("", 200000000, "x")` built 200 MB before `$pad` was bounded
 * (expressions.ts). Here each evaluation gets:
 * - a hard wall-clock deadline, counted from the moment a worker takes the task (a task waiting
 *   behind others does not time out for their sake): when it passes, the caller gets its error at
 *   once and the worker is killed (SIGKILL) and replaced;
 * - a heap cap per worker (`--max-old-space-size`): a worker that runs out dies alone;
 * - size caps on the data sent in and the result sent back, measured on the JSON text;
 * - a bounded queue: when it is full the evaluation fails at once with an error that says so;
 * - fairness: one tenant (a workflow's owner) holds at most `maxPerTenant` workers at once, so one
 *   user's hostile expressions wait behind each other, not in front of everyone else's; a tenant
 *   whose expressions were stopped at a limit within the last minute never takes the last idle
 *   worker (others would wait for a boot each time its share freed) and runs at low priority from
 *   the start; workers booted then boot at low priority; and a tenant whose expressions keep getting
 *   stopped is refused for a while (each stop costs a process boot the whole machine pays for);
 * - a low CPU priority once an evaluation has burnt CPU (nice 19 after 25 ms of its worker's CPU
 *   time, checked every 50 ms of wall time): a worker spinning on one user's expression yields the
 *   cores to the API, the runner, Postgres and short evaluations. Short evaluations — nearly all of
 *   them — run at normal priority: a worker niced from the start starves behind the services on a
 *   busy machine. It is CPU time, not wall time, that marks a spinner: on a saturated machine an
 *   ordinary evaluation can wait 50 ms for a core, and demoting it then would starve it into its
 *   deadline (a victim's run failed that way when the clock alone decided).
 *
 * Why processes and why our own pool:
 * - Worker threads (piscina, tinypool, workerpool's thread mode) cannot contain memory: a thread's
 *   `resourceLimits` do not stop one large allocation — `new Array(5e7).fill(1.5)`, or jsonata's
 *   `$length` of a 200 MB string, in a thread capped at 64 MB ends in V8's fatal out-of-memory
 *   handler, which aborts the whole process (tried on Node 24). A child process that dies takes
 *   nothing with it.
 * - workerpool's process mode measured ~140 µs per evaluation here, and its timeout first asks the
 *   worker to clean up — a worker blocked in a builtin never answers, so it stayed alive and busy
 *   past its deadline. What is left to write is small: one task per worker, a FIFO queue, a sweep
 *   for deadlines, replace dead workers; and a channel of our own (expression-channel.ts), which
 *   took a short evaluation from ~65 to ~40 µs per transform step on a virtual machine (B5), over
 *   two pipes (expression-worker-process.ts), which took it to ~30 µs.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { setPriority } from 'node:os';
import { createBusyWait } from './busy-wait.ts';
import {
  createSpinReader,
  createWorkerMessageReader,
  descriptorOf,
  type ExpressionAnswer,
  type ExpressionTask,
  taskText,
  type WorkerMessage,
} from './expression-channel.ts';
import { createPipeStock, spawnWorkerProcess } from './expression-worker-process.ts';
import { DEFAULT_EXPRESSION_LIMITS, ExpressionError, type ExpressionLimits } from './expressions.ts';
import { cpuMsOf } from './process-cpu.ts';

export interface ExpressionPoolOptions {
  /**
   * Most worker processes (default 8). They start on demand and, beyond a booted spare, end after
   * 30 s idle; most evaluations take microseconds, so more workers mostly means headroom beside
   * hostile ones.
   */
  workers?: number | undefined;
  /** Most workers one tenant's evaluations hold at once (default a quarter of `workers`, at least 1). */
  maxPerTenant?: number | undefined;
  /**
   * A tenant whose evaluations were stopped at their limits this many times within a minute has its
   * next ones refused at once until the oldest of those is a minute old (default 5).
   */
  pauseAfterLosses?: number | undefined;
  /** Evaluations that may wait for a worker before new ones are refused (default 1,000). */
  maxQueue?: number | undefined;
  /** Heap of one worker, in MB (V8 old generation; default 96). */
  heapMb?: number | undefined;
  /** Largest data an evaluation takes, as JSON bytes (default 10 MB). */
  maxInputBytes?: number | undefined;
  /** Largest result an evaluation gives back, as JSON bytes (default 10 MB). */
  maxOutputBytes?: number | undefined;
  /**
   * Time past the expression's own `timeoutMs` before its worker is killed (default 250 ms):
   * jsonata's cooperative check usually stops it first, with the cheaper error and no new process.
   */
  terminateGraceMs?: number | undefined;
  /** Default limits for expressions evaluated here (each call may narrow them). */
  limits?: Partial<ExpressionLimits> | undefined;
}

export interface EvaluateOptions {
  /** Extra `$name` bindings (a webhook mapping's `$headers` and `$query`). */
  bindings?: Record<string, unknown> | undefined;
  limits?: Partial<ExpressionLimits> | undefined;
  /** Stops the evaluation (and kills its worker if it is running): a cancelled step. */
  signal?: AbortSignal | undefined;
  /** Whose expression this is (a user id): caps how many workers one tenant holds at once. */
  tenant?: string | undefined;
}

export interface ExpressionPool {
  /** Evaluates `source` over `data`; `undefined` (no match) comes back as `null`. Throws `ExpressionError`. */
  evaluate(source: string, data: unknown, options?: EvaluateOptions): Promise<unknown>;
  /**
   * Worker processes now, evaluations running and waiting, workers replaced after a kill or crash,
   * and workers running at low priority now (their evaluation burnt CPU past `SLOW_CPU_MS`).
   */
  stats(): { workers: number; busy: number; queued: number; replaced: number; demoted: number };
  /** The process ids of the workers now (for operators' tools and tests). */
  workerPids(): number[];
  /** Ends the worker processes; evaluations running or waiting fail. */
  close(): Promise<void>;
}

const MB = 1_000_000;
/** Idle workers beyond the spares are ended after this long without work. */
const IDLE_MS = 30_000;
/**
 * Most evaluations answer within µs: the pool first reads for an answer synchronously this long,
 * blocking its event loop no longer than a short evaluation on this thread would (answers take
 * ~15 µs here); then it polls its event loop for one `ANSWER_WAIT_MS` before sleeping (busy-wait.ts).
 */
const ANSWER_READ_MS = 0.05;
const ANSWER_WAIT_MS = 0.5;
/** How often running evaluations' deadlines and CPU time are looked at (`sweepRunning`). */
const SWEEP_MS = 50;
/** Booted workers kept idle for what arrives next. */
const SPARE_WORKERS = 1;
/** The window of `pauseAfterLosses`. */
const LOSS_WINDOW_MS = 60_000;
/** How long after a worker was lost to an evaluation more spares are kept (see `sparesWanted`). */
const UNDER_ATTACK_MS = 30_000;
/** Workers ending before they are ready this many times in a row make the pool give up. */
const MAX_FAILED_BOOTS = 3;
/** A running evaluation's CPU time is looked at from this age on (most take µs and never are). */
const SLOW_AFTER_MS = 50;
/** CPU time one evaluation may use before its worker is demoted to `SLOW_NICENESS`. */
const SLOW_CPU_MS = 25;
/** The lowest priority: the kernel runs everything else first when such a worker competes for a core. */
const SLOW_NICENESS = 19;

interface Job {
  id: number;
  /** Null: nobody's in particular (not capped). */
  tenant: string | null;
  /** When it was handed to a worker (from then on it counts against its tenant's cap until settled). */
  startedAt: number | null;
  task: ExpressionTask;
  deadlineMs: number;
  settle(error: ExpressionError | null, answer?: ExpressionAnswer): void;
}

interface Worker {
  child: ChildProcess;
  /** The pool's ends of the channel (expression-worker-process.ts). */
  taskSocket: Socket;
  answerSocket: Socket;
  /** Takes what arrived on the channel. */
  receive: (bytes: Buffer) => void;
  /** Booted (it said so); only ready workers are handed jobs. */
  ready: boolean;
  job: Job | null;
  /** When it last became idle (for the idle sweep). */
  idleSince: number;
  /** The worker's own CPU time when it last answered (so a job's CPU time needs no read at its start). */
  cpuMsAtAnswer: number;
  /** Running at `SLOW_NICENESS` (see `demote`). */
  demoted: boolean;
  /** Why we killed it, when we did (the exit handler then has nothing to explain). */
  killed: boolean;
}

export function createExpressionPool(options: ExpressionPoolOptions = {}): ExpressionPool {
  const maxWorkers = Math.max(1, options.workers ?? 8);
  const maxPerTenant = Math.max(1, options.maxPerTenant ?? Math.floor(maxWorkers / 4));
  const pauseAfterLosses = Math.max(1, options.pauseAfterLosses ?? 5);
  const heapMb = options.heapMb ?? 96;
  const maxInputBytes = options.maxInputBytes ?? 10 * MB;
  const maxOutputBytes = options.maxOutputBytes ?? 10 * MB;
  const terminateGraceMs = options.terminateGraceMs ?? 250;
  const maxQueue = options.maxQueue ?? 1_000;
  const baseLimits: ExpressionLimits = { ...DEFAULT_EXPRESSION_LIMITS, ...options.limits };

  const answers = createBusyWait(ANSWER_WAIT_MS);
  const answerReader = createSpinReader(ANSWER_READ_MS);
  /** Reading an answer synchronously now (see `start`). */
  let readingAnswer = false;
  const workers = new Set<Worker>();
  const idle: Worker[] = [];
  const queue: Job[] = [];
  /** Workers each tenant holds now. */
  const running = new Map<string, number>();
  let nextId = 1;
  let booting = 0;
  let replaced = 0;
  /** When a worker last died with an evaluation on it (killed at its deadline, or out of memory). */
  let lastLossAt = Number.NEGATIVE_INFINITY;
  /** Cleared when a booted worker could not be given normal priority back (that needs privileges). */
  let bootAtLowPriority = true;
  /** Per tenant: when its evaluations lost workers within the last minute, and the last limit hit. */
  const losses = new Map<string, { at: number[]; last: string }>();
  let closed = false;
  /** Workers that ended before they were ready, in a row. */
  let failedBoots = 0;
  /** Why this pool gave up starting workers (see `MAX_FAILED_BOOTS`). */
  let broken: string | null = null;
  /** What workers' channels are made of (expression-worker-process.ts). */
  const pipeStock = createPipeStock();

  function spawn() {
    const { child, taskSocket, answerSocket } = spawnWorkerProcess(heapMb, pipeStock.take());
    const worker: Worker = {
      child,
      taskSocket,
      answerSocket,
      ready: false,
      job: null,
      idleSince: 0,
      cpuMsAtAnswer: 0,
      demoted: false,
      killed: false,
      receive: createWorkerMessageReader(heard),
    };
    workers.add(worker);
    booting++;
    // Under attack, boots follow one another, each burning a core for a while: not before the services.
    if (bootAtLowPriority && performance.now() - lastLossAt < UNDER_ATTACK_MS) demote(worker);
    // Workers don't keep the process alive; pending evaluations do (`keepAlive`).
    child.unref();
    // A dead worker's channel fails too; its 'exit' says what happened.
    for (const socket of new Set([taskSocket, answerSocket])) socket.unref().on('error', () => {});
    answerSocket.on('data', worker.receive);
    function heard(said: WorkerMessage) {
      worker.cpuMsAtAnswer = said.cpuMs;
      if (said.ready) {
        worker.ready = true;
        booting--;
        failedBoots = 0;
        if (worker.demoted && !promote(worker)) bootAtLowPriority = false;
        return release(worker);
      }
      answers.arrived();
      const job = worker.job;
      if (!job || job.id !== said.id) return;
      worker.job = null;
      job.settle(null, said.answer);
      if (worker.demoted && !promote(worker)) {
        // Stuck at low priority (raising it needs privileges): not fit for short work any more.
        kill(worker);
        return dispatch();
      }
      release(worker);
    }
    child.on('error', () => {}); // a failed spawn also ends in 'exit'
    child.on('exit', (code, signal) => {
      workers.delete(worker);
      // A task pipe notices its reader's end only when written to.
      taskSocket.destroy();
      answerSocket.destroy();
      if (!worker.ready) {
        booting--;
        if (!worker.killed && ++failedBoots >= MAX_FAILED_BOOTS) {
          // A worker that cannot start will not start next time either: stop, don't spawn in a loop.
          broken = `expression workers do not start (the last one ended with ${signal ?? `code ${code}`} before it was ready)`;
          for (const job of queue.splice(0)) job.settle(new ExpressionError(broken));
        }
      }
      const at = idle.indexOf(worker);
      if (at >= 0) idle.splice(at, 1);
      const job = worker.job;
      worker.job = null;
      if (job && !worker.killed)
        lose(
          job,
          signal === 'SIGABRT' || signal === 'SIGKILL'
            ? `expression used more than the ${heapMb} MB of memory an evaluation may use and was stopped`
            : `expression evaluation failed: its worker ended (${signal ?? 'exit'})`,
        );
      dispatch();
    });
  }

  function kill(worker: Worker) {
    worker.killed = true;
    worker.child.kill('SIGKILL');
  }

  /**
   * A worker lost to what it was evaluating (past its deadline, out of memory): the caller gets the
   * limit it hit, the pool keeps more spares for a while, and the tenant's record grows.
   */
  function lose(job: Job, message: string) {
    replaced++;
    lastLossAt = performance.now();
    if (job.tenant !== null) {
      const record = losses.get(job.tenant) ?? { at: [], last: '' };
      record.at.push(lastLossAt);
      record.last = message;
      losses.set(job.tenant, record);
    }
    job.settle(new ExpressionError(message));
  }

  /**
   * Refuses a tenant's evaluations at once while its expressions keep hitting their limits
   * (`pauseAfterLosses` in a minute): each loss costs a worker process and its replacement's boot,
   * which a tenant must not be able to make the machine pay for without end.
   */
  function pausedFor(tenant: string | null): string | null {
    if (tenant === null) return null;
    const record = losses.get(tenant);
    if (!record) return null;
    const now = performance.now();
    while (record.at.length > 0 && now - record.at[0]! > LOSS_WINDOW_MS) record.at.shift();
    if (record.at.length === 0) {
      losses.delete(tenant);
      return null;
    }
    if (record.at.length < pauseAfterLosses) return null;
    const seconds = Math.ceil((LOSS_WINDOW_MS - (now - record.at[0]!)) / 1000);
    return `expression refused: this account's expressions were stopped at their limits ${record.at.length} times in the last minute (last: ${record.last}); new ones are refused for ${seconds} s`;
  }

  /** A tenant whose evaluations lost a worker (deadline, memory) within the last minute. */
  function suspect(tenant: string | null): boolean {
    const at = tenant === null ? undefined : losses.get(tenant)?.at;
    return at !== undefined && at.length > 0 && performance.now() - at[at.length - 1]! < LOSS_WINDOW_MS;
  }

  /** A long evaluation gives way: the services and short evaluations go first on a busy machine. */
  function demote(worker: Worker) {
    try {
      if (worker.child.pid !== undefined) setPriority(worker.child.pid, SLOW_NICENESS);
      worker.demoted = true;
    } catch {
      // Not allowed here (some containers): it keeps normal priority.
    }
  }

  function promote(worker: Worker): boolean {
    try {
      if (worker.child.pid !== undefined) setPriority(worker.child.pid, 0);
      worker.demoted = false;
      return true;
    } catch {
      return false;
    }
  }

  /** Whether a job may take a worker, leaving `idleLeft` idle: under its cap, and a suspect leaves one. */
  const runnable = (job: Job, idleLeft: number) =>
    (job.tenant === null || (running.get(job.tenant) ?? 0) < maxPerTenant) &&
    (idleLeft > 0 || maxWorkers === 1 || !suspect(job.tenant));

  /** A booted worker with nothing to do: the next runnable job, else it waits in `idle`. */
  function release(worker: Worker) {
    if (closed) return;
    const at = queue.findIndex((job) => runnable(job, idle.length));
    if (at >= 0) return start(worker, queue.splice(at, 1)[0]!);
    idle.push(worker);
    worker.idleSince = performance.now();
  }

  /** Referenced while evaluations are pending, so the process waits for them (and only then). */
  const keepAlive = setInterval(() => {}, 2 ** 30).unref();
  let pending = 0;

  /** Ends workers idle for `IDLE_MS` beyond the spares (one timer for the pool, not one per job). */
  const idleSweep = setInterval(() => {
    const now = performance.now();
    for (const worker of [...idle])
      if (idle.length > sparesWanted() && now - worker.idleSince > IDLE_MS) {
        idle.splice(idle.indexOf(worker), 1);
        kill(worker);
      }
  }, IDLE_MS / 3).unref();

  function start(worker: Worker, job: Job) {
    worker.job = job;
    job.startedAt = performance.now();
    if (job.tenant !== null) running.set(job.tenant, (running.get(job.tenant) ?? 0) + 1);
    // Its next expression is likely the same: not at full priority until the first look.
    if (suspect(job.tenant)) demote(worker);
    runningSweep ??= setInterval(sweepRunning, SWEEP_MS).unref();
    worker.taskSocket.write(taskText(job.id, job.task));
    // Looked up now: a closed channel has none (its number may already belong to another socket).
    const fd = descriptorOf(worker.answerSocket);
    // An answer read here settles the job, which may start the next queued one: that one's answer
    // comes through the event loop, so a long queue does not nest reads.
    if (readingAnswer || fd === undefined) return answers.expect();
    readingAnswer = true;
    try {
      let bytes: Buffer | null = null;
      try {
        bytes = answerReader.read(fd);
      } catch {
        // The worker is gone (its 'exit' explains) or the channel failed: left to the event loop.
      }
      if (bytes === null) answers.expect();
      else worker.receive(bytes);
    } finally {
      readingAnswer = false;
    }
  }

  /**
   * Running evaluations' deadlines and CPU use, every `SWEEP_MS` while any run: one timer for the
   * pool rather than two per evaluation (most take µs, and setting and clearing timers cost more).
   */
  let runningSweep: NodeJS.Timeout | undefined;
  function sweepRunning() {
    const now = performance.now();
    let busy = 0;
    for (const worker of workers) {
      const job = worker.job;
      if (job === null) continue;
      busy++;
      const ranMs = now - (job.startedAt ?? now);
      if (ranMs >= job.deadlineMs) {
        worker.job = null;
        kill(worker);
        lose(
          job,
          `expression ran longer than ${job.task.limits.timeoutMs} ms and was stopped (its worker was ended)`,
        );
      } else if (!worker.demoted && ranMs >= SLOW_AFTER_MS) {
        const used = cpuMsOf(worker.child.pid);
        // Without /proc (not Linux) the clock decides, as it must somewhere.
        if (used === null || used - worker.cpuMsAtAnswer >= SLOW_CPU_MS) demote(worker);
      }
    }
    if (busy === 0) {
      clearInterval(runningSweep);
      runningSweep = undefined;
    }
  }

  /**
   * Booted workers to keep idle. A process takes a few hundred ms to start; without booted spares,
   * work arriving while hostile evaluations kill workers one after another would wait for a boot
   * each time — the killing tenant's next evaluations take the spare the moment its share frees.
   * So while workers are being lost, keep one tenant's share spare on top of the usual one.
   */
  function sparesWanted(): number {
    return performance.now() - lastLossAt < UNDER_ATTACK_MS ? SPARE_WORKERS + maxPerTenant : SPARE_WORKERS;
  }

  /** Hands runnable jobs to idle workers, then boots workers for what is left plus the spares. */
  function dispatch() {
    if (closed || broken !== null) return;
    let waiting = 0;
    if (queue.length > 0) {
      const takesOne = (job: Job) => runnable(job, idle.length - 1);
      for (let at = queue.findIndex(takesOne); at >= 0 && idle.length > 0; at = queue.findIndex(takesOne))
        start(idle.pop()!, queue.splice(at, 1)[0]!);
      // Jobs held back only to leave an idle worker for others still want one booted.
      for (const job of queue) if (runnable(job, 1)) waiting++;
    }
    const wanted = waiting + sparesWanted() - idle.length;
    while (workers.size < maxWorkers && booting < wanted) spawn();
  }

  function evaluate(source: string, data: unknown, evaluation: EvaluateOptions = {}): Promise<unknown> {
    const limits: ExpressionLimits = evaluation.limits ? { ...baseLimits, ...evaluation.limits } : baseLimits;
    let text: string | undefined;
    try {
      text = JSON.stringify(data);
    } catch (err) {
      return Promise.reject(new ExpressionError(`expression data is not JSON: ${(err as Error).message}`));
    }
    text ??= 'null';
    // A UTF-16 unit is 1 to 3 bytes: count exactly only when the length alone cannot decide.
    if (text.length * 3 > maxInputBytes) {
      const bytes = Buffer.byteLength(text);
      if (bytes > maxInputBytes)
        return Promise.reject(
          new ExpressionError(`expression data is ${bytes} bytes, over the limit of ${maxInputBytes} bytes`),
        );
    }
    if (closed) return Promise.reject(new ExpressionError('the expression pool is closed'));
    if (broken !== null) return Promise.reject(new ExpressionError(broken));
    if (evaluation.signal?.aborted) return Promise.reject(new ExpressionError('expression cancelled'));
    const paused = pausedFor(evaluation.tenant ?? null);
    if (paused !== null) return Promise.reject(new ExpressionError(paused));
    if (queue.length >= maxQueue)
      return Promise.reject(
        new ExpressionError(
          `too many expressions are waiting to be evaluated (${maxQueue} queued); try again shortly`,
        ),
      );

    return new Promise((resolve, reject) => {
      const signal = evaluation.signal;
      const onAbort = () => {
        const queued = queue.indexOf(job);
        if (queued >= 0) queue.splice(queued, 1);
        for (const worker of workers)
          if (worker.job === job) {
            worker.job = null;
            replaced++;
            kill(worker);
          }
        job.settle(new ExpressionError('expression cancelled'));
      };
      let settled = false;
      const job: Job = {
        id: nextId++,
        tenant: evaluation.tenant ?? null,
        startedAt: null,
        task: { source, data: text, bindings: evaluation.bindings, limits, maxOutputBytes },
        deadlineMs: limits.timeoutMs + terminateGraceMs,
        settle(error, answer) {
          if (settled) return;
          settled = true;
          if (--pending === 0) keepAlive.unref();
          if (job.startedAt !== null && job.tenant !== null) {
            const held = (running.get(job.tenant) ?? 1) - 1;
            if (held > 0) running.set(job.tenant, held);
            else running.delete(job.tenant);
            // The tenant may have work waiting that only its cap held back.
            queueMicrotask(dispatch);
          }
          signal?.removeEventListener('abort', onAbort);
          if (error) return reject(error);
          if (!answer || 'error' in answer) return reject(new ExpressionError(answer?.error ?? 'no answer'));
          try {
            resolve(JSON.parse(answer.result));
          } catch (err) {
            reject(new ExpressionError(`expression result is not JSON: ${(err as Error).message}`));
          }
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (pending++ === 0) keepAlive.ref();
      queue.push(job);
      dispatch();
    });
  }

  // A worker from the start: the first evaluation should not wait for a process to boot.
  dispatch();

  return {
    evaluate,
    stats: () => ({
      workers: workers.size,
      busy: [...workers].filter((w) => w.job !== null).length,
      queued: queue.length,
      replaced,
      demoted: [...workers].filter((w) => w.demoted).length,
    }),
    workerPids: () => [...workers].flatMap((w) => (w.child.pid === undefined ? [] : [w.child.pid])),
    close: async () => {
      closed = true;
      clearInterval(idleSweep);
      clearInterval(runningSweep);
      clearInterval(keepAlive);
      const pipesClosed = pipeStock.close();
      for (const job of queue.splice(0)) job.settle(new ExpressionError('the expression pool is closed'));
      const exits = [...workers].map(
        (worker) => new Promise<void>((done) => worker.child.once('exit', () => done())),
      );
      for (const worker of workers) {
        worker.job?.settle(new ExpressionError('the expression pool is closed'));
        worker.job = null;
        // Wait for it: an unreferenced child would let the process end before it is reaped.
        worker.child.ref();
        kill(worker);
      }
      await Promise.all([...exits, pipesClosed]);
    },
  };
}

let shared: ExpressionPool | undefined;

/**
 * One pool per process with default settings, for code that was handed none (tests, the executor
 * without `services.expressions`). Apps create their own from configuration.
 */
export function sharedExpressionPool(): ExpressionPool {
  shared ??= createExpressionPool();
  return shared;
}
