/**
 * The API's HTTP server: Fastify with tRPC at /trpc, /healthz, body limits, and (optionally) the
 * built web app on the same port. `buildApiServer` wires it from parts; `startApiServer` is the
 * one-call version tests and scripts use.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import {
  type AppRouter,
  type AuthLimits,
  appRouter,
  type Context,
  createAuthService,
  DATABASE_RETRY_AFTER_SECONDS,
  defaultAuthLimits,
  isDatabaseUnavailable,
} from '@swarm/api-router';
import {
  connectDatabase,
  createInvalidationFeed,
  createJobSender,
  createRunEventFeed,
  createRunStarter,
  createRunWakeup,
  type Database,
  type RunQueue,
  readMonitoringSnapshot,
} from '@swarm/db';
import { jsonTextDepth, redactingLoggerOptions } from '@swarm/engine';
import {
  createExpressionPool,
  createNodeRegistry,
  type EndpointGuard,
  type ExpressionPoolOptions,
  loadNodePackages,
} from '@swarm/engine/server';
import { createSecretKeyring, type SecretKeyring } from '@swarm/providers/store';
import { answerMetrics, createMetrics } from '@swarm/telemetry';
import { redactWebhookPath } from '@swarm/webhooks';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import pino, { type Logger } from 'pino';
import { clearSessionCookie, requestToken, setSessionCookie } from './auth/cookies.ts';
import { csrfGuard } from './auth/csrf.ts';
import { analyticsRoutes } from './http/analytics-routes.ts';
import { transferRoutes } from './http/transfer-routes.ts';
import { sendDatabaseUnavailable } from './http/unavailable.ts';
import { webhookRoutes } from './http/webhook-routes.ts';

/** Far deeper than any honest request; stops hostile nesting before any recursive code sees it. */
const MAX_REQUEST_JSON_DEPTH = 256;
const PROTO_KEY = /"__proto__"\s*:/;
const TRPC_PREFIX = '/trpc';
/**
 * The longest route parameter Fastify routes (default 100, then 414). tRPC's `/trpc/:path` carries
 * a batch's procedure names joined by commas, so five queries of one page exceed 100; the clients
 * keep whole URLs under 2,000 characters (`maxURLLength` on their batch links), well inside this.
 */
const MAX_PARAM_LENGTH = 4_096;

export interface ApiServerOptions {
  database: Database;
  logger: Logger;
  bodyLimitBytes: number;
  trustProxy: boolean;
  secureCookies: boolean;
  webDistDir?: string | undefined;
  authLimits?: Partial<AuthLimits>;
  /** Encrypts stored provider keys; null or absent: storing keys is refused. */
  secretKeys?: SecretKeyring | null | undefined;
  /** Emails allowed to change pricing and the model map; null or absent: any signed-in user. */
  providerAdminEmails?: readonly string[] | null | undefined;
  /** Third-party node type packages (SWARM_NODE_PACKAGES); a package that fails to load stops the start. */
  nodePackages?: readonly string[] | undefined;
  /** How node packages are imported; defaults to resolving them from the API's dependencies. */
  importNodePackage?: ((name: string) => Promise<unknown>) | undefined;
  /** Base of the URLs shown for webhooks (SWARM_PUBLIC_URL); absent: the host the request came to. */
  publicUrl?: string | null | undefined;
  /** Largest webhook body (WEBHOOK_BODY_LIMIT_BYTES); default 1 MiB. */
  webhookBodyLimitBytes?: number | undefined;
  /** The expression pool for webhook mappings and previews (EXPRESSION_* settings). */
  expressionPool?: ExpressionPoolOptions | undefined;
  /** More origins whose pages may use the session cookie (SWARM_ALLOWED_ORIGINS); see auth/csrf.ts. */
  allowedOrigins?: readonly string[] | null | undefined;
  /** The clock (ms since the epoch) for webhook time limits; tests set it. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Bearer token `/metrics` requires (METRICS_TOKEN); absent: the endpoint is open. */
  metricsToken?: string | null | undefined;
  /** The address guard for users' OpenAI-compatible base URLs (OPENAI_COMPATIBLE_* settings). */
  compatibleGuard?: EndpointGuard | undefined;
}

/**
 * Where the server is reached, for the URLs it shows: SWARM_PUBLIC_URL when set (behind a proxy or
 * on a domain the API cannot see), else the request's protocol and host (which honour
 * X-Forwarded-* only when TRUST_PROXY is on).
 */
function publicBaseUrlOf(req: FastifyRequest, publicUrl: string | null | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  return `${req.protocol}://${req.host}`;
}

export async function buildApiServer(options: ApiServerOptions) {
  const { database, logger } = options;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimitBytes,
    maxParamLength: MAX_PARAM_LENGTH,
    trustProxy: options.trustProxy,
    // One line per request (below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const secretKeys = options.secretKeys ?? null;
  const providerAdmins = options.providerAdminEmails
    ? new Set(options.providerAdminEmails.map((email) => email.toLowerCase()))
    : null;
  const nodeRegistry = createNodeRegistry(
    await loadNodePackages(options.nodePackages ?? [], {
      importPackage: options.importNodePackage ?? ((name) => import(name)),
    }),
  );

  // Webhook mappings and previews are user JSONata: evaluated in worker processes, never here.
  const expressions = createExpressionPool(options.expressionPool);
  app.addHook('onClose', async () => expressions.close());

  // Runs are enqueued in the transaction that writes their row: pg-boss, send-only, over this pool.
  const queue = createJobSender(database, { onError: (err) => logger.error({ err }, 'queue error') });
  await queue.start();
  // One LISTEN connection serves every live-run subscription of this process.
  const runEvents = createRunEventFeed(database.sql, {
    onError: (err) => logger.error({ err }, 'run event listener failed'),
  });
  await runEvents.start();
  // Caches of rarely changing rows (token lookups, webhooks), dropped in every process by the writers.
  const invalidations = createInvalidationFeed(database.sql, {
    onError: (err) => logger.error({ err }, 'invalidation listener failed'),
  });
  await invalidations.start();
  const auth = createAuthService(
    database.db,
    { ...defaultAuthLimits, ...options.authLimits },
    { invalidations },
  );
  // The `run` queue does not NOTIFY per job: runs created here wake runners through this, coalesced.
  const runs: RunQueue = {
    jobs: queue.sender,
    wakeup: createRunWakeup(database.sql, {
      onError: (err) => logger.warn({ err }, 'run wake-up failed; runners will poll'),
    }),
  };
  const runStarter = createRunStarter(database.db, runs, (err, size) =>
    logger.warn({ err, runs: size }, 'a batch of run starts failed; starting them one by one'),
  );
  // Open subscriptions end first: a live SSE stream would otherwise hold `close` up.
  app.addHook('preClose', async () => runEvents.stop());
  app.addHook('onClose', async () => {
    await runs.wakeup?.flush();
    await invalidations.stop();
    await queue.stop();
  });

  await app.register(cookie);
  const now = options.now ?? Date.now;

  // Before any route is registered, so every route inherits it; it runs before bodies are read.
  app.addHook(
    'onRequest',
    csrfGuard({
      publicUrl: options.publicUrl,
      allowedOrigins: options.allowedOrigins,
      trpcRouter: appRouter,
      trpcPrefix: TRPC_PREFIX,
    }),
  );

  // tRPC takes JSON bodies as raw strings; look at them once before anything parses them.
  app.addHook('preHandler', async (req, reply) => {
    if (typeof req.body !== 'string') return;
    if (jsonTextDepth(req.body) > MAX_REQUEST_JSON_DEPTH || PROTO_KEY.test(req.body)) {
      return reply.code(400).send({
        error: {
          message: 'Request body is nested too deeply or uses a forbidden "__proto__" key.',
          code: -32600,
          data: { code: 'BAD_REQUEST', httpStatus: 400, issues: null },
        },
      });
    }
  });

  // Prometheus metrics of this instance; fleet-wide gauges are read from Postgres once per scrape.
  const metrics = createMetrics({
    service: 'api',
    readSnapshot: () => readMonitoringSnapshot(database.db),
    poolStats: database.poolStats,
    onSnapshotError: (err) => logger.warn({ err }, 'could not read the monitoring snapshot'),
  });
  app.get('/metrics', async (req, reply) => {
    const answer = await answerMetrics(metrics, req.headers.authorization, options.metricsToken);
    return reply.code(answer.status).type(answer.contentType).send(answer.body);
  });

  app.addHook('onResponse', async (req, reply) => {
    if (req.url.startsWith('/webhooks/')) metrics.webhookCall(reply.statusCode);
    if (req.url === '/healthz' || req.url === '/metrics') return;
    req.log.info(
      {
        method: req.method,
        // A url-secret webhook's path holds its secret: never logged.
        url: redactWebhookPath(req.url.split('?')[0] ?? ''),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  // Routes without an error path of their own: a database outage is a 503 to retry, not a 500.
  app.setErrorHandler((error, req, reply) => {
    if (isDatabaseUnavailable(error)) {
      req.log.warn({ err: error }, 'database unavailable');
      return sendDatabaseUnavailable(reply);
    }
    return reply.send(error);
  });

  // Liveness only: answers while the database is down (the `health` procedure reports it).
  app.get('/healthz', async () => ({ ok: true }));
  await app.register(transferRoutes, { db: database.db, auth, nodeRegistry, secretKeys });
  await app.register(analyticsRoutes, { db: database.db, auth });
  await app.register(webhookRoutes, {
    db: database.db,
    runs,
    runEvents,
    invalidations,
    nodeRegistry,
    expressions,
    secretKeys,
    logger,
    bodyLimitBytes: options.webhookBodyLimitBytes,
    now: options.now,
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: TRPC_PREFIX,
    trpcOptions: {
      router: appRouter,
      async createContext({ req, res }): Promise<Context> {
        const token = requestToken(req);
        const resolved = token ? await auth.resolveToken(token) : null;
        return {
          db: database.db,
          database,
          auth,
          log: req.log as Logger,
          user: resolved?.user ?? null,
          sessionTokenHash: resolved?.sessionTokenHash ?? null,
          ip: req.ip,
          publicBaseUrl: publicBaseUrlOf(req, options.publicUrl),
          sessionCookie: sessionCookieJar(res, options.secureCookies),
          secretKeys,
          compatibleGuard: options.compatibleGuard,
          providerAdmins,
          nodeRegistry,
          expressions,
          runs,
          runStarter,
          runEvents,
          invalidations,
          now,
        };
      },
      // The error formatter turns a database outage into 503; tell clients when to retry.
      responseMeta({ errors }) {
        return errors.some(isDatabaseUnavailable)
          ? { headers: { 'retry-after': String(DATABASE_RETRY_AFTER_SECONDS) } }
          : {};
      },
      onError({ error, path, ctx }) {
        if (isDatabaseUnavailable(error)) {
          (ctx?.log ?? logger).warn({ err: error.cause ?? error, path }, 'database unavailable');
        } else if (error.code === 'INTERNAL_SERVER_ERROR') {
          (ctx?.log ?? logger).error({ err: error.cause ?? error, path }, 'procedure failed');
        }
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  if (options.webDistDir && existsSync(path.join(options.webDistDir, 'index.html'))) {
    await app.register(fastifyStatic, {
      root: path.resolve(options.webDistDir),
      wildcard: false,
      // Vite names everything under /assets by its content hash: cache it for good, so a page load
      // does not revalidate every chunk. index.html (and other unhashed files) revalidate.
      setHeaders(reply, filePath) {
        if (filePath.includes(`${path.sep}assets${path.sep}`))
          reply.header('cache-control', 'public, max-age=31536000, immutable');
      },
    });
    // Client-side routes (/workflows/…) all load the single-page app.
    app.setNotFoundHandler((req, reply) => {
      const isPage = req.method === 'GET' && !/^\/(trpc|api|webhooks|healthz)(\/|$)/.test(req.url);
      if (isPage) return reply.sendFile('index.html');
      return reply.code(404).send({ error: 'Not found' });
    });
  }
  return app;
}

/** The session cookie of one response, the way this server sets it (see `auth/cookies.ts`). */
function sessionCookieJar(res: FastifyReply, secure: boolean): Context['sessionCookie'] {
  return {
    set: (token, expiresAt) => setSessionCookie(res, token, expiresAt, secure),
    clear: () => clearSessionCookie(res, secure),
  };
}

export interface StartApiServerOptions {
  databaseUrl: string;
  /** The address guard for OpenAI-compatible base URLs (tests allow ranges, inject `resolveHost`). */
  compatibleGuard?: EndpointGuard | undefined;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  webDistDir?: string;
  logLevel?: pino.Level | 'silent';
  bodyLimitBytes?: number;
  authLimits?: Partial<AuthLimits>;
  /** base64 32-byte key encrypting stored provider keys (tests: `generateSecretKey()`); unset: refused. */
  secretKey?: string;
  /** Emails allowed to change pricing and the model map; unset: any signed-in user. */
  providerAdminEmails?: string[];
  /** Replaces the server's own logger (tests capture log lines with a pino destination). */
  logger?: Logger;
  nodePackages?: string[];
  importNodePackage?: (name: string) => Promise<unknown>;
  publicUrl?: string;
  webhookBodyLimitBytes?: number;
  /** Honour X-Forwarded-For for `request.ip` (tests of the IP allowlist behind a proxy). */
  trustProxy?: boolean;
  /** Connections in the API's pool (DATABASE_POOL_SIZE in production); default 5. */
  databasePoolSize?: number;
  expressionPool?: ExpressionPoolOptions;
  /** SWARM_ALLOWED_ORIGINS. */
  allowedOrigins?: string[];
  /** The clock for webhook time limits (signature timestamps, secret grace, Retry-After). */
  now?: () => number;
  metricsToken?: string;
}

/** Starts a complete API server (own pool, own logger) and returns its URL. */
export async function startApiServer(options: StartApiServerOptions) {
  const database = connectDatabase(options.databaseUrl, { max: options.databasePoolSize ?? 5 });
  const logger =
    options.logger ??
    pino(
      redactingLoggerOptions({
        service: 'api',
        level: options.logLevel ?? 'silent',
        secretKey: options.secretKey,
      }).options,
    );
  const app = await buildApiServer({
    database,
    logger,
    bodyLimitBytes: options.bodyLimitBytes ?? 2 * 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    secureCookies: false,
    webDistDir: options.webDistDir,
    authLimits: options.authLimits,
    secretKeys: createSecretKeyring({ current: options.secretKey }),
    providerAdminEmails: options.providerAdminEmails,
    nodePackages: options.nodePackages,
    importNodePackage: options.importNodePackage,
    publicUrl: options.publicUrl,
    webhookBodyLimitBytes: options.webhookBodyLimitBytes,
    expressionPool: options.expressionPool,
    allowedOrigins: options.allowedOrigins,
    now: options.now,
    metricsToken: options.metricsToken,
    compatibleGuard: options.compatibleGuard,
  });
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    app,
    async close() {
      await app.close();
      await database.close();
    },
  };
}
