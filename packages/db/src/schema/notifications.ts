/**
 * Notifications: where an owner wants to be told (channels: email, Slack-compatible webhook,
 * signed outbound webhook), about what (subscriptions, per owner or overridden per workflow), what
 * happened (events: one row per thing that happened, unique by its dedupe key, so however many
 * runners see it, it is told once) and what was sent (deliveries: the log, with status and tries).
 *
 * Events come from three places: the runner (a run failed, enqueued in the run's finish
 * transaction) and database triggers on budget alerts, schedule fires and provider breakers (hand
 * SQL in the migration), which a minute's sweep fans out.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { createdAt, primaryId, timestampMs, updatedAt } from './columns.ts';
import { executions } from './executions.ts';
import { workflows } from './workflows.ts';

export const NOTIFICATION_CHANNEL_KINDS = ['email', 'slack', 'webhook'] as const;
export type NotificationChannelKind = (typeof NOTIFICATION_CHANNEL_KINDS)[number];
export const NOTIFICATION_EVENT_KINDS = [
  'run_failed',
  'schedule_failed',
  'budget_threshold',
  'circuit_opened',
] as const;
export type NotificationEventKind = (typeof NOTIFICATION_EVENT_KINDS)[number];
export const NOTIFICATION_DELIVERY_KINDS = ['event', 'digest', 'test'] as const;
export type NotificationDeliveryKind = (typeof NOTIFICATION_DELIVERY_KINDS)[number];
export const NOTIFICATION_DELIVERY_STATUSES = [
  'pending',
  'retrying',
  'sent',
  'failed',
  'suppressed',
] as const;
export type NotificationDeliveryStatus = (typeof NOTIFICATION_DELIVERY_STATUSES)[number];

export const notificationChannels = pgTable(
  'notification_channels',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: text('kind', { enum: NOTIFICATION_CHANNEL_KINDS }).notNull(),
    /**
     * What the owner sees: the address (email), the URL (webhook) or the URL's host (Slack, whose
     * URL is itself the credential and is stored only encrypted, in `secret`).
     */
    target: text('target').notNull(),
    /** Encrypted with the server keyring: the webhook's signing secret, or the Slack URL. */
    secret: text('secret'),
    secretKeyId: text('secret_key_id'),
    /**
     * Quiet window, in minutes: after a notification per workflow and event kind, more of the same
     * within this are counted into one digest sent when it ends. 0 sends every one.
     */
    digestMinutes: integer('digest_minutes').notNull().default(60),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('notification_channels_owner_idx').on(t.ownerId, t.createdAt),
    check('notification_channels_digest_minutes', sql`${t.digestMinutes} between 0 and 1440`),
  ],
);

export const notificationSubscriptions = pgTable(
  'notification_subscriptions',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    /**
     * Null: every workflow of the owner. A workflow's own subscriptions replace the owner-wide ones
     * for its events (an empty `events` list silences it).
     */
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'cascade' }),
    events: text('events', { enum: NOTIFICATION_EVENT_KINDS }).array().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    unique('notification_subscriptions_scope_key').on(t.channelId, t.workflowId).nullsNotDistinct(),
    index('notification_subscriptions_owner_idx').on(t.ownerId, t.workflowId),
  ],
);

export const notificationEvents = pgTable(
  'notification_events',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: NOTIFICATION_EVENT_KINDS }).notNull(),
    /** `run_failed:<execution id>`, `budget:<alert id>`, …: one event per thing that happened. */
    dedupeKey: text('dedupe_key').notNull(),
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'cascade' }),
    executionId: uuid('execution_id').references(() => executions.id, { onDelete: 'set null' }),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    /** Set by the one fan-out that turned this event into deliveries (and error workflow runs). */
    fannedOutAt: timestampMs('fanned_out_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('notification_events_dedupe_key').on(t.dedupeKey),
    index('notification_events_pending_idx').on(t.createdAt).where(sql`${t.fannedOutAt} is null`),
    index('notification_events_execution_idx').on(t.executionId),
  ],
);

export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    channelId: uuid('channel_id')
      .notNull()
      .references(() => notificationChannels.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: NOTIFICATION_DELIVERY_KINDS }).notNull(),
    /** Null for tests and digests. */
    eventId: uuid('event_id').references(() => notificationEvents.id, { onDelete: 'cascade' }),
    eventKind: text('event_kind', { enum: NOTIFICATION_EVENT_KINDS }),
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'cascade' }),
    executionId: uuid('execution_id').references(() => executions.id, { onDelete: 'set null' }),
    status: text('status', { enum: NOTIFICATION_DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** The last failure, in words (never a secret: URLs are not included). */
    lastError: text('last_error'),
    /** A digest: the window it closes (channel, workflow, kind, opening delivery) and its count. */
    digestKey: text('digest_key'),
    digestCount: integer('digest_count').notNull().default(0),
    sendAfter: timestampMs('send_after'),
    sentAt: timestampMs('sent_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('notification_deliveries_event_channel_key').on(t.eventId, t.channelId),
    uniqueIndex('notification_deliveries_digest_key').on(t.digestKey),
    index('notification_deliveries_owner_idx').on(t.ownerId, t.createdAt.desc()),
    index('notification_deliveries_window_idx').on(
      t.channelId,
      t.workflowId,
      t.eventKind,
      t.createdAt.desc(),
    ),
    index('notification_deliveries_execution_idx').on(t.executionId),
  ],
);
