/**
 * Triggers other than a person pressing Run: cron schedules (with their firing history) and
 * webhooks (with a log of every call). Runs they start are ordinary `executions` rows with trigger
 * `schedule` or `webhook`; a scheduled run points at the occurrence that started it.
 */
import { SCHEDULE_FIRE_OUTCOMES, SCHEDULE_MISSED_POLICIES, SCHEDULE_OVERLAP_POLICIES } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { createdAt, primaryId, timestampMs, updatedAt } from './columns.ts';
import { executions } from './executions.ts';
import { workflows } from './workflows.ts';

export const workflowSchedules = pgTable(
  'workflow_schedules',
  {
    id: primaryId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Five fields (minute hour day-of-month month day-of-week), in `timezone`'s wall-clock time. */
    cron: text('cron').notNull(),
    /** IANA name (`Europe/Berlin`); DST shifts follow the rule documented on the cron module. */
    timezone: text('timezone').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    input: jsonb('input').$type<unknown>().notNull().default({}),
    /** Runs the version with this tag (`production`) instead of the draft. */
    versionTag: text('version_tag'),
    overlap: text('overlap', { enum: SCHEDULE_OVERLAP_POLICIES }).notNull().default('skip'),
    missed: text('missed', { enum: SCHEDULE_MISSED_POLICIES }).notNull().default('latest'),
    /** Occurrences older than this when found are recorded as missed whatever the policy. */
    missedWindowSeconds: integer('missed_window_seconds').notNull().default(86_400),
    /** A failed scheduled run is retried this many times, `retryDelaySeconds × 2^(n-1)` apart. */
    retryLimit: integer('retry_limit').notNull().default(2),
    retryDelaySeconds: integer('retry_delay_seconds').notNull().default(60),
    /** The next occurrence to fire; null while paused. Runners wait for the earliest one. */
    nextFireAt: timestampMs('next_fire_at'),
    lastFireAt: timestampMs('last_fire_at'),
    /** Occurrences that started a run. */
    runCount: integer('run_count').notNull().default(0),
    /**
     * Claims of the occurrence at `fire_claim_for` whose firing never committed (the runner died or
     * froze mid-firing), committed before each firing starts; the claim after the last allowed one
     * records the occurrence as failed instead of firing it. Reset when a firing commits.
     */
    fireClaims: integer('fire_claims').notNull().default(0),
    fireClaimFor: timestampMs('fire_claim_for'),
    /** When the latest claim was taken: other runners leave the schedule alone for a lease after it. */
    fireClaimedAt: timestampMs('fire_claimed_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('workflow_schedules_workflow_idx').on(t.workflowId),
    index('workflow_schedules_due_idx').on(t.nextFireAt).where(sql`${t.enabled}`),
    check('workflow_schedules_retry_limit', sql`${t.retryLimit} between 0 and 10`),
    check('workflow_schedules_retry_delay', sql`${t.retryDelaySeconds} between 1 and 86400`),
    check('workflow_schedules_missed_window', sql`${t.missedWindowSeconds} between 60 and 2678400`),
  ],
);

/**
 * A schedule's history: one row per occurrence. The unique `(schedule_id, fire_at)` is what makes
 * an occurrence fire exactly once however many runners race for it.
 */
export const scheduleFires = pgTable(
  'schedule_fires',
  {
    id: primaryId(),
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => workflowSchedules.id, { onDelete: 'cascade' }),
    /** The scheduled instant (not when it was processed: that is `created_at`). */
    fireAt: timestampMs('fire_at').notNull(),
    outcome: text('outcome', { enum: SCHEDULE_FIRE_OUTCOMES }).notNull(),
    /** Why it was skipped, missed, failed or started late, in words for the history view. */
    reason: text('reason'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('schedule_fires_occurrence_key').on(t.scheduleId, t.fireAt),
    index('schedule_fires_queued_idx').on(t.scheduleId, t.fireAt).where(sql`${t.outcome} = 'queued'`),
  ],
);

/**
 * Sender presets: the webhook takes calls signed the way that service signs them, with the secret
 * the service generated (pasted by the owner) — see `@swarm/webhooks`' senders.ts.
 */
export const WEBHOOK_SENDER_PRESETS = ['github', 'stripe', 'slack', 'shopify'] as const;
export type WebhookSenderPreset = (typeof WEBHOOK_SENDER_PRESETS)[number];
/** `signature` and `url-secret` take calls signed with (or carrying) a secret we generated. */
export const WEBHOOK_AUTH_MODES = ['signature', 'url-secret', ...WEBHOOK_SENDER_PRESETS] as const;
export type WebhookAuthMode = (typeof WEBHOOK_AUTH_MODES)[number];

export function isWebhookSenderPreset(auth: WebhookAuthMode): auth is WebhookSenderPreset {
  return (WEBHOOK_SENDER_PRESETS as readonly string[]).includes(auth);
}

export const workflowWebhooks = pgTable(
  'workflow_webhooks',
  {
    id: primaryId(),
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    auth: text('auth', { enum: WEBHOOK_AUTH_MODES }).notNull(),
    /** The `whsec_…` secret, encrypted like provider keys (base64 iv ‖ ciphertext ‖ tag). */
    secret: text('secret').notNull(),
    secretKeyId: text('secret_key_id').notNull(),
    /** After `regenerateSecret`, the old secret keeps working until `previous_secret_expires_at`. */
    previousSecret: text('previous_secret'),
    previousSecretKeyId: text('previous_secret_key_id'),
    previousSecretExpiresAt: timestampMs('previous_secret_expires_at'),
    enabled: boolean('enabled').notNull().default(true),
    rateLimitPerHour: integer('rate_limit_per_hour').notNull().default(100),
    /** CIDR blocks (IPv4 or IPv6) allowed to call; empty = anyone. */
    ipAllowlist: text('ip_allowlist').array().notNull().default(sql`'{}'::text[]`),
    /** JSONata over the request (`$` = body; `$headers`, `$query`) giving the run input; null = body. */
    mapping: text('mapping'),
    /**
     * Sender presets only: the events that start a run (`pull_request`, `invoice.paid`, `orders/*`);
     * other events are answered 200 `ignored`. Empty: every event.
     */
    eventFilter: text('event_filter').array().notNull().default(sql`'{}'::text[]`),
    versionTag: text('version_tag'),
    triggerCount: integer('trigger_count').notNull().default(0),
    lastTriggeredAt: timestampMs('last_triggered_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('workflow_webhooks_workflow_idx').on(t.workflowId),
    check('workflow_webhooks_rate_limit', sql`${t.rateLimitPerHour} between 1 and 1000000`),
  ],
);

/** How a webhook call ended, as logged. */
export const WEBHOOK_OUTCOMES = [
  'accepted',
  'duplicate',
  'rejected-signature',
  'forbidden-ip',
  'rate-limited',
  'invalid-input',
  'too-large',
  /** No longer written (a disabled webhook answers like an unknown id, unlogged); older rows keep it. */
  'disabled',
  'blocked',
  'error',
  /** A sender preset's event outside the webhook's event filter: 200, no run. */
  'ignored',
  /** Slack's `url_verification` handshake, answered with its challenge: no run. */
  'challenge',
] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];
/** Where a logged call came from: a real sender, the owner's "send test", or a replay of a logged call. */
export const WEBHOOK_CALL_SOURCES = ['http', 'test', 'replay'] as const;
export type WebhookCallSource = (typeof WEBHOOK_CALL_SOURCES)[number];

export const webhookLogs = pgTable(
  'webhook_logs',
  {
    id: primaryId(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => workflowWebhooks.id, { onDelete: 'cascade' }),
    source: text('source', { enum: WEBHOOK_CALL_SOURCES }).notNull().default('http'),
    /**
     * The sender's `webhook-id`, for display. Duplicates are caught by `webhook_idempotency_keys`,
     * not here: this log is pruned by count, so it cannot be what makes a retry a duplicate.
     */
    messageId: text('message_id'),
    /** A sender preset's event (`X-GitHub-Event`, Stripe's `type`, `X-Shopify-Topic`, …). */
    event: text('event'),
    outcome: text('outcome', { enum: WEBHOOK_OUTCOMES }).notNull(),
    status: integer('status').notNull(),
    latencyMs: integer('latency_ms').notNull(),
    ip: text('ip'),
    /** Request headers, bounded, with signatures, cookies and authorization redacted. */
    headers: jsonb('headers').$type<Record<string, string>>().notNull(),
    /** The raw body (up to a bound, for the log view and replays); `body_truncated` when cut. */
    body: text('body'),
    bodyTruncated: boolean('body_truncated').notNull().default(false),
    /** What went wrong, for the owner: the failing input paths, the mapping error, … */
    error: text('error'),
    executionId: uuid('execution_id').references(() => executions.id, { onDelete: 'set null' }),
    replayOf: uuid('replay_of'),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_logs_webhook_created_idx').on(t.webhookId, t.createdAt.desc())],
);

/**
 * The idempotency keys of accepted calls: one row per (webhook, sender's delivery key) that started
 * a run, written in the run's own transaction — a repeat of the key is answered with that run and
 * starts nothing. Kept apart from the call log on purpose: the log keeps the newest 1,000 calls of
 * any outcome per webhook, so a flood of refused calls would push an accepted call out of it and
 * turn a sender's later retry into a second run. These rows only go by age (maintenance,
 * WEBHOOK_IDEMPOTENCY_DAYS).
 *
 * `delivery_key` is whatever identifies one delivery to its sender: today the Standard Webhooks
 * `webhook-id`; sender-specific ids (a GitHub delivery, a Stripe event id) go in the same column.
 * `execution_id` has no foreign key: the key is inserted before its run, as the guard that a
 * racing delivery of the same key waits on; readers treat a run deleted since as none.
 */
export const webhookIdempotencyKeys = pgTable(
  'webhook_idempotency_keys',
  {
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => workflowWebhooks.id, { onDelete: 'cascade' }),
    deliveryKey: text('delivery_key').notNull(),
    executionId: uuid('execution_id').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.webhookId, t.deliveryKey] }),
    index('webhook_idempotency_keys_created_idx').on(t.createdAt),
  ],
);
