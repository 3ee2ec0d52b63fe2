/**
 * The log of webhook calls (`webhook_logs`): every call, accepted or not, with its request (headers
 * and body redacted of credential shapes) and outcome — and how long it is kept.
 */
import { NotFoundError, redactSecrets, redactSecretsDeep } from '@swarm/engine';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import {
  type WebhookCallSource,
  type WebhookOutcome,
  webhookLogs,
  workflowWebhooks,
} from '../../schema/index.ts';
import { getWebhook } from './crud.ts';

export interface NewWebhookLog {
  webhookId: string;
  source?: WebhookCallSource | undefined;
  messageId?: string | null | undefined;
  event?: string | null | undefined;
  outcome: WebhookOutcome;
  status: number;
  latencyMs: number;
  ip?: string | null | undefined;
  headers: Record<string, string>;
  body?: string | null | undefined;
  bodyTruncated?: boolean | undefined;
  error?: string | null | undefined;
  executionId?: string | null | undefined;
  replayOf?: string | null | undefined;
}

export interface WebhookLogEntry {
  id: string;
  webhookId: string;
  source: WebhookCallSource;
  messageId: string | null;
  event: string | null;
  outcome: WebhookOutcome;
  status: number;
  latencyMs: number;
  ip: string | null;
  headers: Record<string, string>;
  body: string | null;
  bodyTruncated: boolean;
  error: string | null;
  executionId: string | null;
  replayOf: string | null;
  createdAt: Date;
}

const logColumns = {
  id: webhookLogs.id,
  webhookId: webhookLogs.webhookId,
  source: webhookLogs.source,
  messageId: webhookLogs.messageId,
  event: webhookLogs.event,
  outcome: webhookLogs.outcome,
  status: webhookLogs.status,
  latencyMs: webhookLogs.latencyMs,
  ip: webhookLogs.ip,
  headers: webhookLogs.headers,
  body: webhookLogs.body,
  bodyTruncated: webhookLogs.bodyTruncated,
  error: webhookLogs.error,
  executionId: webhookLogs.executionId,
  replayOf: webhookLogs.replayOf,
  createdAt: webhookLogs.createdAt,
};

export function logValues(entry: NewWebhookLog) {
  return {
    webhookId: entry.webhookId,
    source: entry.source ?? 'http',
    messageId: entry.messageId ?? null,
    event: entry.event ?? null,
    outcome: entry.outcome,
    status: entry.status,
    latencyMs: Math.max(0, Math.round(entry.latencyMs)),
    ip: entry.ip ?? null,
    // The pipeline redacts the webhook's own secret by value; credential shapes go here, whoever
    // logs (a replay then resends the redacted body).
    headers: redactSecretsDeep(entry.headers),
    body: entry.body == null ? null : redactSecrets(entry.body),
    bodyTruncated: entry.bodyTruncated ?? false,
    error: entry.error == null ? null : redactSecrets(entry.error),
    executionId: entry.executionId ?? null,
    replayOf: entry.replayOf ?? null,
  };
}

/** Logs a call that did not start a run (rejected, limited, duplicate, invalid …). */
export async function insertWebhookLog(db: DbOrTx, entry: NewWebhookLog): Promise<{ id: string }> {
  const [row] = await db.insert(webhookLogs).values(logValues(entry)).returning({ id: webhookLogs.id });
  return row!;
}

/** The latest calls of the owner's webhook, newest first. */
export async function listWebhookLogs(
  db: DbOrTx,
  ownerId: string,
  webhookId: string,
  limit = 50,
): Promise<WebhookLogEntry[]> {
  await getWebhook(db, ownerId, webhookId);
  return db
    .select(logColumns)
    .from(webhookLogs)
    .where(eq(webhookLogs.webhookId, webhookId))
    .orderBy(desc(webhookLogs.createdAt), desc(webhookLogs.id))
    .limit(limit);
}

/** One logged call of the owner's webhooks (for a replay); NOT_FOUND for anyone else's. */
export async function getWebhookLog(db: DbOrTx, ownerId: string, logId: string): Promise<WebhookLogEntry> {
  const [row] = await db
    .select(logColumns)
    .from(webhookLogs)
    .innerJoin(workflowWebhooks, eq(workflowWebhooks.id, webhookLogs.webhookId))
    .where(and(eq(webhookLogs.id, logId), eq(workflowWebhooks.ownerId, ownerId)));
  if (!row) throw new NotFoundError('webhook call');
  return row;
}

/** How long and how many logged calls maintenance keeps per webhook. */
export const WEBHOOK_LOG_RETENTION = { maxAgeMs: 30 * 24 * 60 * 60 * 1000, maxPerWebhook: 1_000 };

/**
 * Forgets logged calls older than `maxAgeMs` and, per webhook, all but the newest `maxPerWebhook`,
 * whatever their outcome. Idempotency does not depend on the log: a retry of an accepted call whose
 * log row went is still a duplicate while its key is kept (`pruneWebhookIdempotencyKeys`).
 */
export async function pruneWebhookLogs(
  db: DbOrTx,
  retention: { maxAgeMs: number; maxPerWebhook: number } = WEBHOOK_LOG_RETENTION,
): Promise<number> {
  const cutoff = new Date(Date.now() - retention.maxAgeMs);
  const old = await db
    .delete(webhookLogs)
    .where(lt(webhookLogs.createdAt, cutoff))
    .returning({ id: webhookLogs.id });
  const excess = await db.execute<{ id: string }>(sql`
    select id from (
      select id, row_number() over (partition by webhook_id order by created_at desc, id desc) as n
      from ${webhookLogs}
    ) ranked
    where n > ${retention.maxPerWebhook}
    limit 50000`);
  const ids = [...excess].map((row) => row.id);
  if (ids.length > 0) await db.delete(webhookLogs).where(inArray(webhookLogs.id, ids));
  return old.length + ids.length;
}
