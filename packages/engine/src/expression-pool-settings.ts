/** The expression pool's settings as the services take them from their environment. */
import { z } from 'zod';
import type { ExpressionPoolOptions } from './expression-pool.ts';

const MB = 1_000_000;

/**
 * The settings every SWARM process that evaluates expressions takes (API and runner), for its
 * `env.ts` to include: one definition of the names, defaults and bounds.
 */
export const expressionPoolEnv = {
  /** Most worker processes (default: cores, 2 to 8). */
  EXPRESSION_WORKERS: z.coerce.number().int().min(1).max(64).optional(),
  /** Heap of one worker in MB. */
  EXPRESSION_HEAP_MB: z.coerce.number().int().min(16).max(8192).default(96),
  /** Wall-clock limit of one evaluation; the worker is ended 250 ms past it. */
  EXPRESSION_TIMEOUT_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
  /** Evaluations that may wait for a worker before new ones are refused. */
  EXPRESSION_QUEUE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  /** Largest data in and result out of one evaluation, as JSON bytes. */
  EXPRESSION_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(1_000_000_000)
    .default(10 * MB),
};

const expressionPoolEnvSchema = z.object(expressionPoolEnv);
type ExpressionPoolEnv = z.output<typeof expressionPoolEnvSchema>;

export function expressionPoolOptions(env: ExpressionPoolEnv): ExpressionPoolOptions {
  return {
    workers: env.EXPRESSION_WORKERS,
    heapMb: env.EXPRESSION_HEAP_MB,
    maxQueue: env.EXPRESSION_QUEUE_LIMIT,
    maxInputBytes: env.EXPRESSION_MAX_BYTES,
    maxOutputBytes: env.EXPRESSION_MAX_BYTES,
    limits: { timeoutMs: env.EXPRESSION_TIMEOUT_MS },
  };
}
