/** The API's configuration, parsed once from the environment. Nothing else reads `process.env`. */
import { z } from 'zod';

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const apiEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: z.string().url('must be a postgres:// URL'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Largest accepted request body; bigger ones are answered 413. */
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024),
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /** Behind a load balancer, trust its X-Forwarded-For so rate limits see client addresses. */
  TRUST_PROXY: booleanFlag.default(false),
  /** Built web app to serve on the same port (apps/web/dist); unset = API only. */
  WEB_DIST_DIR: z.string().optional(),
  /** Pool size per API process; count it against Postgres `max_connections`. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
});

export type ApiEnv = z.output<typeof apiEnvSchema>;

export function parseApiEnv(source: Record<string, string | undefined>): ApiEnv {
  const parsed = apiEnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid API configuration:\n${problems}`);
  }
  return parsed.data;
}
