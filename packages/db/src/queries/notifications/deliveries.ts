/**
 * The delivery log: what the sender reads to send one notification, what it records after each
 * try, the owner's view of the log (per channel, per run), and the *Send test* row.
 */
import { NotFoundError } from '@swarm/engine';
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../client.ts';
import { enqueueJob, type JobSender } from '../../jobs.ts';
import {
  type NotificationDeliveryKind,
  type NotificationDeliveryStatus,
  type NotificationEventKind,
  notificationChannels,
  notificationDeliveries,
  notificationEvents,
  workflows,
} from '../../schema/index.ts';

/** Writes a test delivery for one of the owner's channels and enqueues it (one transaction). */
export async function createTestDelivery(
  db: Db,
  sender: JobSender,
  ownerId: string,
  channelId: string,
): Promise<{ id: string }> {
  return db.transaction(async (tx) => {
    const [channel] = await tx
      .select({ id: notificationChannels.id })
      .from(notificationChannels)
      .where(and(eq(notificationChannels.id, channelId), eq(notificationChannels.ownerId, ownerId)));
    if (!channel) throw new NotFoundError('notification channel');
    const [row] = await tx
      .insert(notificationDeliveries)
      .values({ ownerId, channelId, kind: 'test' })
      .returning({ id: notificationDeliveries.id });
    await enqueueJob(sender, tx, 'notificationDelivery', { deliveryId: row!.id });
    return { id: row!.id };
  });
}

/** A delivery with what its message is made of (the event, the workflow's name). Runner only. */
export async function deliveryForSending(db: DbOrTx, id: string) {
  const [row] = await db
    .select({
      id: notificationDeliveries.id,
      ownerId: notificationDeliveries.ownerId,
      channelId: notificationDeliveries.channelId,
      kind: notificationDeliveries.kind,
      status: notificationDeliveries.status,
      attempts: notificationDeliveries.attempts,
      eventKind: notificationDeliveries.eventKind,
      workflowId: notificationDeliveries.workflowId,
      workflowName: workflows.name,
      executionId: notificationDeliveries.executionId,
      digestCount: notificationDeliveries.digestCount,
      sendAfter: notificationDeliveries.sendAfter,
      eventPayload: notificationEvents.payload,
      eventCreatedAt: notificationEvents.createdAt,
      createdAt: notificationDeliveries.createdAt,
    })
    .from(notificationDeliveries)
    .leftJoin(notificationEvents, eq(notificationEvents.id, notificationDeliveries.eventId))
    .leftJoin(workflows, eq(workflows.id, notificationDeliveries.workflowId))
    .where(eq(notificationDeliveries.id, id));
  return row ?? null;
}

export type DeliveryForSending = NonNullable<Awaited<ReturnType<typeof deliveryForSending>>>;

/**
 * Records one try: sent, or failed — `final` when no retry follows. Only a delivery still waiting
 * changes (a duplicate job of a sent delivery records nothing). Returns the attempts so far.
 */
export async function recordDeliveryAttempt(
  db: DbOrTx,
  id: string,
  result: { ok: true } | { ok: false; error: string; final: boolean },
): Promise<number | null> {
  const [row] = await db
    .update(notificationDeliveries)
    .set({
      attempts: sql`${notificationDeliveries.attempts} + 1`,
      status: result.ok ? 'sent' : result.final ? 'failed' : 'retrying',
      lastError: result.ok ? null : result.error.slice(0, 1000),
      sentAt: result.ok ? sql`now()` : null,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(notificationDeliveries.id, id),
        sql`${notificationDeliveries.status} in ('pending', 'retrying')`,
      ),
    )
    .returning({ attempts: notificationDeliveries.attempts });
  return row?.attempts ?? null;
}

export interface NotificationDeliveryView {
  id: string;
  channelId: string;
  channelName: string;
  kind: NotificationDeliveryKind;
  eventKind: NotificationEventKind | null;
  workflowId: string | null;
  executionId: string | null;
  status: NotificationDeliveryStatus;
  attempts: number;
  lastError: string | null;
  digestCount: number;
  createdAt: Date;
  sentAt: Date | null;
}

/** The owner's delivery log, newest first; narrowed to a channel or a run. */
export async function listNotificationDeliveries(
  db: DbOrTx,
  ownerId: string,
  filter: {
    channelId?: string | undefined;
    executionId?: string | undefined;
    limit?: number | undefined;
  } = {},
): Promise<NotificationDeliveryView[]> {
  return db
    .select({
      id: notificationDeliveries.id,
      channelId: notificationDeliveries.channelId,
      channelName: notificationChannels.name,
      kind: notificationDeliveries.kind,
      eventKind: notificationDeliveries.eventKind,
      workflowId: notificationDeliveries.workflowId,
      executionId: notificationDeliveries.executionId,
      status: notificationDeliveries.status,
      attempts: notificationDeliveries.attempts,
      lastError: notificationDeliveries.lastError,
      digestCount: notificationDeliveries.digestCount,
      createdAt: notificationDeliveries.createdAt,
      sentAt: notificationDeliveries.sentAt,
    })
    .from(notificationDeliveries)
    .innerJoin(notificationChannels, eq(notificationChannels.id, notificationDeliveries.channelId))
    .where(
      and(
        eq(notificationDeliveries.ownerId, ownerId),
        filter.channelId ? eq(notificationDeliveries.channelId, filter.channelId) : undefined,
        filter.executionId ? eq(notificationDeliveries.executionId, filter.executionId) : undefined,
      ),
    )
    .orderBy(desc(notificationDeliveries.createdAt), desc(notificationDeliveries.id))
    .limit(filter.limit ?? 100);
}

/** How long the delivery log (and the events behind it) is kept. */
export const NOTIFICATION_LOG_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Hourly maintenance: forgets fanned-out events older than the retention (their deliveries go
 * with them) and finished test and digest deliveries as old. Events not fanned out yet stay.
 */
export async function pruneNotificationLog(
  db: DbOrTx,
  retentionMs = NOTIFICATION_LOG_RETENTION_MS,
): Promise<{ events: number; deliveries: number }> {
  const cutoff = sql`now() - make_interval(secs => ${retentionMs / 1000})`;
  const events = await db
    .delete(notificationEvents)
    .where(sql`${notificationEvents.fannedOutAt} < ${cutoff}`)
    .returning({ id: notificationEvents.id });
  const deliveries = await db
    .delete(notificationDeliveries)
    .where(
      sql`${notificationDeliveries.eventId} is null and ${notificationDeliveries.createdAt} < ${cutoff}
        and ${notificationDeliveries.status} in ('sent', 'failed')`,
    )
    .returning({ id: notificationDeliveries.id });
  return { events: events.length, deliveries: deliveries.length };
}
