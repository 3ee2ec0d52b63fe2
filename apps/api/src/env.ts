/** The API's configuration, parsed once from the environment. Nothing else reads `process.env`. */
import { expressionPoolEnv } from '@swarm/engine/server';
import { createSecretKeyring } from '@swarm/providers/store';
import { monitoringEnv } from '@swarm/telemetry';
import { z } from 'zod';
import { isBareOrigin } from './auth/csrf.ts';

/** An empty variable is the same as an unset one. */
const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).optional());
/** `a, b,c` → ['a', 'b', 'c']; unset → undefined. */
const commaList = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .optional(),
);

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const apiEnvSchema = z
  .object({
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
    /**
     * How far V8 lets the old generation grow past what outlived the last full collection before
     * it collects it again, in percent (300: to 4×); 0 keeps V8's own factor (docs/configuration.md).
     */
    HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(300),
    /**
     * Encrypts the provider keys users store (AES-256-GCM; base64 of 32 random bytes, e.g.
     * `openssl rand -base64 32`); runners need the same value. Required in production; unset
     * elsewhere, storing keys is refused with a message saying so.
     */
    SWARM_SECRET_KEY: optionalText,
    /** During a key rotation: older keys, comma-separated, still used to decrypt (docs/production.md). */
    SWARM_SECRET_KEYS: optionalText,
    /**
     * Who may change the global price table and model map (they change everyone's costs and
     * fallbacks), comma-separated emails. Unset: any signed-in user outside production, nobody in it.
     */
    SWARM_ADMIN_EMAILS: commaList,
    /**
     * Users' OpenAI-compatible base URLs are refused when they lead to a private, loopback or
     * link-local address, unless allowed here (CIDR ranges, `127.0.0.1/32` for a local Ollama) or
     * by the flag; runners need the same values (they check every connection).
     */
    OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES: commaList,
    OPENAI_COMPATIBLE_ALLOW_PRIVATE_NETWORKS: booleanFlag.default(false),
    /**
     * The URL people and senders reach this server at (`https://swarm.example.com`), used in the
     * webhook URLs the API shows; unset: the host each request came to.
     */
    SWARM_PUBLIC_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.url('must be an http(s) URL').optional(),
    ),
    /**
     * More origins (`scheme://host[:port]`, comma-separated) whose pages may make cookie-signed
     * changes, besides the one each request is addressed to and SWARM_PUBLIC_URL's: a second
     * public name, or a dev server whose proxy rewrites Host. See auth/csrf.ts.
     */
    SWARM_ALLOWED_ORIGINS: commaList.pipe(
      z
        .array(
          z.string().refine(isBareOrigin, {
            message: 'must be an origin: http(s)://host[:port], without a path',
          }),
        )
        .optional(),
    ),
    /** Largest webhook body; bigger ones are answered 413. */
    WEBHOOK_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(1024 * 1024),
    /** Third-party node type packages to load, comma-separated package names. */
    SWARM_NODE_PACKAGES: commaList,
    ...expressionPoolEnv,
    /** Bearer token `/metrics` requires; unset: open. */
    METRICS_TOKEN: monitoringEnv.METRICS_TOKEN,
  })
  .superRefine((env, ctx) => {
    try {
      const keyring = createSecretKeyring({ current: env.SWARM_SECRET_KEY, others: env.SWARM_SECRET_KEYS });
      if (!keyring && env.NODE_ENV === 'production') {
        ctx.addIssue({
          code: 'custom',
          path: ['SWARM_SECRET_KEY'],
          message:
            'required in production: the base64 32-byte key that encrypts stored provider keys (runners need the same value); generate one with `openssl rand -base64 32`',
        });
      }
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['SWARM_SECRET_KEY'], message: (error as Error).message });
    }
  });

export type ApiEnv = z.output<typeof apiEnvSchema>;

/**
 * Emails allowed to write pricing and the model map; null means any signed-in user (development
 * and tests without a list). In production an unset list means nobody.
 */
export function providerAdminEmails(env: ApiEnv): string[] | null {
  if (env.SWARM_ADMIN_EMAILS) return env.SWARM_ADMIN_EMAILS.map((email) => email.toLowerCase());
  return env.NODE_ENV === 'production' ? [] : null;
}

export function parseApiEnv(source: Record<string, string | undefined>): ApiEnv {
  const parsed = apiEnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Invalid API configuration:\n${problems}`);
  }
  return parsed.data;
}
