/**
 * An expression worker process (see expression-pool.ts). It parses the data, evaluates, and answers
 * with JSON text whose size it checks before sending, so the parent never parses an oversized
 * result. It never throws: failures travel back as `{ error }` (thrown errors lose their class and
 * fields crossing processes).
 *
 * Started by Node itself, not by a bundler or tsx: this file and what it imports use erasable
 * TypeScript only (Node's type stripping).
 */
import { createBusyWait } from './busy-wait.ts';
import { type ExpressionLimits, evaluateToJson } from './expressions.ts';

export interface ExpressionTask {
  source: string;
  /** The data as JSON text (the main thread measured its size). */
  data: string;
  bindings?: Record<string, unknown> | undefined;
  limits: ExpressionLimits;
  maxOutputBytes: number;
}

export type ExpressionAnswer = { result: string } | { error: string };

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

// One task at a time: the pool sends the next only after this answer. Nothing else imports this
// file at run time (the pool imports its types only).
// Evaluations mostly come back to back (a chain of steps, a mapping per webhook): after answering,
// the next task is often µs away, so the worker polls for it briefly instead of sleeping.
const nextTask = createBusyWait(1);
process.on('message', async (message: { id: number; task: ExpressionTask }) => {
  nextTask.arrived();
  const answer = await evaluateTask(message.task);
  process.send?.({ id: message.id, answer, cpuMs: cpuMs() });
  nextTask.expect();
});
// The pool went away (its process ended): nothing left to do.
process.on('disconnect', () => process.exit(0));
// Booted: the pool hands this worker jobs from now on.
process.send?.({ ready: true, cpuMs: cpuMs() });
