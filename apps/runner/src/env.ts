/** The runner's configuration, parsed once from the environment. Nothing else reads `process.env`. */
import { z } from 'zod';

export const runnerEnvSchema = z.object({
  DATABASE_URL: z.string().url('must be a postgres:// URL'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Connections this runner's queue client may hold; count them against `max_connections`. */
  RUNNER_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(5),
  /** How long SIGTERM waits for in-flight work before giving up, in seconds. */
  RUNNER_DRAIN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
});

export type RunnerEnv = z.output<typeof runnerEnvSchema>;

export function parseRunnerEnv(source: Record<string, string | undefined>): RunnerEnv {
  const parsed = runnerEnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid runner configuration:\n${problems}`);
  }
  return parsed.data;
}
