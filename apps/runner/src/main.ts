/** The runner process: parse configuration, start, and drain on SIGTERM/SIGINT. */
import { redactingLoggerOptions } from '@swarm/engine';
import { createNodeRegistry, expressionPoolOptions, loadNodePackages } from '@swarm/engine/server';
import { createSecretKeyring } from '@swarm/providers/store';
import { tracingOptionsFromEnv } from '@swarm/telemetry';
import pino from 'pino';
import { parseRunnerEnv } from './env.ts';
import { compatibleGuardFromEnv, createLlmClient, llmProvidersFromEnv } from './llm.ts';
import { createRunner } from './runner.ts';

const env = parseRunnerEnv(process.env);
// Every log line passes the redactor (credential shapes; keys this process knows, by value).
const { options: logOptions, redactor } = redactingLoggerOptions({
  service: 'runner',
  base: { pid: process.pid },
  level: env.LOG_LEVEL,
  secretKey: env.SWARM_SECRET_KEY,
  secretKeys: env.SWARM_SECRET_KEYS,
});
// The SMTP URL carries a password: redacted by value from every line, like the keys.
if (env.SMTP_URL) redactor.remember(env.SMTP_URL, decodeURIComponent(new URL(env.SMTP_URL).password));
const logger = pino(logOptions);
const secretKeys = createSecretKeyring({ current: env.SWARM_SECRET_KEY, others: env.SWARM_SECRET_KEYS });
// The same node types as the API (built-ins plus SWARM_NODE_PACKAGES), resolved from this app.
const registry = createNodeRegistry(
  await loadNodePackages(env.SWARM_NODE_PACKAGES ?? [], { importPackage: (name) => import(name) }),
);
const runner = createRunner({
  registry,
  http: {
    allowPrivateNetworks: env.HTTP_NODE_ALLOW_PRIVATE_NETWORKS,
    allowedPrivateRanges: env.HTTP_NODE_ALLOWED_PRIVATE_RANGES,
  },
  expressionPool: expressionPoolOptions(env),
  databaseUrl: env.DATABASE_URL,
  logger,
  poolSize: env.RUNNER_POOL_SIZE,
  drainSeconds: env.RUNNER_DRAIN_SECONDS,
  runConcurrency: env.RUNNER_RUN_CONCURRENCY,
  pollSeconds: env.RUNNER_POLL_SECONDS,
  stepFlushMs: env.RUNNER_STEP_FLUSH_MS,
  superviseSeconds: env.RUNNER_SUPERVISE_SECONDS,
  maxRunClaims: env.RUNNER_MAX_RUN_CLAIMS,
  scheduler: env.RUNNER_SCHEDULER,
  metrics:
    env.RUNNER_METRICS_PORT === undefined
      ? undefined
      : { port: env.RUNNER_METRICS_PORT, host: env.RUNNER_METRICS_HOST, token: env.METRICS_TOKEN },
  tracing: tracingOptionsFromEnv(env, 'swarm-runner') ?? undefined,
  notifications: {
    secretKeys,
    smtpUrl: env.SMTP_URL,
    smtpFrom: env.SMTP_FROM,
    publicUrl: env.SWARM_PUBLIC_URL,
  },
  maintenance: { webhookIdempotencyMs: env.WEBHOOK_IDEMPOTENCY_DAYS * 24 * 60 * 60 * 1000 },
  createLlm: ({ db, logger: log, invalidation }) =>
    createLlmClient({
      db,
      logger: log,
      secretKeys,
      providers: llmProvidersFromEnv(env),
      compatibleGuard: compatibleGuardFromEnv(env),
      invalidation,
      redactor,
    }),
});
await runner.start();

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await runner.stop();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
