/**
 * An expression worker process (see expression-pool.ts). It parses the data, evaluates, and answers
 * with JSON text whose size it checks before sending, so the parent never parses an oversized
 * result. It never throws: failures travel back as `{ error }` (thrown errors lose their class and
 * fields crossing processes).
 *
 * Started by Node itself, not by a bundler or tsx: this file and what it imports use erasable
 * TypeScript only (Node's type stripping).
 */
import { Socket } from 'node:net';
import {
  CHANNEL_FD,
  createSpinReader,
  createTaskReader,
  type ExpressionAnswer,
  type ExpressionTask,
  type WorkerMessage,
  workerMessageText,
  writeWhole,
} from './expression-channel.ts';
import { evaluateToJson } from './expressions.ts';

async function evaluateTask(task: ExpressionTask): Promise<ExpressionAnswer> {
  try {
    const result = await evaluateToJson(task.source, JSON.parse(task.data), {
      limits: task.limits,
      bindings: task.bindings,
    });
    // A UTF-16 unit is 1 to 3 bytes: count exactly only when the length alone cannot decide.
    const bytes = result.length * 3 > task.maxOutputBytes ? Buffer.byteLength(result) : 0;
    if (bytes > task.maxOutputBytes)
      return {
        error: `expression result is ${bytes} bytes, over the limit of ${task.maxOutputBytes} bytes`,
      };
    return { result };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * A read of this process's CPU time is a system call that cost ~3 µs here, as much as a whole short
 * evaluation; the pool counts CPU time in 10 ms ticks (`/proc`) anyway, so a reading up to this old
 * will do.
 */
const CPU_READ_EVERY_MS = 5;
let cpuReadAt = Number.NEGATIVE_INFINITY;
let cpuMsThen = 0;

/**
 * This process's CPU time so far in ms (read at most `CPU_READ_EVERY_MS` ago, so up to that much
 * less): the pool tells a spinning evaluation by it.
 */
function cpuMs(): number {
  const now = performance.now();
  if (now - cpuReadAt >= CPU_READ_EVERY_MS) {
    const { user, system } = process.cpuUsage();
    cpuMsThen = (user + system) / 1000;
    cpuReadAt = now;
  }
  return cpuMsThen;
}

// One task at a time: the pool sends the next only after this answer. Nothing imports this file:
// it is the worker process's entry point.

/**
 * How long a worker that has just answered polls for its next task before it sleeps. In a chain of
 * steps the next one comes within tens of µs; polling longer only took a core from the processes
 * that make the next task when the machine was busy (a 1,000-transform chain with two CPU hogs
 * running: 82 µs per node with 0.1 ms, 115–134 with 0.2 ms, 143–165 with 1 ms; quiet, 0.05 ms was
 * already too short).
 */
const NEXT_TASK_WAIT_MS = 0.1;

/** Where answers go: fd 4 when the pool gave this worker two pipes, else the socket tasks come on. */
const ANSWER_FD = process.argv[2] === 'pipes' ? CHANNEL_FD + 1 : CHANNEL_FD;

// Made non-blocking by the socket: sleeping, the worker waits for 'data' in its event loop;
// between tasks it reads synchronously (the loop does not run then, so only one of them reads).
const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: false });
const nextTask = createSpinReader(NEXT_TASK_WAIT_MS);
let tasksStarted = 0;
const receive = createTaskReader((id, task) => {
  tasksStarted++;
  void answer(id, task);
});

async function answer(id: number, task: ExpressionTask) {
  send({ id, answer: await evaluateTask(task), cpuMs: cpuMs() });
  // Evaluations mostly come back to back (a chain of steps, a mapping per webhook): the next task
  // is often µs away. Polled for until one has started (its answer polls again) or none comes.
  const before = tasksStarted;
  while (tasksStarted === before) {
    const bytes = nextTask.read(CHANNEL_FD);
    if (bytes === null) return;
    if (bytes.length === 0) process.exit(0);
    receive(bytes);
  }
}

channel.on('data', receive);
// The pool went away (its process ended): nothing left to do.
channel.on('end', () => process.exit(0));
channel.on('error', () => process.exit(0));

function send(message: WorkerMessage) {
  writeWhole(ANSWER_FD, Buffer.from(workerMessageText(message)));
}

// Booted: the pool hands this worker tasks from now on.
send({ ready: true, cpuMs: cpuMs() });
