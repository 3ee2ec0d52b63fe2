/**
 * Webhooks (`workflow_webhooks`) and the log of their calls (`webhook_logs`). Secrets only pass
 * through here as ciphertext: the API encrypts and decrypts them with the configured keyring.
 *
 * Accepting a call is one transaction (`acceptWebhookCall`): the log row goes in first — with the
 * sender's `webhook-id`, guarded by the partial unique index on accepted message ids — then the run
 * and its job, then the log row is linked to the run and the webhook's counters move. Two
 * deliveries of one message racing each other: the second insert waits on the first's lock and
 * then does nothing, so it returns the first run and creates nothing. A failed check rolls all of
 * it back, so no log row claims a message id that never started a run.
 */
import { NotFoundError } from '@swarm/engine';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Db, type DbOrTx, inTransaction } from '../client.ts';
import { announceInvalidation } from '../invalidation.ts';
import { transactionAnnouncingRuns } from '../run-wakeup.ts';
import {
  rateLimitCounters,
  type WebhookAuthMode,
  type WebhookCallSource,
  type WebhookOutcome,
  webhookLogs,
  workflows,
  workflowWebhooks,
} from '../schema/index.ts';
import { createExecution } from './executions.ts';
import { prepareRun, type RunQueue, type RunRequest } from './start-run.ts';

export {
  WEBHOOK_AUTH_MODES,
  WEBHOOK_CALL_SOURCES,
  WEBHOOK_OUTCOMES,
  type WebhookAuthMode,
  type WebhookCallSource,
  type WebhookOutcome,
} from '../schema/index.ts';

/** What the owner may see of a webhook: everything but its secrets. */
export interface WebhookSummary {
  id: string;
  workflowId: string;
  auth: WebhookAuthMode;
  enabled: boolean;
  rateLimitPerHour: number;
  ipAllowlist: string[];
  mapping: string | null;
  versionTag: string | null;
  triggerCount: number;
  lastTriggeredAt: Date | null;
  /** While a regenerated secret's predecessor still verifies: until when. */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A webhook as the public route reads it: with its encrypted secrets and owner. */
export interface WebhookForCall extends WebhookSummary {
  ownerId: string;
  secret: string;
  secretKeyId: string;
  previousSecret: string | null;
  previousSecretKeyId: string | null;
}

const summaryColumns = {
  id: workflowWebhooks.id,
  workflowId: workflowWebhooks.workflowId,
  auth: workflowWebhooks.auth,
  enabled: workflowWebhooks.enabled,
  rateLimitPerHour: workflowWebhooks.rateLimitPerHour,
  ipAllowlist: workflowWebhooks.ipAllowlist,
  mapping: workflowWebhooks.mapping,
  versionTag: workflowWebhooks.versionTag,
  triggerCount: workflowWebhooks.triggerCount,
  lastTriggeredAt: workflowWebhooks.lastTriggeredAt,
  previousSecretExpiresAt: workflowWebhooks.previousSecretExpiresAt,
  createdAt: workflowWebhooks.createdAt,
  updatedAt: workflowWebhooks.updatedAt,
};

const callColumns = {
  ...summaryColumns,
  ownerId: workflowWebhooks.ownerId,
  secret: workflowWebhooks.secret,
  secretKeyId: workflowWebhooks.secretKeyId,
  previousSecret: workflowWebhooks.previousSecret,
  previousSecretKeyId: workflowWebhooks.previousSecretKeyId,
};

/** Settings the owner chooses (create and update). */
export interface WebhookSettings {
  enabled?: boolean | undefined;
  rateLimitPerHour?: number | undefined;
  ipAllowlist?: string[] | undefined;
  mapping?: string | null | undefined;
  versionTag?: string | null | undefined;
}

export interface EncryptedWebhookSecret {
  secret: string;
  keyId: string;
}

const ownedWebhook = (ownerId: string, id: string) =>
  and(eq(workflowWebhooks.id, id), eq(workflowWebhooks.ownerId, ownerId));

async function assertWorkflowOwned(db: DbOrTx, ownerId: string, workflowId: string) {
  const [row] = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), eq(workflows.ownerId, ownerId)));
  if (!row) throw new NotFoundError('workflow');
}

/** Drops keys whose value is `undefined`, so an update only touches what was given. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Creates a webhook on the owner's workflow. The id is chosen by the caller because the secret's
 * encryption binds it (a ciphertext copied onto another webhook does not decrypt).
 */
export async function createWebhook(
  db: DbOrTx,
  ownerId: string,
  input: WebhookSettings & {
    id: string;
    workflowId: string;
    auth: WebhookAuthMode;
    secret: EncryptedWebhookSecret;
  },
): Promise<WebhookSummary> {
  await assertWorkflowOwned(db, ownerId, input.workflowId);
  const [row] = await db
    .insert(workflowWebhooks)
    .values({
      id: input.id,
      workflowId: input.workflowId,
      ownerId,
      auth: input.auth,
      secret: input.secret.secret,
      secretKeyId: input.secret.keyId,
      ...definedOnly({
        enabled: input.enabled,
        rateLimitPerHour: input.rateLimitPerHour,
        ipAllowlist: input.ipAllowlist,
        mapping: input.mapping,
        versionTag: input.versionTag,
      }),
    })
    .returning(summaryColumns);
  return row!;
}

/** The webhooks of one of the owner's workflows, oldest first. */
export async function listWebhooks(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
): Promise<WebhookSummary[]> {
  await assertWorkflowOwned(db, ownerId, workflowId);
  return db
    .select(summaryColumns)
    .from(workflowWebhooks)
    .where(and(eq(workflowWebhooks.workflowId, workflowId), eq(workflowWebhooks.ownerId, ownerId)))
    .orderBy(workflowWebhooks.createdAt, workflowWebhooks.id);
}

export async function getWebhook(db: DbOrTx, ownerId: string, id: string): Promise<WebhookSummary> {
  const [row] = await db.select(summaryColumns).from(workflowWebhooks).where(ownedWebhook(ownerId, id));
  if (!row) throw new NotFoundError('webhook');
  return row;
}

/** The owner's webhook with its encrypted secrets (for "send test" and replays). */
export async function getWebhookForCallOf(db: DbOrTx, ownerId: string, id: string): Promise<WebhookForCall> {
  const [row] = await db.select(callColumns).from(workflowWebhooks).where(ownedWebhook(ownerId, id));
  if (!row) throw new NotFoundError('webhook');
  return row;
}

/**
 * The invalidation topic of webhooks cached for the public route (key: the webhook id). Every write
 * that changes what a call is checked against (settings, secrets, deletion — the workflow's too)
 * announces it in its transaction.
 */
export const WEBHOOK_INVALIDATION_TOPIC = 'webhook';

/**
 * A webhook by id alone, for the public route (which then proves the caller knows its secret).
 * Null when there is none; the route answers that exactly like a disabled one.
 */
export async function findWebhookForCall(db: DbOrTx, id: string): Promise<WebhookForCall | null> {
  const [row] = await db.select(callColumns).from(workflowWebhooks).where(eq(workflowWebhooks.id, id));
  return row ?? null;
}

export async function updateWebhook(
  db: DbOrTx,
  ownerId: string,
  id: string,
  patch: WebhookSettings,
): Promise<WebhookSummary> {
  const changes = definedOnly(patch);
  return inTransaction(db, async (tx) => {
    const [row] = await tx
      .update(workflowWebhooks)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(ownedWebhook(ownerId, id))
      .returning(summaryColumns);
    if (!row) throw new NotFoundError('webhook');
    await announceInvalidation(tx, WEBHOOK_INVALIDATION_TOPIC, id);
    return row;
  });
}

export async function deleteWebhook(db: DbOrTx, ownerId: string, id: string): Promise<void> {
  await inTransaction(db, async (tx) => {
    const rows = await tx
      .delete(workflowWebhooks)
      .where(ownedWebhook(ownerId, id))
      .returning({ id: workflowWebhooks.id });
    if (rows.length === 0) throw new NotFoundError('webhook');
    await announceInvalidation(tx, WEBHOOK_INVALIDATION_TOPIC, id);
  });
}

/**
 * Replaces the secret. With `previousValidUntil` the old secret keeps verifying until then (senders
 * switch over without failed calls); null makes it invalid at once. A secret still in its grace
 * period from an earlier rotation is dropped: only one previous secret is kept.
 */
export async function rotateWebhookSecret(
  db: DbOrTx,
  ownerId: string,
  id: string,
  next: EncryptedWebhookSecret,
  previousValidUntil: Date | null,
): Promise<WebhookSummary> {
  const keep = previousValidUntil !== null;
  return inTransaction(db, async (tx) => {
    const [row] = await tx
      .update(workflowWebhooks)
      .set({
        // In an UPDATE the right-hand sides see the row as it was: `secret` here is the old one.
        previousSecret: keep ? sql`${workflowWebhooks.secret}` : null,
        previousSecretKeyId: keep ? sql`${workflowWebhooks.secretKeyId}` : null,
        previousSecretExpiresAt: previousValidUntil,
        secret: next.secret,
        secretKeyId: next.keyId,
        updatedAt: sql`now()`,
      })
      .where(ownedWebhook(ownerId, id))
      .returning(summaryColumns);
    if (!row) throw new NotFoundError('webhook');
    await announceInvalidation(tx, WEBHOOK_INVALIDATION_TOPIC, id);
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// The call log
// ---------------------------------------------------------------------------------------------

export interface NewWebhookLog {
  webhookId: string;
  source?: WebhookCallSource | undefined;
  messageId?: string | null | undefined;
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

function logValues(entry: NewWebhookLog) {
  return {
    webhookId: entry.webhookId,
    source: entry.source ?? 'http',
    messageId: entry.messageId ?? null,
    outcome: entry.outcome,
    status: entry.status,
    latencyMs: Math.max(0, Math.round(entry.latencyMs)),
    ip: entry.ip ?? null,
    headers: entry.headers,
    body: entry.body ?? null,
    bodyTruncated: entry.bodyTruncated ?? false,
    error: entry.error ?? null,
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

/** The run an earlier accepted call with this `webhook-id` started (null: none, or not yet committed). */
export async function findAcceptedWebhookCall(
  db: DbOrTx,
  webhookId: string,
  messageId: string,
): Promise<{ executionId: string | null } | null> {
  const [row] = await db
    .select({ executionId: webhookLogs.executionId })
    .from(webhookLogs)
    .where(
      and(
        eq(webhookLogs.webhookId, webhookId),
        eq(webhookLogs.messageId, messageId),
        eq(webhookLogs.outcome, 'accepted'),
      ),
    );
  return row ?? null;
}

export type AcceptedWebhookCall =
  | { duplicate: false; executionId: string; logId: string }
  /** The message id was accepted before: its run (null if that run was since deleted). */
  | { duplicate: true; executionId: string | null }
  /** Over the rate limit: nothing was written (the caller logs the refusal). */
  | { rateLimited: true; count: number };

/** A shared fixed-window limit counted in the accepting transaction (see `hitRateLimit`). */
export interface WebhookRateLimit {
  key: string;
  windowSeconds: number;
  limit: number;
}

class DuplicateCall extends Error {
  constructor(readonly executionId: string | null) {
    super('a repeated message id');
  }
}

class OverRateLimit extends Error {
  constructor(readonly count: number) {
    super('over the rate limit');
  }
}

/**
 * Moves the webhook's trigger count and, with a limit, counts the call in its current window (the
 * same fixed windows as `hitRateLimit`); returns that window's count (0 without a limit). Over the
 * limit the trigger count does not move (the caller rolls back anyway).
 */
async function countWebhookCall(
  tx: DbOrTx,
  webhookId: string,
  rateLimit: WebhookRateLimit | undefined,
): Promise<number> {
  const triggered = sql`update ${workflowWebhooks} set trigger_count = trigger_count + 1, last_triggered_at = now()
    where id = ${webhookId}`;
  if (!rateLimit) {
    await tx.execute(triggered);
    return 0;
  }
  const [row] = await tx.execute<{ count: number }>(sql`
    with hit as (
      insert into ${rateLimitCounters} (key, window_start, count)
      values (${rateLimit.key}, to_timestamp(floor(extract(epoch from now()) / ${rateLimit.windowSeconds}) * ${rateLimit.windowSeconds}), 1)
      on conflict (key, window_start) do update set count = ${rateLimitCounters}.count + 1
      returning count
    ), triggered as (
      update ${workflowWebhooks} set trigger_count = trigger_count + 1, last_triggered_at = now()
      where id = ${webhookId} and (select count from hit) <= ${rateLimit.limit}
    )
    select count from hit`);
  return row!.count;
}

/**
 * Starts the run of an authenticated call in one transaction with its log row (see the header),
 * counting it against `rateLimit` there too: an accepted call is one commit. A repeated message id
 * is answered before the limit is counted. The two hot rows every call of a webhook writes (its
 * counter and its trigger count) are written last, so concurrent calls wait on their locks only
 * for the commit. `prepareRun` failures (input failing the schema, a missing tag …) are thrown and
 * leave nothing, the rate-limit hit included: the caller counts refused calls itself.
 */
export async function acceptWebhookCall(
  db: Db,
  queue: RunQueue,
  call: {
    log: Omit<NewWebhookLog, 'outcome' | 'status' | 'executionId'>;
    run: RunRequest;
    rateLimit?: WebhookRateLimit | undefined;
  },
): Promise<AcceptedWebhookCall> {
  try {
    return await transactionAnnouncingRuns(db, queue.wakeup, async (tx, runsReady) => {
      // The log row and the run's reads in one round trip (pipelined): the first is the
      // duplicate guard, and a duplicate is answered whatever the reads found.
      const [logged, checked] = await Promise.allSettled([
        tx
          .insert(webhookLogs)
          .values(logValues({ ...call.log, outcome: 'accepted', status: 202 }))
          .onConflictDoNothing({
            target: [webhookLogs.webhookId, webhookLogs.messageId],
            where: sql`outcome = 'accepted' and message_id is not null`,
          })
          .returning({ id: webhookLogs.id }),
        prepareRun(tx, call.run),
      ]);
      if (logged.status === 'rejected') throw logged.reason;
      const [logRow] = logged.value;
      if (!logRow) {
        const first = await findAcceptedWebhookCall(tx, call.log.webhookId, call.log.messageId ?? '');
        // Rolled back: the checks may have written (a draft auto-committed for the run).
        throw new DuplicateCall(first?.executionId ?? null);
      }
      if (checked.status === 'rejected') throw checked.reason;
      const { id: executionId } = await createExecution(tx, queue.jobs, checked.value);
      // The rest in one more round trip: the link, the wake-up and the counters — the hot rows
      // every call of this webhook waits for until the commit, so they come at the very end.
      const [, , count] = await Promise.all([
        tx.update(webhookLogs).set({ executionId }).where(eq(webhookLogs.id, logRow.id)),
        runsReady(),
        countWebhookCall(tx, call.log.webhookId, call.rateLimit),
      ]);
      if (call.rateLimit && count > call.rateLimit.limit) throw new OverRateLimit(count);
      return { duplicate: false, executionId, logId: logRow.id };
    });
  } catch (error) {
    if (error instanceof OverRateLimit) return { rateLimited: true, count: error.count };
    if (error instanceof DuplicateCall) return { duplicate: true, executionId: error.executionId };
    throw error;
  }
}

/** How long and how many logged calls maintenance keeps per webhook. */
export const WEBHOOK_LOG_RETENTION = { maxAgeMs: 30 * 24 * 60 * 60 * 1000, maxPerWebhook: 1_000 };

/**
 * Forgets logged calls older than `maxAgeMs` and, per webhook, all but the newest `maxPerWebhook`.
 * Accepted calls go too: after this long a sender's retry of the same message is not expected.
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
