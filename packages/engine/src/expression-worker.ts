/**
 * An expression worker process (see expression-pool.ts). It parses the data, evaluates, and answers
 * with JSON text whose size it checks before sending, so the parent never parses an oversized
 * result. It never throws: failures travel back as `{ error }` (thrown errors lose their class and
 * fields crossing processes).
 *
 * Started by Node itself, not by a bundler or tsx: this file and what it imports use erasable
 * TypeScript only (Node's type stripping).
 */
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

/** This process's CPU time so far, in ms: the pool tells a spinning evaluation by it. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

// One task at a time: the pool sends the next only after this answer. Nothing else imports this
// file at run time (the pool imports its types only).
process.on('message', async (message: { id: number; task: ExpressionTask }) => {
  const answer = await evaluateTask(message.task);
  process.send?.({ id: message.id, answer, cpuMs: cpuMs() });
});
// The pool went away (its process ended): nothing left to do.
process.on('disconnect', () => process.exit(0));
// Booted: the pool hands this worker jobs from now on.
process.send?.({ ready: true, cpuMs: cpuMs() });
