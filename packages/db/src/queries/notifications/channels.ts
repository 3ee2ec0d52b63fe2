/**
 * Notification channels and subscriptions, owned rows. What the API lists never carries a stored
 * secret (the webhook signing secret, the Slack URL): the secret is shown once by the procedure
 * that creates it and read back only by the sender (`channelForSending`).
 */
import { invalidInput, NotFoundError } from '@swarm/engine';
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import {
  type NotificationChannelKind,
  type NotificationEventKind,
  notificationChannels,
  notificationSubscriptions,
  workflows,
} from '../../schema/index.ts';

export interface NotificationChannelSummary {
  id: string;
  name: string;
  kind: NotificationChannelKind;
  target: string;
  digestMinutes: number;
  enabled: boolean;
  createdAt: Date;
}

const summaryColumns = {
  id: notificationChannels.id,
  name: notificationChannels.name,
  kind: notificationChannels.kind,
  target: notificationChannels.target,
  digestMinutes: notificationChannels.digestMinutes,
  enabled: notificationChannels.enabled,
  createdAt: notificationChannels.createdAt,
};

export interface NewNotificationChannel {
  /** Chosen by the caller: the encrypted secret is bound to it. */
  id: string;
  name: string;
  kind: NotificationChannelKind;
  target: string;
  digestMinutes: number;
  secret: { secret: string; keyId: string } | null;
}

export async function createNotificationChannel(
  db: DbOrTx,
  ownerId: string,
  channel: NewNotificationChannel,
): Promise<NotificationChannelSummary> {
  const [row] = await db
    .insert(notificationChannels)
    .values({
      id: channel.id,
      ownerId,
      name: channel.name,
      kind: channel.kind,
      target: channel.target,
      digestMinutes: channel.digestMinutes,
      secret: channel.secret?.secret ?? null,
      secretKeyId: channel.secret?.keyId ?? null,
    })
    .returning(summaryColumns);
  return row!;
}

export async function listNotificationChannels(
  db: DbOrTx,
  ownerId: string,
): Promise<NotificationChannelSummary[]> {
  return db
    .select(summaryColumns)
    .from(notificationChannels)
    .where(eq(notificationChannels.ownerId, ownerId))
    .orderBy(asc(notificationChannels.createdAt), asc(notificationChannels.id));
}

export async function getNotificationChannel(
  db: DbOrTx,
  ownerId: string,
  id: string,
): Promise<NotificationChannelSummary> {
  const [row] = await db
    .select(summaryColumns)
    .from(notificationChannels)
    .where(and(eq(notificationChannels.id, id), eq(notificationChannels.ownerId, ownerId)));
  if (!row) throw new NotFoundError('notification channel');
  return row;
}

export async function updateNotificationChannel(
  db: DbOrTx,
  ownerId: string,
  id: string,
  patch: { name?: string | undefined; digestMinutes?: number | undefined; enabled?: boolean | undefined },
): Promise<NotificationChannelSummary> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  const [row] = await db
    .update(notificationChannels)
    .set({ ...set, updatedAt: sql`now()` })
    .where(and(eq(notificationChannels.id, id), eq(notificationChannels.ownerId, ownerId)))
    .returning(summaryColumns);
  if (!row) throw new NotFoundError('notification channel');
  return row;
}

export async function deleteNotificationChannel(db: DbOrTx, ownerId: string, id: string): Promise<void> {
  const rows = await db
    .delete(notificationChannels)
    .where(and(eq(notificationChannels.id, id), eq(notificationChannels.ownerId, ownerId)))
    .returning({ id: notificationChannels.id });
  if (rows.length === 0) throw new NotFoundError('notification channel');
}

/** Everything the sender needs, secret included (still encrypted). Not owner-scoped: runner only. */
export async function channelForSending(db: DbOrTx, id: string) {
  const [row] = await db.select().from(notificationChannels).where(eq(notificationChannels.id, id));
  return row ?? null;
}

export interface NotificationSubscriptionView {
  id: string;
  channelId: string;
  workflowId: string | null;
  events: NotificationEventKind[];
  createdAt: Date;
}

const subscriptionColumns = {
  id: notificationSubscriptions.id,
  channelId: notificationSubscriptions.channelId,
  workflowId: notificationSubscriptions.workflowId,
  events: notificationSubscriptions.events,
  createdAt: notificationSubscriptions.createdAt,
};

/**
 * Subscribes a channel to event kinds, for every workflow (`workflowId` null) or one workflow
 * (which then ignores the owner-wide subscriptions). Replaces the channel's list for that scope.
 */
export async function setNotificationSubscription(
  db: DbOrTx,
  ownerId: string,
  input: { channelId: string; workflowId: string | null; events: NotificationEventKind[] },
): Promise<NotificationSubscriptionView> {
  await getNotificationChannel(db, ownerId, input.channelId);
  if (input.workflowId !== null) {
    const [workflow] = await db
      .select({ id: workflows.id })
      .from(workflows)
      .where(and(eq(workflows.id, input.workflowId), eq(workflows.ownerId, ownerId)));
    if (!workflow) throw new NotFoundError('workflow');
  }
  const events = [...new Set(input.events)];
  const [row] = await db
    .insert(notificationSubscriptions)
    .values({ ownerId, channelId: input.channelId, workflowId: input.workflowId, events })
    .onConflictDoUpdate({
      target: [notificationSubscriptions.channelId, notificationSubscriptions.workflowId],
      set: { events },
    })
    .returning(subscriptionColumns);
  return row!;
}

export async function listNotificationSubscriptions(
  db: DbOrTx,
  ownerId: string,
): Promise<NotificationSubscriptionView[]> {
  return db
    .select(subscriptionColumns)
    .from(notificationSubscriptions)
    .where(eq(notificationSubscriptions.ownerId, ownerId))
    .orderBy(asc(notificationSubscriptions.createdAt), asc(notificationSubscriptions.id));
}

export async function deleteNotificationSubscription(db: DbOrTx, ownerId: string, id: string): Promise<void> {
  const rows = await db
    .delete(notificationSubscriptions)
    .where(and(eq(notificationSubscriptions.id, id), eq(notificationSubscriptions.ownerId, ownerId)))
    .returning({ id: notificationSubscriptions.id });
  if (rows.length === 0) throw new NotFoundError('notification subscription');
}

/**
 * The channels an event of `kind` about `workflowId` goes to: the workflow's own subscriptions when
 * it has any, else the owner-wide ones; enabled channels only.
 */
export async function channelsForEvent(
  db: DbOrTx,
  ownerId: string,
  workflowId: string | null,
  kind: NotificationEventKind,
): Promise<{ id: string; digestMinutes: number }[]> {
  const rows = await db
    .select({
      id: notificationChannels.id,
      digestMinutes: notificationChannels.digestMinutes,
      enabled: notificationChannels.enabled,
      scoped: sql<boolean>`${notificationSubscriptions.workflowId} is not null`,
      events: notificationSubscriptions.events,
    })
    .from(notificationSubscriptions)
    .innerJoin(notificationChannels, eq(notificationChannels.id, notificationSubscriptions.channelId))
    .where(
      and(
        eq(notificationSubscriptions.ownerId, ownerId),
        workflowId === null
          ? isNull(notificationSubscriptions.workflowId)
          : sql`(${notificationSubscriptions.workflowId} is null or ${notificationSubscriptions.workflowId} = ${workflowId})`,
      ),
    )
    .orderBy(asc(notificationChannels.id));
  const scoped = rows.some((r) => r.scoped);
  return rows
    .filter((r) => r.scoped === scoped && r.enabled && r.events.includes(kind))
    .map(({ id, digestMinutes }) => ({ id, digestMinutes }));
}

/** Refuses an `onFailure` naming the workflow itself or one the owner does not have. */
export async function assertErrorWorkflowTarget(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  onFailure: unknown,
): Promise<void> {
  if (onFailure === undefined || onFailure === null) return;
  const path = 'definition.settings.onFailure';
  if (typeof onFailure !== 'string' || !/^[0-9a-f-]{36}$/i.test(onFailure))
    throw invalidInput([{ path, message: 'the id of the error workflow to start when a run fails' }]);
  if (onFailure === workflowId)
    throw invalidInput([{ path, message: 'a workflow cannot be its own error workflow (a loop)' }]);
  const [row] = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(eq(workflows.id, onFailure), eq(workflows.ownerId, ownerId)));
  if (!row) throw invalidInput([{ path, message: 'no workflow with this id' }]);
}
