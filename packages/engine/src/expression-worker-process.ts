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
 * nothing is left on disk for another process to open. Making them runs `mkfifo` synchronously
 * (~2 ms here, once per worker boot, beside a spawn that holds the event loop ~1–3 ms itself).
 * Where that fails (no `mkfifo`, as in distroless images, or no writable temporary directory) the
 * pool uses the socket pair: slower, same behaviour.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * Starts a worker with a heap of `heapMb` MB, over pipes when they are wanted and can be made, else
 * over a socket pair; `pipes` in what it returns says which.
 */
export function spawnWorkerProcess(heapMb: number, wantPipes: boolean): WorkerProcess & { pipes: boolean } {
  const pipes = wantPipes ? openWorkerPipes() : null;
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
    return { child, taskSocket: socket, answerSocket: socket, pipes: false };
  }
  return {
    child,
    taskSocket: new Socket({ fd: pipes.tasks, readable: false, writable: true }),
    answerSocket: new Socket({ fd: pipes.answers, readable: true, writable: false }),
    pipes: true,
  };
}

interface WorkerPipes {
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

/** A fresh pair of pipes for one worker, every end non-blocking; null when they cannot be made here. */
function openWorkerPipes(): WorkerPipes | null {
  if (process.platform === 'win32') return null;
  const opened: number[] = [];
  const open = (path: string, mode: number) => {
    const fd = openSync(path, mode | constants.O_NONBLOCK);
    opened.push(fd);
    return fd;
  };
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'swarm-expressions-'));
    const tasksPath = join(dir, 'tasks');
    const answersPath = join(dir, 'answers');
    execFileSync('mkfifo', ['-m', '600', tasksPath, answersPath], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeout: 5_000,
    });
    // A named pipe's write end opens without blocking only once a read end is open: readers first.
    const workerTasks = open(tasksPath, constants.O_RDONLY);
    const tasks = open(tasksPath, constants.O_WRONLY);
    const answers = open(answersPath, constants.O_RDONLY);
    const workerAnswers = open(answersPath, constants.O_WRONLY);
    return { tasks, answers, workerEnds: [workerTasks, workerAnswers] };
  } catch {
    for (const fd of opened) closeSync(fd);
    return null;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}
