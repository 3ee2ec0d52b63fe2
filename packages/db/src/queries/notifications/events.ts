/**
 * Notification events and their fan-out. An event is one row per thing that happened, unique by
 * its dedupe key (`run_failed:<run id>`), written in the transaction that recorded the happening:
 * by the runner for a failed run (with its `notificationEvent` job), by triggers for the rest
 * (swept every minute). Fan-out locks the event, writes one delivery per subscribed channel (or
 * counts it into the channel's digest while its quiet window lasts) with their jobs, and marks the
 * event done — all in one transaction, so no event is told twice however many runners race.
 */
import { and, asc, desc, eq, gt, isNull, ne, sql } from 'drizzle-orm';
import type { Db, DbOrTx, Tx } from '../../client.ts';
import { enqueueJob, type JobSender } from '../../jobs.ts';
import {
  executions,
  type NotificationEventKind,
  notificationDeliveries,
  notificationEvents,
  workflows,
} from '../../schema/index.ts';
import { channelsForEvent } from './channels.ts';

export interface NotificationEventRow {
  id: string;
  ownerId: string;
  kind: NotificationEventKind;
  workflowId: string | null;
  executionId: string | null;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/**
 * Records that a run failed (call it in the transaction that wrote `failed`) and enqueues its
 * fan-out — only when someone listens: an owner subscribed to failures, or an error workflow in
 * the run's definition (`settings.onFailure`). Returns the event id, or null (none needed, or
 * already recorded).
 */
export async function recordRunFailedEvent(
  tx: DbOrTx,
  sender: JobSender,
  executionId: string,
): Promise<string | null> {
  const rows = await tx.execute<{ id: string }>(sql`
    insert into notification_events (owner_id, kind, dedupe_key, workflow_id, execution_id, payload)
    select e.owner_id, 'run_failed', 'run_failed:' || e.id, e.workflow_id, e.id,
      jsonb_build_object(
        'workflowName', w.name, 'trigger', e.trigger, 'error', e.error,
        'nodeId', e.error->>'nodeId',
        'nodeName', (select n->>'name' from jsonb_array_elements(e.definition->'nodes') n
                     where n->>'id' = e.error->>'nodeId' limit 1))
    from executions e join workflows w on w.id = e.workflow_id
    where e.id = ${executionId} and e.status = 'failed'
      and (e.definition->'settings'->>'onFailure' is not null
        or exists (select 1 from notification_subscriptions s
                   where s.owner_id = e.owner_id and 'run_failed' = any(s.events)))
    on conflict (dedupe_key) do nothing
    returning id`);
  const id = rows[0]?.id;
  if (!id) return null;
  await enqueueJob(sender, tx, 'notificationEvent', { eventId: id });
  return id;
}

/** Events not fanned out yet, oldest first (the minute sweep). */
export async function pendingNotificationEventIds(db: DbOrTx, limit = 200): Promise<string[]> {
  const rows = await db
    .select({ id: notificationEvents.id })
    .from(notificationEvents)
    .where(isNull(notificationEvents.fannedOutAt))
    .orderBy(asc(notificationEvents.createdAt))
    .limit(limit);
  return rows.map((r) => r.id);
}

export interface FanOutResult {
  sent: string[];
  suppressed: string[];
  /** What the extra work in the transaction reported (an error workflow run), kept on the event. */
  extra: Record<string, unknown>;
}

/**
 * Fans one event out. `alsoInTransaction` runs inside the same transaction (the runner starts a
 * failed run's error workflow there) and may add facts to the event's payload. Null when the event
 * is gone or was fanned out already.
 */
export async function fanOutNotificationEvent(
  db: Db,
  sender: JobSender,
  eventId: string,
  options: {
    alsoInTransaction?:
      | ((tx: Tx, event: NotificationEventRow) => Promise<Record<string, unknown>>)
      | undefined;
  } = {},
): Promise<FanOutResult | null> {
  return db.transaction(async (tx) => {
    const [event] = await tx
      .select()
      .from(notificationEvents)
      .where(eq(notificationEvents.id, eventId))
      .for('update');
    if (!event || event.fannedOutAt) return null;
    const result: FanOutResult = { sent: [], suppressed: [], extra: {} };
    for (const channel of await channelsForEvent(tx, event.ownerId, event.workflowId, event.kind)) {
      const delivery = await deliverOrCount(tx, sender, event, channel);
      if (delivery) result[delivery.suppressed ? 'suppressed' : 'sent'].push(delivery.id);
    }
    result.extra = (await options.alsoInTransaction?.(tx, event)) ?? {};
    await tx
      .update(notificationEvents)
      .set({ fannedOutAt: sql`now()`, payload: { ...event.payload, ...result.extra } })
      .where(eq(notificationEvents.id, eventId));
    return result;
  });
}

/**
 * One channel's share of an event: a delivery of its own, or — within the quiet window opened by
 * the last one of the same channel, workflow and kind — a `suppressed` row counted into the
 * window's digest, which is sent when the window ends. The advisory lock serialises deciders of
 * one window across runners.
 */
async function deliverOrCount(
  tx: Tx,
  sender: JobSender,
  event: NotificationEventRow,
  channel: { id: string; digestMinutes: number },
): Promise<{ id: string; suppressed: boolean } | null> {
  const base = {
    ownerId: event.ownerId,
    channelId: channel.id,
    eventId: event.id,
    eventKind: event.kind,
    workflowId: event.workflowId,
    executionId: event.executionId,
  };
  let opener: { id: string; createdAt: Date } | undefined;
  if (channel.digestMinutes > 0) {
    const lockKey = `notify:${channel.id}:${event.workflowId ?? ''}:${event.kind}`;
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`);
    [opener] = await tx
      .select({ id: notificationDeliveries.id, createdAt: notificationDeliveries.createdAt })
      .from(notificationDeliveries)
      .where(
        and(
          eq(notificationDeliveries.channelId, channel.id),
          sql`${notificationDeliveries.workflowId} is not distinct from ${event.workflowId}`,
          eq(notificationDeliveries.eventKind, event.kind),
          eq(notificationDeliveries.kind, 'event'),
          ne(notificationDeliveries.status, 'suppressed'),
          gt(notificationDeliveries.createdAt, sql`now() - make_interval(mins => ${channel.digestMinutes})`),
        ),
      )
      .orderBy(desc(notificationDeliveries.createdAt))
      .limit(1);
  }
  if (!opener) {
    const [row] = await tx
      .insert(notificationDeliveries)
      .values({ ...base, kind: 'event' })
      .onConflictDoNothing()
      .returning({ id: notificationDeliveries.id });
    if (!row) return null;
    await enqueueJob(sender, tx, 'notificationDelivery', { deliveryId: row.id });
    return { id: row.id, suppressed: false };
  }
  const [row] = await tx
    .insert(notificationDeliveries)
    .values({ ...base, kind: 'event', status: 'suppressed' })
    .onConflictDoNothing()
    .returning({ id: notificationDeliveries.id });
  if (!row) return null;
  const sendAfter = new Date(opener.createdAt.getTime() + channel.digestMinutes * 60_000);
  const [digest] = await tx
    .insert(notificationDeliveries)
    .values({
      ...base,
      eventId: null,
      executionId: null,
      kind: 'digest',
      digestKey: opener.id,
      digestCount: 1,
      sendAfter,
    })
    .onConflictDoUpdate({
      target: notificationDeliveries.digestKey,
      set: { digestCount: sql`${notificationDeliveries.digestCount} + 1`, updatedAt: sql`now()` },
    })
    .returning({ id: notificationDeliveries.id, inserted: sql<boolean>`(xmax = 0)` });
  if (digest?.inserted)
    await enqueueJob(
      sender,
      tx,
      'notificationDelivery',
      { deliveryId: digest.id },
      { startAfter: sendAfter },
    );
  return { id: row.id, suppressed: true };
}

/** What an error workflow is started with: the failed run's facts and its `onFailure` setting. */
export async function failedRunForErrorWorkflow(db: DbOrTx, executionId: string) {
  const [row] = await db
    .select({
      id: executions.id,
      ownerId: executions.ownerId,
      workflowId: executions.workflowId,
      workflowName: workflows.name,
      trigger: executions.trigger,
      status: executions.status,
      input: executions.input,
      error: executions.error,
      onFailure: sql<string | null>`${executions.definition}->'settings'->>'onFailure'`,
    })
    .from(executions)
    .innerJoin(workflows, eq(workflows.id, executions.workflowId))
    .where(eq(executions.id, executionId));
  return row ?? null;
}
