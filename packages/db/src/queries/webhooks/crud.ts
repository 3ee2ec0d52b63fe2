/**
 * The owner's webhooks (`workflow_webhooks`): create, read, change, rotate the secret, delete — and
 * the read the public route makes per call. Secrets only pass through here as ciphertext: the API
 * encrypts and decrypts them with the configured keyring. Changes announce an invalidation so every
 * API process drops its cached copy.
 */
import { NotFoundError } from '@swarm/engine';
import { and, eq, sql } from 'drizzle-orm';
import { type DbOrTx, inTransaction } from '../../client.ts';
import { announceInvalidation } from '../../invalidation.ts';
import { type WebhookAuthMode, workflows, workflowWebhooks } from '../../schema/index.ts';

/** What the owner may see of a webhook: everything but its secrets. */
export interface WebhookSummary {
  id: string;
  workflowId: string;
  auth: WebhookAuthMode;
  enabled: boolean;
  rateLimitPerHour: number;
  ipAllowlist: string[];
  mapping: string | null;
  /** Sender presets: the events that start a run; empty: all. */
  eventFilter: string[];
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
  eventFilter: workflowWebhooks.eventFilter,
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
  eventFilter?: string[] | undefined;
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
        eventFilter: input.eventFilter,
        versionTag: input.versionTag,
      }),
    })
    .returning(summaryColumns);
  return row!;
}

/** A webhook in its workflow's list: with how many calls its log holds. */
export interface WebhookListItem extends WebhookSummary {
  /**
   * Calls in the webhook's log, whatever their outcome — what the log lists. `triggerCount` counts
   * only the calls that started a run (a refused or duplicate call is logged but starts nothing);
   * the log keeps `WEBHOOK_LOG_RETENTION`'s newest calls.
   */
  loggedCallCount: number;
}

/** The webhooks of one of the owner's workflows, oldest first. */
export async function listWebhooks(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
): Promise<WebhookListItem[]> {
  await assertWorkflowOwned(db, ownerId, workflowId);
  return db
    .select({
      ...summaryColumns,
      // Spelled out: drizzle renders columns unqualified in a select, and `id` would be the log's.
      loggedCallCount: sql<number>`(select count(*)::int from webhook_logs l where l.webhook_id = workflow_webhooks.id)`,
    })
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
 * An enabled webhook by id alone, for the public route (which then proves the caller knows its
 * secret). Null when there is none or it is disabled: the route must not be able to tell the two
 * apart, so that neither its answer nor the work behind it (and so its timing) says whether an id
 * exists — a disabled webhook is not even cached, exactly like an unknown id.
 */
export async function findEnabledWebhookForCall(db: DbOrTx, id: string): Promise<WebhookForCall | null> {
  const [row] = await db
    .select(callColumns)
    .from(workflowWebhooks)
    .where(and(eq(workflowWebhooks.id, id), eq(workflowWebhooks.enabled, true)));
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
