/**
 * Starting an expression worker process (expression-worker.ts) for the pool (expression-pool.ts),
 * connected by two pipes: one carries tasks to the worker, the other answers back.
 *
 * Why pipes and not the socket pair Node gives a child (`stdio: 'pipe'`): two Node processes
 * polling for a one-byte message from each other took 8.5–9.7 µs a round trip over a socket pair
 * and 3.8–4.9 µs over two pipes on a 2-vCPU virtual machine (a socket's send and receive go through
 * more of the kernel); a short evaluation through the pool went from ~16 to ~12 µs.
 *
 * Node cannot make a pipe, so they are named pipes (FIFOs) made by `mkfifo` in a directory only
 * this user can enter, opened at both ends and then removed: the open ends outlive their names, so
 * nothing is left on disk for another process to open. `mkfifo` is a process to start: made at a
 * worker's boot it held the event loop for ~2 ms on a quiet machine, and under a poison-expression
 * attack (workers killed and booted several times a second on a saturated machine) for long enough
 * to slow other runs. So pairs are made ahead, a few at a time, in the background (`PipeStock`);
 * only a pool's first batch is made while it is created.
 * Where `mkfifo` fails (missing, as in distroless images, or no writable temporary directory) the
 * pool uses the socket pair: slower, same behaviour.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const WORKER_FILE = fileURLToPath(new URL('./expression-worker.ts', import.meta.url));
/** The worker is TypeScript run by Node itself: stripping types is on by default from Node 23.6. */
const STRIP_TYPES = (process.features as { typescript?: unknown }).typescript
  ? []
  : ['--experimental-strip-types'];

export interface WorkerProcess {
  child: ChildProcess;
  /** The pool's end of the channel (expression-channel.ts) tasks are written to. */
  taskSocket: Socket;
  /** The end answers are read from: over a socket pair, the same socket as `taskSocket`. */
  answerSocket: Socket;
}

/**
 * Starts a worker with a heap of `heapMb` MB, over `pipes` (taken from a `PipeStock`) or, when
 * there are none, over a socket pair.
 */
export function spawnWorkerProcess(heapMb: number, pipes: WorkerPipes | null): WorkerProcess {
  let child: ChildProcess;
  try {
    child = spawn(
      process.execPath,
      [`--max-old-space-size=${heapMb}`, ...STRIP_TYPES, WORKER_FILE, pipes ? 'pipes' : 'socket'],
      {
        // Workers see none of the process's environment (provider keys, database URL).
        env: {},
        // V8's out-of-memory report goes to the worker's stderr; keep it out of the service's logs.
        // fd 3 (and 4 over pipes) is the channel (expression-channel.ts).
        stdio: ['ignore', 'ignore', 'ignore', ...(pipes ? pipes.workerEnds : ['pipe' as const])],
      },
    );
  } catch (err) {
    if (pipes) for (const fd of [pipes.tasks, pipes.answers]) closeSync(fd);
    throw err;
  } finally {
    // The worker has its own copies now.
    if (pipes) for (const fd of pipes.workerEnds) closeSync(fd);
  }
  if (!pipes) {
    const socket = child.stdio[3] as Socket;
    return { child, taskSocket: socket, answerSocket: socket };
  }
  return {
    child,
    taskSocket: new Socket({ fd: pipes.tasks, readable: false, writable: true }),
    answerSocket: new Socket({ fd: pipes.answers, readable: true, writable: false }),
  };
}

export interface WorkerPipes {
  /** Where the pool writes tasks. */
  tasks: number;
  /** Where the pool reads answers. */
  answers: number;
  /**
   * The worker's ends: it reads tasks from the first and writes answers to the second (passed as its
   * fds 3 and 4). The pool closes its copies once the worker is spawned, so that when the worker
   * dies its answers pipe ends (and when the pool dies, its tasks pipe).
   */
  workerEnds: [tasks: number, answers: number];
}

/** Pairs of pipes made at a time, and kept made. */
const PIPES_AHEAD = 4;
/** How `mkfifo` runs: found on the process's PATH, seeing nothing else of its environment. */
const mkfifoOptions = () => ({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 5_000 });
const execFileAsync = promisify(execFile);

export interface PipeStock {
  /** A pair made ahead (and more made in the background), or null: none left, or none can be made. */
  take(): WorkerPipes | null;
  /** Closes the pairs not taken, and those of a batch still being made once it is (awaited). */
  close(): Promise<void>;
}

/**
 * Pairs of pipes for the workers a pool will boot. The first batch is made now; a `take` that
 * leaves half of `PIPES_AHEAD` or fewer makes more in the background. The first failure ends it: from
 * then on `take` gives null, and workers get socket pairs.
 */
export function createPipeStock(): PipeStock {
  let works = process.platform !== 'win32';
  let closed = false;
  let making: Promise<void> | null = null;
  const ready: WorkerPipes[] = [];

  const add = (made: WorkerPipes[]) => {
    if (closed) for (const pipes of made) closePipes(pipes);
    else ready.push(...made);
  };
  if (works) {
    try {
      add(makePipes(PIPES_AHEAD));
    } catch {
      works = false;
    }
  }

  async function refill() {
    try {
      add(await makePipesAsync(PIPES_AHEAD - ready.length));
    } catch {
      works = false;
    } finally {
      making = null;
    }
  }

  return {
    take() {
      const pipes = ready.shift() ?? null;
      if (works && !closed && !making && ready.length <= PIPES_AHEAD / 2) making = refill();
      return pipes;
    },
    async close() {
      closed = true;
      for (const pipes of ready.splice(0)) closePipes(pipes);
      await making;
    },
  };
}

function closePipes(pipes: WorkerPipes) {
  for (const fd of [pipes.tasks, pipes.answers, ...pipes.workerEnds]) closeSync(fd);
}

/** `count` pairs, `mkfifo` run synchronously (a pool's first batch) — or see `makePipesAsync`. */
function makePipes(count: number): WorkerPipes[] {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-expressions-'));
  try {
    const paths = pairPaths(dir, count);
    execFileSync('mkfifo', ['-m', '600', ...paths.flat()], { ...mkfifoOptions(), stdio: 'ignore' });
    return openPairs(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function makePipesAsync(count: number): Promise<WorkerPipes[]> {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-expressions-'));
  try {
    const paths = pairPaths(dir, count);
    await execFileAsync('mkfifo', ['-m', '600', ...paths.flat()], mkfifoOptions());
    return openPairs(paths);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pairPaths = (dir: string, count: number): [string, string][] =>
  Array.from({ length: count }, (_, i) => [join(dir, `tasks-${i}`), join(dir, `answers-${i}`)]);

/** Opens both ends of each pair, every end non-blocking (all or none). */
function openPairs(paths: [string, string][]): WorkerPipes[] {
  const opened: number[] = [];
  const open = (path: string, mode: number) => {
    const fd = openSync(path, mode | constants.O_NONBLOCK);
    opened.push(fd);
    return fd;
  };
  try {
    return paths.map(([tasksPath, answersPath]) => {
      // A named pipe's write end opens without blocking only once a read end is open: readers first.
      const workerTasks = open(tasksPath, constants.O_RDONLY);
      const tasks = open(tasksPath, constants.O_WRONLY);
      const answers = open(answersPath, constants.O_RDONLY);
      const workerAnswers = open(answersPath, constants.O_WRONLY);
      return { tasks, answers, workerEnds: [workerTasks, workerAnswers] };
    });
  } catch (err) {
    for (const fd of opened) closeSync(fd);
    throw err;
  }
}
