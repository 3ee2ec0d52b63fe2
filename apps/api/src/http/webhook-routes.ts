/**
 * The public webhook endpoints: `POST /webhooks/:webhookId` (signed: Standard Webhooks or the
 * simple `x-webhook-signature`; or, for a sender preset, the way GitHub, Stripe, Slack or Shopify
 * sign) and `POST /webhooks/:webhookId/:secret` (url-secret mode). No
 * session or token: the secret is the credential, and a webhook is never matched on its path
 * alone — each mode only answers on its own route, with its proof.
 *
 * Order of checks, and why:
 * 1. unknown or disabled → 404, the same bytes after the same work: one read that finds no enabled
 *    webhook, nothing cached, nothing logged — so neither the answer nor its timing tells a prober
 *    whether the id exists (a disabled webhook's calls are therefore not in its log);
 * 2. IP allowlist → 403;
 * 3. signature / url secret → 401, no run; a sender preset's handshake (Slack's `url_verification`)
 *    → 200 with its challenge, and an event outside the webhook's event filter → 200 `ignored`,
 *    both logged, neither starting a run;
 * 4. a repeated accepted delivery id (`webhook-id`, or the preset's: `X-GitHub-Delivery`, the
 *    Stripe event id, Slack's `event_id`, `X-Shopify-Webhook-Id`) → 200 with the first run (before the rate limit, so a
 *    sender's retries of a delivered message are answered, not throttled);
 * 5. rate limit per webhook, counted in Postgres (every API instance shares it), for authenticated
 *    calls only (so strangers cannot exhaust it) → 429 with Retry-After;
 * 6. body, mapping and the run checks → 400 before any run exists; else 202 `{ executionId }`,
 *    or with `?wait=N` (1–30 s) 200 `{ executionId, status, output, error }` if the run ended by then.
 *
 * Bodies are read raw (a parser scoped to this plugin) so signatures are checked over the exact
 * bytes sent; the body limit (WEBHOOK_BODY_LIMIT_BYTES) answers 413.
 */
import { DATABASE_UNAVAILABLE_MESSAGE, isDatabaseUnavailable } from '@swarm/api-router';
import {
  type Db,
  findEnabledWebhookForCall,
  type InvalidationFeed,
  isWebhookSenderPreset,
  type RunEventFeed,
  type RunQueue,
  WEBHOOK_INVALIDATION_TOPIC,
  type WebhookForCall,
  type WebhookOutcome,
} from '@swarm/db';
import type { NodeRegistry } from '@swarm/engine';
import type { ExpressionPool } from '@swarm/engine/server';
import type { SecretKeyring } from '@swarm/providers/store';
import {
  callLogBase,
  checkSenderCall,
  createWebhookAcceptor,
  createWebhookSecretMemo,
  headerValue,
  isIpAllowed,
  logWebhookCall,
  runWebhookCall,
  verifyUrlSecret,
  verifyWebhookSignature,
  type WebhookServices,
  waitForRunEnd,
} from '@swarm/webhooks';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { sendDatabaseUnavailable } from './unavailable.ts';

/** Default largest webhook body; larger ones get 413. */
export const DEFAULT_WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;
/** The rate limit's window: limits are per hour. */
const RATE_WINDOW_SECONDS = 3600;
const MAX_WAIT_SECONDS = 30;
const MAX_MESSAGE_ID_LENGTH = 256;
/** How long a webhook read for a call is reused when no change notice dropped it earlier. */
const WEBHOOK_CACHE_TTL_MS = 30_000;
const NOT_FOUND = { error: 'Not found' } as const;

export interface WebhookRouteDeps {
  db: Db;
  runs: RunQueue;
  runEvents: RunEventFeed;
  /** Caches webhooks between calls (writers announce changes); absent: read on every call. */
  invalidations?: InvalidationFeed | undefined;
  nodeRegistry: NodeRegistry;
  /** Where mappings are evaluated (the API's expression pool). */
  expressions: ExpressionPool;
  secretKeys: SecretKeyring | null;
  logger: Logger;
  bodyLimitBytes?: number | undefined;
  /**
   * A stopped clock (ms since the epoch) from a test: signature timestamps, secret grace periods,
   * Retry-After and the rate-limit windows follow it. Unset: real time, and the rate-limit windows
   * follow the database clock, which every API instance shares.
   */
  now?: (() => number) | undefined;
}

const uuid = z.uuid();
const waitQuery = z.coerce.number().int().min(1).max(MAX_WAIT_SECONDS);

interface Params {
  webhookId: string;
  secret?: string;
}

/** Seconds until the current fixed window ends (the windows are aligned to the epoch, like `hitRateLimit`'s). */
function retryAfterSeconds(nowMs: number): number {
  const now = nowMs / 1000;
  return Math.max(1, Math.ceil(RATE_WINDOW_SECONDS - (now % RATE_WINDOW_SECONDS)));
}

function queryOf(req: FastifyRequest): Record<string, unknown> {
  return { ...((req.query as Record<string, unknown> | undefined) ?? {}) };
}

export const webhookRoutes: FastifyPluginAsync<WebhookRouteDeps> = async (scope, deps) => {
  const now = deps.now ?? Date.now;
  const bodyLimit = deps.bodyLimitBytes ?? DEFAULT_WEBHOOK_BODY_LIMIT_BYTES;
  const log = deps.logger.child({ component: 'webhooks' });
  const services: WebhookServices = {
    db: deps.db,
    runs: deps.runs,
    nodeRegistry: deps.nodeRegistry,
    expressions: deps.expressions,
    log,
    // Concurrent deliveries share their transactions (group commit).
    acceptor: createWebhookAcceptor(deps.db, deps.runs, log),
  };

  // Every delivery needs its webhook (secrets, settings); a read per call would be a commit per call.
  // Only enabled webhooks are read (and so cached): a disabled one is the same miss as an unknown id.
  const cached = deps.invalidations?.cache(WEBHOOK_INVALIDATION_TOPIC, {
    ttlMs: WEBHOOK_CACHE_TTL_MS,
    load: (id) => findEnabledWebhookForCall(deps.db, id),
  });
  async function webhookForCall(id: string): Promise<WebhookForCall | null> {
    if (!cached) return findEnabledWebhookForCall(deps.db, id);
    const webhook = await cached.get(id);
    // Misses are not kept: strangers probing ids would only fill the cache.
    if (!webhook) cached.invalidate(id);
    return webhook;
  }

  // Every body stays raw bytes here, whatever its type: the signature covers exactly these bytes.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  // Too large (or unreadable) bodies fail before the handler: answer and log them here.
  scope.setErrorHandler(async (error: FastifyError, req, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) {
      const webhookId = (req.params as Params | undefined)?.webhookId;
      const webhook =
        webhookId && uuid.safeParse(webhookId).success
          ? await findEnabledWebhookForCall(deps.db, webhookId).catch(() => null)
          : null;
      if (webhook)
        await logWebhookCall(services, {
          ...callLogBase(baseOf(req, Buffer.alloc(0), webhook.id)),
          outcome: 'too-large',
          status: 413,
          error: `body larger than ${bodyLimit} bytes`,
          startedAt: performance.now() - reply.elapsedTime,
        });
      return reply.code(413).send({ error: `Payload too large: at most ${bodyLimit} bytes` });
    }
    if (status >= 400 && status < 500) return reply.code(status).send({ error: error.message });
    if (isDatabaseUnavailable(error)) {
      req.log.warn({ err: error }, 'database unavailable');
      return sendDatabaseUnavailable(reply, { error: DATABASE_UNAVAILABLE_MESSAGE });
    }
    req.log.error({ err: error }, 'webhook route failed');
    return reply
      .code(500)
      .send({ error: 'Something went wrong on our side; the details are in the server log.' });
  });

  function baseOf(req: FastifyRequest, body: Buffer, webhookId: string) {
    return {
      webhookId,
      source: 'http' as const,
      body,
      headers: req.headers,
      messageId: null as string | null,
      ip: req.ip,
      startedAt: performance.now(),
    };
  }

  async function handle(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply, viaUrlSecret: boolean) {
    const startedAt = performance.now() - reply.elapsedTime;
    const webhookId = req.params.webhookId;
    if (!uuid.safeParse(webhookId).success) return reply.code(404).send(NOT_FOUND);
    // Unknown and disabled alike (see the header): nothing else happens for either.
    const webhook = await webhookForCall(webhookId);
    if (!webhook) return reply.code(404).send(NOT_FOUND);

    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let rawMessageId = headerValue(req.headers, 'webhook-id')?.trim() || null;
    let messageIdPath = 'headers.webhook-id';
    let event: string | null = null;
    const secrets = secretsOf(webhook);
    const logBase = () =>
      callLogBase({
        ...baseOf(req, body, webhook.id),
        messageId: rawMessageId,
        event,
        secrets: secrets ?? undefined,
      });
    const refuse = async (outcome: WebhookOutcome, status: number, answer: object, error: string) => {
      await logWebhookCall(services, { ...logBase(), outcome, status, error, startedAt });
      return reply.code(status).send(answer);
    };

    if (!isIpAllowed(req.ip, webhook.ipAllowlist))
      return refuse('forbidden-ip', 403, { error: 'Forbidden' }, `${req.ip} is not in the IP allowlist`);

    if (!secrets) {
      return refuse(
        'error',
        503,
        { error: 'Webhooks are unavailable on this server right now.' },
        'the webhook secret cannot be decrypted: SWARM_SECRET_KEY (or the key it was stored with) is not configured',
      );
    }
    // Each mode answers only on its own route: a signed webhook never accepts a path secret, and a
    // url-secret webhook never answers without one.
    if (viaUrlSecret) {
      if (webhook.auth !== 'url-secret' || !verifyUrlSecret(req.params.secret, secrets))
        return refuse(
          'rejected-signature',
          401,
          { error: 'Unauthorized' },
          'wrong or missing secret in the URL',
        );
    } else if (isWebhookSenderPreset(webhook.auth)) {
      const check = checkSenderCall(webhook.auth, {
        headers: req.headers,
        body,
        secrets,
        eventFilter: webhook.eventFilter,
        nowSeconds: Math.floor(now() / 1000),
      });
      if (check.kind === 'rejected')
        return refuse(
          'rejected-signature',
          401,
          { error: `Invalid signature: ${check.reason}` },
          check.reason,
        );
      // From here on the call is the sender's: its own delivery id and event replace `webhook-id`.
      rawMessageId = check.delivery.deliveryId;
      messageIdPath = check.delivery.deliveryIdPath;
      event = check.delivery.event;
      if (check.kind === 'challenge') {
        await logWebhookCall(services, { ...logBase(), outcome: 'challenge', status: 200, startedAt });
        return reply.code(200).send({ challenge: check.challenge });
      }
      if (check.kind === 'ignored') {
        await logWebhookCall(services, {
          ...logBase(),
          outcome: 'ignored',
          status: 200,
          error: `event ${event ?? '(none)'} is not in the webhook's event filter`,
          startedAt,
        });
        return reply.code(200).send({ ignored: true, event });
      }
    } else if (webhook.auth !== 'signature') {
      return refuse(
        'rejected-signature',
        401,
        { error: 'Unauthorized' },
        'this webhook takes its secret in the URL',
      );
    } else {
      const check = verifyWebhookSignature({
        headers: req.headers,
        body,
        secrets,
        nowSeconds: Math.floor(now() / 1000),
      });
      if (!check.ok)
        return refuse(
          'rejected-signature',
          401,
          { error: `Invalid signature: ${check.reason}` },
          check.reason,
        );
    }

    const waitRaw = queryOf(req).wait;
    let waitSeconds: number | null = null;
    if (waitRaw !== undefined) {
      const parsed = waitQuery.safeParse(waitRaw);
      if (!parsed.success) {
        const message = `wait must be a whole number of seconds from 1 to ${MAX_WAIT_SECONDS}`;
        return refuse(
          'invalid-input',
          400,
          { error: message, issues: [{ path: 'query.wait', message }] },
          message,
        );
      }
      waitSeconds = parsed.data;
    }
    if (rawMessageId && rawMessageId.length > MAX_MESSAGE_ID_LENGTH) {
      const message = `${messageIdPath.replace(/^headers\./, '')} is longer than ${MAX_MESSAGE_ID_LENGTH} characters`;
      return refuse(
        'invalid-input',
        400,
        { error: message, issues: [{ path: messageIdPath, message }] },
        message,
      );
    }

    // The duplicate check (4), the rate limit (5) and the run (6) happen in one transaction.
    const result = await runWebhookCall(services, {
      webhook,
      source: 'http',
      body,
      headers: req.headers,
      query: queryOf(req),
      messageId: rawMessageId,
      event,
      ip: req.ip,
      startedAt,
      secrets,
      rateLimit: {
        key: `webhook:${webhook.id}`,
        windowSeconds: RATE_WINDOW_SECONDS,
        limit: webhook.rateLimitPerHour,
        at: deps.now ? new Date(deps.now()) : undefined,
      },
    });
    if (result.kind === 'rate-limited') {
      const retryAfter = retryAfterSeconds(now());
      reply.header('retry-after', String(retryAfter));
      return refuse(
        'rate-limited',
        429,
        {
          error: `Rate limit of ${webhook.rateLimitPerHour} calls per hour reached; retry in ${retryAfter} s.`,
        },
        `over ${webhook.rateLimitPerHour} calls this hour`,
      );
    }
    if (result.kind === 'invalid')
      return reply.code(result.status).send({ error: result.message, issues: result.issues });
    if (result.kind === 'blocked') return reply.code(409).send({ error: result.message });
    if (result.kind === 'duplicate')
      return reply.code(200).send({ executionId: result.executionId, duplicate: true });
    if (waitSeconds !== null) {
      const finished = await waitForRunEnd(
        deps.db,
        deps.runEvents,
        webhook.ownerId,
        result.executionId,
        waitSeconds,
      );
      if (finished) {
        return reply.code(200).send({
          executionId: result.executionId,
          status: finished.status,
          output: finished.output ?? null,
          ...(finished.error ? { error: finished.error } : {}),
        });
      }
    }
    return reply.code(202).send({ executionId: result.executionId });
  }

  // Decrypted once per cached webhook object, not per delivery.
  const secretsFor = deps.secretKeys && createWebhookSecretMemo(deps.secretKeys);
  function secretsOf(webhook: WebhookForCall): readonly string[] | null {
    if (!secretsFor) return null;
    try {
      return secretsFor(webhook, new Date(now()));
    } catch (err) {
      services.log.error({ err, webhookId: webhook.id }, 'webhook secret could not be decrypted');
      return null;
    }
  }

  scope.post<{ Params: Params }>('/webhooks/:webhookId', { bodyLimit }, (req, reply) =>
    handle(req, reply, false),
  );
  scope.post<{ Params: Params }>('/webhooks/:webhookId/:secret', { bodyLimit }, (req, reply) =>
    handle(req, reply, true),
  );
};
