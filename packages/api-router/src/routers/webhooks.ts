/**
 * Webhooks of a workflow: create (the secret is shown once, here and on regenerate), list (no
 * secrets: the URL, counters, settings), update, delete, secret rotation with a grace period, the
 * call log, "send test" and replay of a logged call. Tests and replays go through the same
 * pipeline as real deliveries (`@swarm/webhooks`' `runWebhookCall`), minus the signature: the owner is signed in.
 *
 * Sender presets (`github`, `stripe`, `slack`, `shopify`) verify with the secret the service
 * generated: the owner pastes it (create, regenerate; GitHub lets you choose one, so there it may
 * be left out and we generate it). It is stored encrypted like ours and never shown again.
 */

import { randomUUID } from 'node:crypto';
import {
  createWebhook,
  deleteWebhook,
  getWebhookForCallOf,
  getWebhookLog,
  isWebhookSenderPreset,
  listWebhookLogs,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
  WEBHOOK_AUTH_MODES,
  WEBHOOK_INVALIDATION_TOPIC,
  type WebhookAuthMode,
  type WebhookForCall,
  type WebhookSummary,
} from '@swarm/db';
import { checkExpressionSyntax, DomainError } from '@swarm/engine';
import {
  checkSenderCall,
  encryptWebhookSecret,
  generateWebhookSecret,
  mapWebhookInput,
  parseCidr,
  runWebhookCall,
  signSenderRequest,
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

const MAX_EVENT_FILTER_ENTRIES = 50;

/** A secret a service generated, pasted by the owner: one line, no spaces. */
const pastedSecret = z
  .string()
  .trim()
  .min(8, 'at least 8 characters')
  .max(512, 'at most 512 characters')
  .regex(/^\S+$/, 'no spaces or line breaks');

const SENDER_NAMES = { github: 'GitHub', stripe: 'Stripe', slack: 'Slack', shopify: 'Shopify' } as const;

/**
 * What is wrong with the `secret` given for a webhook of `auth`, if anything: ours are generated
 * (none may be given); a service's is pasted (GitHub's may be left out: we then generate one for
 * the owner to paste into GitHub).
 */
function secretProblem(auth: WebhookAuthMode, secret: string | undefined): string | null {
  if (!isWebhookSenderPreset(auth))
    return secret === undefined ? null : `${auth} webhooks generate their own secret: leave it out`;
  if (secret === undefined)
    return auth === 'github'
      ? null
      : `required: paste the signing secret ${SENDER_NAMES[auth]} shows for this endpoint`;
  if (auth === 'stripe' && !secret.startsWith('whsec_'))
    return "a Stripe endpoint's signing secret starts with whsec_";
  return null;
}

/** A new secret for a webhook: pasted (presets) or generated (ours, and GitHub's when none given). */
function secretFor(auth: WebhookAuthMode, pasted: string | undefined): string {
  return pasted ?? generateWebhookSecret(auth === 'url-secret' ? 'url-secret' : 'signature');
}

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
  /**
   * Sender presets: the events that start a run (`pull_request`, `pull_request.opened`,
   * `invoice.paid`, `orders/*`); any other event is answered 200 `ignored`. Empty: every event.
   */
  eventFilter: z
    .array(
      z
        .string()
        .trim()
        .min(1, 'required')
        .max(100, 'at most 100 characters')
        .regex(
          /^[A-Za-z0-9_.:/-]+\*?$/,
          'an event name (letters, digits, _ . : / -), optionally ending in *',
        ),
    )
    .max(MAX_EVENT_FILTER_ENTRIES, `at most ${MAX_EVENT_FILTER_ENTRIES} entries`)
    .optional(),
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
    .input(
      z
        .object({
          workflowId: id,
          auth: z.enum(WEBHOOK_AUTH_MODES),
          /** Sender presets: the signing secret the service shows (write-only). */
          secret: pastedSecret.optional(),
          ...settings,
        })
        .superRefine((value, ctx) => {
          const problem = secretProblem(value.auth, value.secret);
          if (problem) ctx.addIssue({ code: 'custom', path: ['secret'], message: problem });
          if (!isWebhookSenderPreset(value.auth) && (value.eventFilter?.length ?? 0) > 0)
            ctx.addIssue({
              code: 'custom',
              path: ['eventFilter'],
              message: 'only sender presets (github, stripe, slack, shopify) name their events',
            });
        }),
    )
    .mutation(async ({ ctx, input }) => {
      const webhookId = randomUUID();
      const { secret: pasted, ...fields } = input;
      const secret = secretFor(input.auth, pasted);
      const webhook = await createWebhook(ctx.db, ctx.user.id, {
        ...fields,
        id: webhookId,
        secret: encryptWebhookSecret(ctx.secretKeys, ctx.user.id, webhookId, secret),
      });
      const base = ctx.publicBaseUrl;
      return { ...present(webhook, base), secret, triggerUrl: webhookTriggerUrl(base, webhook, secret) };
    }),

  update: authedProcedure.input(z.object({ id, ...settings })).mutation(async ({ ctx, input }) => {
    const { id: webhookId, ...patch } = input;
    if ((patch.eventFilter?.length ?? 0) > 0) {
      const current = await getWebhookForCallOf(ctx.db, ctx.user.id, webhookId);
      if (!isWebhookSenderPreset(current.auth))
        throw new DomainError('BAD_REQUEST', 'eventFilter: only sender presets name their events', [
          {
            path: 'eventFilter',
            message: 'only sender presets (github, stripe, slack, shopify) name their events',
          },
        ]);
    }
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
   * invalid at once), so senders can switch over without failed deliveries. Sender presets take
   * the service's new secret in `secret` (GitHub: optional, generated when left out).
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
        secret: pastedSecret.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const current = await getWebhookForCallOf(ctx.db, ctx.user.id, input.id);
      const problem = secretProblem(current.auth, input.secret);
      if (problem)
        throw new DomainError('BAD_REQUEST', `secret: ${problem}`, [{ path: 'secret', message: problem }]);
      const secret = secretFor(current.auth, input.secret);
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
   *
   * A sender preset's test is a request signed the way that service signs it, with the webhook's
   * secret, and verified like a delivery: its headers (`X-GitHub-Event: <event>`, …) reach the
   * mapping as `$headers`, and its event meets the event filter (an event the filter leaves out is
   * a BAD_REQUEST saying so). `event` names it for GitHub and Shopify (a header); Stripe and Slack
   * name theirs in the payload (`type`, `event.type`).
   */
  test: authedProcedure
    .input(z.object({ id, payload: z.unknown(), event: z.string().trim().min(1).max(100).optional() }))
    .mutation(async ({ ctx, input }) => {
      const webhook = await getWebhookForCallOf(ctx.db, ctx.user.id, input.id);
      const body = Buffer.from(JSON.stringify(input.payload ?? {}), 'utf8');
      const secrets = secretsForRedaction(ctx, webhook);
      let headers: Record<string, string> = { 'content-type': 'application/json' };
      let event: string | null = null;
      if (isWebhookSenderPreset(webhook.auth)) {
        const [current] = secrets;
        if (current === undefined)
          throw new TRPCError({
            code: 'PRECONDITION_FAILED',
            message: "This webhook's secret cannot be decrypted on this server (SWARM_SECRET_KEY).",
          });
        const nowSeconds = Math.floor(ctx.now() / 1000);
        headers = signSenderRequest(webhook.auth, current, body, {
          nowSeconds,
          deliveryId: `test-${randomUUID()}`,
          event: input.event,
        });
        const check = checkSenderCall(webhook.auth, {
          headers,
          body,
          secrets,
          eventFilter: webhook.eventFilter,
          nowSeconds,
        });
        if (check.kind === 'rejected') throw new Error(`a signed test failed verification: ${check.reason}`);
        event = check.delivery.event;
        if (check.kind !== 'run') {
          const message =
            check.kind === 'challenge'
              ? 'a url_verification handshake starts no run: Slack sends it once, when the URL is saved'
              : `event ${event ?? '(none)'} is not in this webhook's event filter, so it would be ignored`;
          throw new DomainError('BAD_REQUEST', message, [{ path: 'event', message }]);
        }
      }
      const result = await runWebhookCall(services(ctx), {
        webhook,
        source: 'test',
        secrets,
        body,
        headers,
        query: {},
        // Tests are never duplicates of one another: no idempotency key.
        messageId: null,
        event,
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
      event: logged.event,
      ip: ctx.ip,
      replayOf: logged.id,
      startedAt: performance.now(),
    });
    return startedOrThrow(result);
  }),
} satisfies TRPCRouterRecord;
