/** The runner's configuration, parsed once from the environment. Nothing else reads `process.env`. */
import { expressionPoolEnv } from '@swarm/engine/server';
import { createSecretKeyring } from '@swarm/providers/store';
import { monitoringEnv } from '@swarm/telemetry';
import { z } from 'zod';

/** An empty variable is the same as an unset one (`OPENAI_API_KEY=` in a .env file). */
const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).optional());
const optionalUrl = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
);

/** `true`/`false`/`1`/`0`, unset → the default. */
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
    .transform((v) => v === 'true' || v === '1')
    .default(fallback);

/** `a, b,c` → ['a', 'b', 'c']; unset or empty → undefined. */
const commaList = z.preprocess(
  (v) =>
    typeof v === 'string' && v.trim() !== ''
      ? v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined,
  z.array(z.string().min(1)).optional(),
);

export const runnerEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: z.string().url('must be a postgres:// URL'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Connections this runner's queue client may hold; count them against `max_connections`. */
    RUNNER_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(5),
    /** How long SIGTERM waits for in-flight work before giving up, in seconds. */
    RUNNER_DRAIN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
    /** Workflow runs this runner executes at once: mostly waiting on providers, so many fit. */
    RUNNER_RUN_CONCURRENCY: z.coerce.number().int().min(1).max(200).default(32),
    /** Idle poll interval of queue workers, in seconds; NOTIFY wakes them at once anyway. */
    RUNNER_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
    /**
     * How long a step without side effects (and a step's `running` marker) may wait to be written
     * together with later changes, in ms; paid steps are always written at once. 0 writes each
     * change on its own (more commits and NOTIFYs per run).
     */
    RUNNER_STEP_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(150),
    /**
     * How often queue supervision runs, in seconds. A runner that dies mid-run stops heartbeating;
     * its run resumes on another runner about 10 s (the heartbeat) plus this later.
     */
    RUNNER_SUPERVISE_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
    /**
     * How many times a run may be claimed without finishing (its runner died, froze past the
     * heartbeat or was drained past its grace) before the next claim fails it as abandoned instead
     * of handing it to yet another runner. The same bound applies to a schedule occurrence whose
     * firing never commits.
     */
    RUNNER_MAX_RUN_CLAIMS: z.coerce.number().int().min(1).max(100).default(3),
    /**
     * Fire cron schedules from this runner (default true). Any number of runners may; each
     * occurrence fires once. Set false for runners that should only execute runs.
     */
    RUNNER_SCHEDULER: z
      .enum(['true', 'false', '1', '0'])
      .transform((v) => v === 'true' || v === '1')
      .default(true),
    /**
     * How many days an accepted webhook call's delivery key (`webhook-id`) is remembered: a sender's
     * retry within this is answered with the first run, a later one starts a new run. The hourly
     * maintenance job forgets older keys; the call log's own pruning never touches them.
     */
    WEBHOOK_IDEMPOTENCY_DAYS: z.coerce.number().int().min(1).max(365).default(7),
    /**
     * Where notification emails go out: `smtp://user:password@host:587` (STARTTLS when offered) or
     * `smtps://…:465`. Unset: email channels fail their deliveries saying so. Never logged.
     */
    SMTP_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional(),
    ),
    /** The From of notification emails. */
    SMTP_FROM: z.string().trim().min(3).default('SWARM <swarm@localhost>'),
    /** Where the web app is served, for links in notifications (the API's value). */
    SWARM_PUBLIC_URL: optionalUrl,
    /** Third-party node type packages, comma-separated; the same list the API loads. */
    SWARM_NODE_PACKAGES: commaList,
    ...expressionPoolEnv,
    ...monitoringEnv,
    /** Serve Prometheus metrics at `/metrics` on this port (0: any free port, logged); unset: off. */
    RUNNER_METRICS_PORT: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.coerce.number().int().min(0).max(65_535).optional(),
    ),
    /** The metrics port's bind address; `0.0.0.0` for a Prometheus on another host. */
    RUNNER_METRICS_HOST: z.string().trim().min(1).default('127.0.0.1'),
    /**
     * The `http` node refuses private, loopback and link-local addresses (after DNS resolution).
     * Self-hosters who must reach internal services allow CIDR ranges here (`10.0.0.0/8,…`), or
     * everything with HTTP_NODE_ALLOW_PRIVATE_NETWORKS=true.
     */
    HTTP_NODE_ALLOWED_PRIVATE_RANGES: commaList,
    HTTP_NODE_ALLOW_PRIVATE_NETWORKS: z
      .enum(['true', 'false', '1', '0'])
      .transform((v) => v === 'true' || v === '1')
      .default(false),
    /**
     * Users' OpenAI-compatible base URLs pass the same address guard as the `http` node: private
     * ranges an operator allows (`127.0.0.1/32` for a local Ollama), or all of them with the flag.
     * Set the same values on the API, which checks the URL when it is saved.
     */
    OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES: commaList,
    OPENAI_COMPATIBLE_ALLOW_PRIVATE_NETWORKS: z
      .enum(['true', 'false', '1', '0'])
      .transform((v) => v === 'true' || v === '1')
      .default(false),
    /**
     * Decrypts the provider keys users store (base64, 32 bytes; the API's value). Required in
     * production; without it, a run that needs a stored key fails naming this setting.
     */
    SWARM_SECRET_KEY: optionalText,
    /** Older keys kept for decryption during a rotation, comma-separated (docs/production.md). */
    SWARM_SECRET_KEYS: optionalText,
    /** The operator's provider keys, used for owners who stored none. */
    OPENAI_API_KEY: optionalText,
    ANTHROPIC_API_KEY: optionalText,
    GEMINI_API_KEY: optionalText,
    /** Gateways or proxies in front of the providers (operator-configured, so not SSRF-guarded). */
    OPENAI_BASE_URL: optionalUrl,
    ANTHROPIC_BASE_URL: optionalUrl,
    GEMINI_BASE_URL: optionalUrl,
    /**
     * Ask the provider (or the gateway at its base URL) for streamed answers (default true). Set
     * false for a gateway that can't stream; a JSON answer to a streamed request is read anyway.
     */
    OPENAI_STREAM: flag(true),
    ANTHROPIC_STREAM: flag(true),
    GEMINI_STREAM: flag(true),
  })
  .superRefine((env, ctx) => {
    try {
      const keyring = createSecretKeyring({ current: env.SWARM_SECRET_KEY, others: env.SWARM_SECRET_KEYS });
      if (!keyring && env.NODE_ENV === 'production') {
        ctx.addIssue({
          code: 'custom',
          path: ['SWARM_SECRET_KEY'],
          message:
            'required in production: the base64 32-byte key that encrypts stored provider keys (the same value as the API); generate one with `openssl rand -base64 32`',
        });
      }
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: ['SWARM_SECRET_KEY'], message: (error as Error).message });
    }
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
