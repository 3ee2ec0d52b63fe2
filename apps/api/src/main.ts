/** The API process: parse configuration, connect, serve, and drain on SIGTERM/SIGINT. */
import v8 from 'node:v8';
import { connectDatabase } from '@swarm/db';
import { redactingLoggerOptions } from '@swarm/engine';
import { expressionPoolOptions } from '@swarm/engine/server';
import { createSecretKeyring } from '@swarm/providers/store';
import pino from 'pino';
import { parseApiEnv, providerAdminEmails } from './env.ts';
import { buildApiServer } from './server.ts';

const env = parseApiEnv(process.env);
// V8's own growth factor (~2.3× for the API) leaves the old generation less room than the young
// generation's size, and V8 then starts marking again right after every full collection: at B2's
// half load 0–4 full collections per 10 s, each holding webhook calls up for ~40 ms, however
// little is promoted. V8 reads the factor each time it sets the next limit, so setting it here, at
// start, covers the process (docs/performance.md, "What changed on 2026-12-06, afternoon").
if (env.HEAP_GROWING_PERCENT > 0) v8.setFlagsFromString(`--heap-growing-percent=${env.HEAP_GROWING_PERCENT}`);
// Every log line passes the redactor (credential shapes; the secret-encryption keys by value).
const logger = pino(
  redactingLoggerOptions({
    service: 'api',
    level: env.LOG_LEVEL,
    secretKey: env.SWARM_SECRET_KEY,
    secretKeys: env.SWARM_SECRET_KEYS,
  }).options,
);
const database = connectDatabase(env.DATABASE_URL, { max: env.DATABASE_POOL_SIZE });
const app = await buildApiServer({
  database,
  logger,
  bodyLimitBytes: env.BODY_LIMIT_BYTES,
  trustProxy: env.TRUST_PROXY,
  secureCookies: env.NODE_ENV === 'production',
  webDistDir: env.WEB_DIST_DIR,
  authLimits: { sessionTtlDays: env.SESSION_TTL_DAYS },
  secretKeys: createSecretKeyring({ current: env.SWARM_SECRET_KEY, others: env.SWARM_SECRET_KEYS }),
  providerAdminEmails: providerAdminEmails(env),
  nodePackages: env.SWARM_NODE_PACKAGES,
  publicUrl: env.SWARM_PUBLIC_URL,
  webhookBodyLimitBytes: env.WEBHOOK_BODY_LIMIT_BYTES,
  expressionPool: expressionPoolOptions(env),
  allowedOrigins: env.SWARM_ALLOWED_ORIGINS,
  metricsToken: env.METRICS_TOKEN,
  compatibleGuard: {
    allowPrivateNetworks: env.OPENAI_COMPATIBLE_ALLOW_PRIVATE_NETWORKS,
    allowedPrivateRanges: env.OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES,
  },
});
await app.listen({ host: env.HOST, port: env.PORT });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down: finishing in-flight requests');
  await app.close();
  await database.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
