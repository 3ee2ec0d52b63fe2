/**
 * Webhooks of a workflow: create (the secret is shown once, here and on regenerate), list (no
 * secrets: the URL, counters, settings), update, delete, secret rotation with a grace period, the
 * call log, "send test" and replay of a logged call. Tests and replays go through the same
 * pipeline as real deliveries (`@swarm/webhooks`' `runWebhookCall`), minus the signature: the owner is signed in.
 */

import { randomUUID } from 'node:crypto';
import {
  createWebhook,
  deleteWebhook,
  getWebhookForCallOf,
  getWebhookLog,
  listWebhookLogs,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
  WEBHOOK_AUTH_MODES,
  WEBHOOK_INVALIDATION_TOPIC,
  type WebhookForCall,
  type WebhookSummary,
} from '@swarm/db';
import { checkExpressionSyntax, DomainError } from '@swarm/engine';
import {
  encryptWebhookSecret,
  generateWebhookSecret,
  mapWebhookInput,
  parseCidr,
  runWebhookCall,
  validWebhookSecrets,
  WebhookPayloadError,
  type WebhookServices,
  webhookTriggerUrl,
  webhookUrl,
} from '@swarm/webhooks';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure, type Context } from '../trpc.ts';

/** How long a regenerated secret's predecessor keeps working unless told otherwise. */
export const DEFAULT_SECRET_GRACE_SECONDS = 24 * 60 * 60;
const MAX_SECRET_GRACE_SECONDS = 7 * 24 * 60 * 60;
const MAX_ALLOWLIST_ENTRIES = 100;

const id = z.uuid('not a valid id');

const cidr = z
  .string()
  .trim()
  .max(64, 'at most 64 characters')
  .superRefine((value, ctx) => {
    const parsed = parseCidr(value);
    if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
  });

const mapping = z
  .string()
  .max(10_000, 'at most 10000 characters')
  .nullable()
  .transform((value) => (value === null || value.trim() === '' ? null : value))
  .superRefine((value, ctx) => {
    if (value === null) return;
    const problem = checkExpressionSyntax(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const settings = {
  enabled: z.boolean().optional(),
  /** Calls per hour (shared by every API instance); default 100. */
  rateLimitPerHour: z.number().int().min(1, 'at least 1').max(1_000_000, 'at most 1000000').optional(),
  /** CIDR blocks allowed to call (`203.0.113.0/24`, `2001:db8::/32`, a bare address); empty: anyone. */
  ipAllowlist: z
    .array(cidr)
    .max(MAX_ALLOWLIST_ENTRIES, `at most ${MAX_ALLOWLIST_ENTRIES} entries`)
    .optional(),
  /** JSONata from the call to the run input (`$` = body, `$headers`, `$query`); null: the body as is. */
  mapping: mapping.optional(),
  /** Run the version with this tag (`production`) instead of the draft; null: the draft. */
  versionTag: z.string().trim().min(1, 'required').max(64, 'at most 64 characters').nullable().optional(),
};

/** Storing secrets needs the encryption key; without it the server says so instead of storing plaintext. */
const withSecretKeys = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.secretKeys) {
    throw new TRPCError({
      code: 'PRECONDITION_FAILED',
      message:
        'Webhooks are turned off on this server: their secrets are stored encrypted, so set SWARM_SECRET_KEY (a base64 32-byte key, e.g. `openssl rand -base64 32`) on the API.',
    });
  }
  return next({ ctx: { ...ctx, secretKeys: ctx.secretKeys } });
});

function present<T extends WebhookSummary>(webhook: T, base: string) {
  return { ...webhook, url: webhookUrl(base, webhook.id) };
}

function services(
  ctx: Pick<Context, 'db' | 'runs' | 'nodeRegistry' | 'log' | 'expressions'>,
): WebhookServices {
  return {
    db: ctx.db,
    runs: ctx.runs,
    nodeRegistry: ctx.nodeRegistry,
    log: ctx.log,
    expressions: ctx.expressions,
  };
}

/** The webhook's secrets in clear for redaction by value; none when they can't be decrypted here. */
function secretsForRedaction(ctx: Pick<Context, 'secretKeys' | 'now'>, webhook: WebhookForCall): string[] {
  if (!ctx.secretKeys) return [];
  try {
    return validWebhookSecrets(ctx.secretKeys, webhook, new Date(ctx.now()));
  } catch {
    return []; // credential shapes (`whsec_…`) are still redacted
  }
}

/** A test or replay that did not start a run is a BAD_REQUEST naming what failed. */
function startedOrThrow(result: Awaited<ReturnType<typeof runWebhookCall>>) {
  if (result.kind === 'invalid') throw new DomainError('BAD_REQUEST', result.message, result.issues);
  if (result.kind === 'blocked') throw new DomainError('CONFLICT', result.message);
  // Tests and replays are not counted against the rate limit.
  if (result.kind === 'rate-limited') throw new Error('a test or replay was refused by the rate limit');
  // Tests and replays carry no message id, so they are never a duplicate of an earlier call.
  if (result.executionId === null) throw new Error('a call without a message id was taken for a duplicate');
  return { executionId: result.executionId };
}

export const webhooksRouter = {
  list: authedProcedure.input(z.object({ workflowId: id })).query(async ({ ctx, input }) => {
    const base = ctx.publicBaseUrl;
    const items = await listWebhooks(ctx.db, ctx.user.id, input.workflowId);
    return { items: items.map((webhook) => present(webhook, base)) };
  }),

  /** Returns the secret once (and `triggerUrl`: the URL to call, with the secret in url-secret mode). */
  create: withSecretKeys
    .input(z.object({ workflowId: id, auth: z.enum(WEBHOOK_AUTH_MODES), ...settings }))
    .mutation(async ({ ctx, input }) => {
      const webhookId = randomUUID();
      const secret = generateWebhookSecret(input.auth);
      const webhook = await createWebhook(ctx.db, ctx.user.id, {
        ...input,
        id: webhookId,
        secret: encryptWebhookSecret(ctx.secretKeys, ctx.user.id, webhookId, secret),
      });
      const base = ctx.publicBaseUrl;
      return { ...present(webhook, base), secret, triggerUrl: webhookTriggerUrl(base, webhook, secret) };
    }),

  update: authedProcedure.input(z.object({ id, ...settings })).mutation(async ({ ctx, input }) => {
    const { id: webhookId, ...patch } = input;
    const webhook = await updateWebhook(ctx.db, ctx.user.id, webhookId, patch);
    ctx.invalidations.invalidate(WEBHOOK_INVALIDATION_TOPIC, webhookId);
    return present(webhook, ctx.publicBaseUrl);
  }),

  delete: authedProcedure.input(z.object({ id })).mutation(async ({ ctx, input }) => {
    await deleteWebhook(ctx.db, ctx.user.id, input.id);
    ctx.invalidations.invalidate(WEBHOOK_INVALIDATION_TOPIC, input.id);
    return { ok: true as const };
  }),

  /**
   * A new secret, shown once. The old one keeps verifying for `graceSeconds` (default 24 h; 0 =
   * invalid at once), so senders can switch over without failed deliveries.
   */
  regenerateSecret: withSecretKeys
    .input(
      z.object({
        id,
        graceSeconds: z
          .number()
          .int()
          .min(0, 'at least 0')
          .max(MAX_SECRET_GRACE_SECONDS, `at most ${MAX_SECRET_GRACE_SECONDS} (7 days)`)
          .optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const current = await getWebhookForCallOf(ctx.db, ctx.user.id, input.id);
      const secret = generateWebhookSecret(current.auth);
      const grace = input.graceSeconds ?? DEFAULT_SECRET_GRACE_SECONDS;
      const webhook = await rotateWebhookSecret(
        ctx.db,
        ctx.user.id,
        input.id,
        encryptWebhookSecret(ctx.secretKeys, ctx.user.id, input.id, secret),
        grace > 0 ? new Date(ctx.now() + grace * 1000) : null,
      );
      ctx.invalidations.invalidate(WEBHOOK_INVALIDATION_TOPIC, input.id);
      const base = ctx.publicBaseUrl;
      return {
        ...present(webhook, base),
        secret,
        triggerUrl: webhookTriggerUrl(base, webhook, secret),
      };
    }),

  /** The latest calls, newest first (headers redacted; bodies up to 64 KiB). */
  logs: authedProcedure
    .input(z.object({ id, limit: z.number().int().min(1).max(200).optional() }))
    .query(async ({ ctx, input }) => ({
      items: await listWebhookLogs(ctx.db, ctx.user.id, input.id, input.limit ?? 50),
    })),

  /**
   * What a mapping makes of a payload, for the editor's live preview: evaluated in the expression
   * pool with the limits a delivery gets (never in this process, never in the browser). A mutation
   * only so a large sample payload travels in the body, not the URL; it changes nothing.
   */
  previewMapping: authedProcedure
    .input(
      z.object({
        mapping: z.string().max(10_000, 'at most 10000 characters'),
        payload: z.unknown(),
        headers: z.record(z.string(), z.string()).optional(),
        query: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      try {
        const value = await mapWebhookInput(ctx.expressions, input.mapping, input.payload ?? null, {
          headers: input.headers ?? {},
          query: input.query ?? {},
          ownerId: ctx.user.id,
        });
        return { input: value };
      } catch (error) {
        if (error instanceof WebhookPayloadError)
          throw new DomainError('BAD_REQUEST', error.message, error.issues);
        throw error;
      }
    }),

  /**
   * "Send test": the payload goes through the webhook's mapping, the input checks and run creation
   * like a delivery, without a signature (the owner is signed in) and without counting against the
   * rate limit. Logged with source `test`.
   */
  test: authedProcedure.input(z.object({ id, payload: z.unknown() })).mutation(async ({ ctx, input }) => {
    const webhook = await getWebhookForCallOf(ctx.db, ctx.user.id, input.id);
    const body = Buffer.from(JSON.stringify(input.payload ?? {}), 'utf8');
    const result = await runWebhookCall(services(ctx), {
      webhook,
      source: 'test',
      secrets: secretsForRedaction(ctx, webhook),
      body,
      headers: { 'content-type': 'application/json' },
      query: {},
      messageId: null,
      ip: ctx.ip,
      startedAt: performance.now(),
    });
    return startedOrThrow(result);
  }),

  /**
   * Sends a logged call's stored body (and content type) through the pipeline again, as a new call
   * (source `replay`, `replayOf` = the logged call). `$query` is empty: queries are not logged.
   */
  replay: authedProcedure.input(z.object({ logId: id })).mutation(async ({ ctx, input }) => {
    const logged = await getWebhookLog(ctx.db, ctx.user.id, input.logId);
    if (logged.bodyTruncated) {
      throw new DomainError(
        'BAD_REQUEST',
        'This call cannot be replayed: its body was larger than the 64 KiB the log keeps, so only its start was stored.',
        [{ path: 'logId', message: 'the logged body is truncated' }],
      );
    }
    const webhook = await getWebhookForCallOf(ctx.db, ctx.user.id, logged.webhookId);
    const result = await runWebhookCall(services(ctx), {
      webhook,
      source: 'replay',
      secrets: secretsForRedaction(ctx, webhook),
      body: Buffer.from(logged.body ?? '', 'utf8'),
      headers: logged.headers,
      query: {},
      messageId: null,
      ip: ctx.ip,
      replayOf: logged.id,
      startedAt: performance.now(),
    });
    return startedOrThrow(result);
  }),
} satisfies TRPCRouterRecord;
