/**
 * Webhooks (`workflow_webhooks`), the log of their calls (`webhook_logs`) and the idempotency keys
 * of accepted calls (`webhook_idempotency_keys`). Secrets only pass through here as ciphertext: the
 * API encrypts and decrypts them with the configured keyring.
 *
 * Accepting calls is one transaction for a whole batch of them (`acceptWebhookCalls`; the API
 * batches concurrent calls, group commit): the idempotency keys of the calls that carry one go in
 * first, in one multi-row insert that does nothing for a key taken before — that insert is the
 * duplicate guard — then the runs and their jobs, the log rows (already linked to their runs) and
 * the webhooks' counters. Two deliveries of one key racing each other in different transactions:
 * the second insert waits on the first's lock and then does nothing, so it returns the first run
 * and creates nothing; in one batch the multi-row insert itself skips the second. A failed check
 * rolls it back, so no key claims a run that never started.
 *
 * The keys live apart from the log because the log is pruned by count whatever the outcome (a flood
 * of refused calls pushes accepted ones out); the keys go by age only (`pruneWebhookIdempotencyKeys`).
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, redactSecrets, redactSecretsDeep } from '@swarm/engine';
import { and, desc, eq, inArray, lt, sql } from 'drizzle-orm';
import { type Db, type DbOrTx, inTransaction } from '../client.ts';
import { announceInvalidation } from '../invalidation.ts';
import { transactionAnnouncingRuns } from '../run-wakeup.ts';
import {
  executions,
  rateLimitCounters,
  type WebhookAuthMode,
  type WebhookCallSource,
  type WebhookOutcome,
  webhookIdempotencyKeys,
  webhookLogs,
  workflows,
  workflowWebhooks,
} from '../schema/index.ts';
import { createExecutions } from './executions/index.ts';
import {
  type PreparedRun,
  prepareRunTarget,
  type RunQueue,
  type RunRequest,
  withRunInput,
} from './start-run.ts';

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

/**
 * The run an earlier accepted call with this delivery key started: null when there is none (or not
 * yet committed, or its key was pruned); `executionId` null when that run was since deleted.
 */
export async function findAcceptedWebhookCall(
  db: DbOrTx,
  webhookId: string,
  deliveryKey: string,
): Promise<{ executionId: string | null } | null> {
  const [row] = await findAcceptedWebhookCalls(db, [{ webhookId, deliveryKey }]);
  return row ? { executionId: row.executionId } : null;
}

export type AcceptedWebhookCall =
  | { duplicate: false; executionId: string; logId: string }
  /** The delivery key was accepted before: its run (null if that run was since deleted). */
  | { duplicate: true; executionId: string | null }
  /** Over the rate limit: nothing was written (the caller logs the refusal). */
  | { rateLimited: true; count: number };

/** A shared fixed-window limit counted in the accepting transaction (see `hitRateLimit`). */
export interface WebhookRateLimit {
  key: string;
  windowSeconds: number;
  limit: number;
}

/** One call for `acceptWebhookCalls`. */
export interface WebhookCallToAccept {
  log: Omit<NewWebhookLog, 'outcome' | 'status' | 'executionId'>;
  run: RunRequest;
  /**
   * What identifies this delivery to its sender (today the Standard Webhooks `webhook-id`): a call
   * with a key accepted before for the same webhook is a duplicate. None: every call is new.
   */
  deliveryKey?: string | null | undefined;
  rateLimit?: WebhookRateLimit | undefined;
}

/** Each call's answer: its `AcceptedWebhookCall`, or why it could not be accepted (see below). */
export type WebhookCallAcceptance = PromiseSettledResult<AcceptedWebhookCall>;

/** Thrown out of a batch's transaction to roll it back: these calls failed their run checks. */
class ChecksFailed extends Error {
  constructor(readonly failures: Map<number, unknown>) {
    super('run checks failed');
  }
}

const windowStartOf = (windowSeconds: number) =>
  sql`to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds})`;

const sameDelivery = (webhookId: string, deliveryKey: string) => `${webhookId}\n${deliveryKey}`;

/** One order for delivery keys in every process (code units, not the database's collation). */
function byWebhookThenKey(a: { webhookId: string; key: string }, b: { webhookId: string; key: string }) {
  if (a.webhookId !== b.webhookId) return a.webhookId < b.webhookId ? -1 : 1;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Starts the runs of authenticated calls (one or many, typically all the calls that arrived while
 * the previous batch committed) in one transaction with their idempotency keys and log rows (see
 * the header), counting them against their rate limits there too, with set-based statements: a few
 * round trips and one commit for the whole batch. Each call gets the answer it would have got
 * alone, in order:
 * - a repeated delivery key (of an earlier call, or of a call earlier in this batch) is a duplicate
 *   with the first call's run, answered before the limit is counted;
 * - a call whose run checks (`prepareRun`) fail gets that error (rejected) and leaves nothing, the
 *   rate-limit hit included (the caller counts refused calls itself): the transaction is rolled
 *   back — the checks may have written (a draft auto-committed for the run) — and the batch runs
 *   again without those calls;
 * - over the limit (calls count in batch order): `rateLimited`, nothing written for it;
 * - else a new run, with its log row linked to it.
 * The hot rows every call of a webhook writes (its counter and its trigger count) are written once
 * per webhook per batch, in id order so that batches of other processes cannot deadlock on them.
 */
export async function acceptWebhookCalls(
  db: Db,
  queue: RunQueue,
  calls: WebhookCallToAccept[],
): Promise<WebhookCallAcceptance[]> {
  const answers = new Array<WebhookCallAcceptance | undefined>(calls.length);
  let pending = calls.map((_, index) => index);
  while (pending.length > 0) {
    try {
      const accepted = await acceptInOneTransaction(
        db,
        queue,
        pending.map((index) => calls[index]!),
      );
      pending.forEach((index, i) => {
        answers[index] = { status: 'fulfilled', value: accepted[i]! };
      });
      pending = [];
    } catch (error) {
      if (!(error instanceof ChecksFailed)) throw error;
      // Each round drops at least one call, so this ends.
      pending = pending.filter((index, i) => {
        if (!error.failures.has(i)) return true;
        answers[index] = { status: 'rejected', reason: error.failures.get(i) };
        return false;
      });
    }
  }
  return answers as WebhookCallAcceptance[];
}

async function acceptInOneTransaction(
  db: Db,
  queue: RunQueue,
  calls: WebhookCallToAccept[],
): Promise<AcceptedWebhookCall[]> {
  return transactionAnnouncingRuns(db, queue.wakeup, async (tx, runsReady) => {
    // Each call's run id is chosen up front: a keyed call's key row names it, and the keys that went
    // in (`returning`) tell which calls claimed theirs.
    const runIds = calls.map(() => randomUUID());
    // The keys go in first: the insert that does nothing for a key taken before (or earlier in this
    // very statement) is the duplicate guard. In (webhook, key) order, so that two batches holding
    // the same keys wait on each other instead of deadlocking; stable, so the first call of a
    // batch with a key is the one that claims it.
    const keyed = calls
      .map((call, i) => ({ i, webhookId: call.log.webhookId, key: call.deliveryKey || null }))
      .filter((call): call is { i: number; webhookId: string; key: string } => call.key !== null)
      .sort(byWebhookThenKey);
    const inserted =
      keyed.length === 0
        ? []
        : await tx
            .insert(webhookIdempotencyKeys)
            .values(
              keyed.map(({ i, webhookId, key }) => ({
                webhookId,
                deliveryKey: key,
                executionId: runIds[i]!,
              })),
            )
            .onConflictDoNothing({
              target: [webhookIdempotencyKeys.webhookId, webhookIdempotencyKeys.deliveryKey],
            })
            .returning({ executionId: webhookIdempotencyKeys.executionId });
    const claimed = new Set(inserted.map((row) => row.executionId));
    const fresh: number[] = [];
    const repeats: number[] = [];
    const firstInBatch = new Map<string, number>();
    calls.forEach((call, i) => {
      if (!call.deliveryKey) fresh.push(i);
      else if (!claimed.has(runIds[i]!)) repeats.push(i);
      else {
        fresh.push(i);
        firstInBatch.set(sameDelivery(call.log.webhookId, call.deliveryKey), i);
      }
    });
    const repeatsOfEarlier = repeats.filter(
      (i) => !firstInBatch.has(sameDelivery(calls[i]!.log.webhookId, calls[i]!.deliveryKey!)),
    );

    // One more round trip (pipelined): every fresh call's checks, the runs of earlier calls the
    // repeats repeat, and the rate-limit hits of the fresh calls.
    const limited = new Map<string, { rateLimit: WebhookRateLimit; calls: number[] }>();
    for (const i of fresh) {
      const rateLimit = calls[i]!.rateLimit;
      if (!rateLimit) continue;
      const group = limited.get(rateLimit.key) ?? { rateLimit, calls: [] };
      group.calls.push(i);
      limited.set(rateLimit.key, group);
    }
    const limitGroups = [...limited.values()].sort((a, b) => (a.rateLimit.key < b.rateLimit.key ? -1 : 1));
    const targets = runTargetsOf(fresh.map((i) => calls[i]!.run));
    const [checkedTargets, earlier, counts] = await Promise.all([
      Promise.allSettled(targets.map(({ request }) => prepareRunTarget(tx, request))),
      findAcceptedWebhookCalls(
        tx,
        repeatsOfEarlier.map((i) => ({
          webhookId: calls[i]!.log.webhookId,
          deliveryKey: calls[i]!.deliveryKey!,
        })),
      ),
      Promise.all(
        limitGroups.map(({ rateLimit, calls: hits }) =>
          tx
            .insert(rateLimitCounters)
            .values({
              key: rateLimit.key,
              windowStart: windowStartOf(rateLimit.windowSeconds),
              count: hits.length,
            })
            .onConflictDoUpdate({
              target: [rateLimitCounters.key, rateLimitCounters.windowStart],
              set: { count: sql`${rateLimitCounters.count} + ${hits.length}` },
            })
            .returning({ count: rateLimitCounters.count }),
        ),
      ),
    ]);
    const checked = fresh.map((i, f): PromiseSettledResult<PreparedRun> => {
      const target = checkedTargets[targets.findIndex((t) => t.runs.includes(f))]!;
      if (target.status === 'rejected') return target;
      try {
        return { status: 'fulfilled', value: withRunInput(target.value, calls[i]!.run.input) };
      } catch (error) {
        return { status: 'rejected', reason: error };
      }
    });
    const failures = new Map<number, unknown>();
    checked.forEach((result, f) => {
      if (result.status === 'rejected') failures.set(fresh[f]!, result.reason);
    });
    if (failures.size > 0) throw new ChecksFailed(failures);

    // Over the limit, in batch order: the first calls that fit are accepted, the rest are refused
    // and their hits taken back (a refused call does not count, as when it is alone).
    const answers = new Array<AcceptedWebhookCall | undefined>(calls.length);
    const corrections: { rateLimit: WebhookRateLimit; refused: number }[] = [];
    limitGroups.forEach(({ rateLimit, calls: hits }, g) => {
      const before = counts[g]![0]!.count - hits.length;
      const fits = Math.max(0, Math.min(hits.length, rateLimit.limit - before));
      for (const i of hits.slice(fits)) answers[i] = { rateLimited: true, count: before + fits + 1 };
      if (fits < hits.length) corrections.push({ rateLimit, refused: hits.length - fits });
    });
    const runs = fresh.flatMap((i, f) =>
      answers[i] ? [] : [{ call: i, prepared: (checked[f] as PromiseFulfilledResult<PreparedRun>).value }],
    );
    // A refused call's key is given back: it started nothing, so a retry must be free to.
    const refusedKeys = fresh.filter((i) => answers[i] && calls[i]!.deliveryKey);
    const triggered = new Map<string, number>();
    for (const { call } of runs) {
      const webhookId = calls[call]!.log.webhookId;
      triggered.set(webhookId, (triggered.get(webhookId) ?? 0) + 1);
    }

    // The writes in one last round trip, pipelined — the runs first (`createExecutions` sends their
    // insert before it returns; the log rows reference them),
    // the hot rows at the very end so other processes' batches wait on them only for the commit.
    const logIds = new Map(runs.map((run) => [run.call, randomUUID()]));
    await Promise.all([
      createExecutions(
        tx,
        queue.jobs,
        runs.map((run) => ({ ...run.prepared, id: runIds[run.call]! })),
      ),
      runs.length > 0
        ? tx.insert(webhookLogs).values(
            runs.map((run) => ({
              ...logValues({
                ...calls[run.call]!.log,
                outcome: 'accepted',
                status: 202,
                executionId: runIds[run.call]!,
              }),
              id: logIds.get(run.call)!,
            })),
          )
        : undefined,
      runs.length > 0 ? runsReady(runs.length) : undefined,
      refusedKeys.length > 0
        ? tx.execute(sql`
            delete from ${webhookIdempotencyKeys}
            where (webhook_id, delivery_key) in (
              select * from unnest(${sql.param(refusedKeys.map((i) => calls[i]!.log.webhookId))}::uuid[],
                ${sql.param(refusedKeys.map((i) => calls[i]!.deliveryKey!))}::text[]))`)
        : undefined,
      ...corrections.map(({ rateLimit, refused }) =>
        tx
          .update(rateLimitCounters)
          .set({ count: sql`${rateLimitCounters.count} - ${refused}` })
          .where(
            and(
              eq(rateLimitCounters.key, rateLimit.key),
              eq(rateLimitCounters.windowStart, windowStartOf(rateLimit.windowSeconds)),
            ),
          ),
      ),
      ...[...triggered.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([webhookId, count]) =>
          tx
            .update(workflowWebhooks)
            .set({
              triggerCount: sql`${workflowWebhooks.triggerCount} + ${count}`,
              lastTriggeredAt: sql`now()`,
            })
            .where(eq(workflowWebhooks.id, webhookId)),
        ),
    ]);

    for (const run of runs)
      answers[run.call] = {
        duplicate: false,
        executionId: runIds[run.call]!,
        logId: logIds.get(run.call)!,
      };
    const earlierRuns = new Map(
      earlier.map((row) => [sameDelivery(row.webhookId, row.deliveryKey), row.executionId]),
    );
    for (const i of repeats) {
      const key = sameDelivery(calls[i]!.log.webhookId, calls[i]!.deliveryKey!);
      const first = firstInBatch.get(key);
      const firstAnswer = first === undefined ? undefined : answers[first]!;
      if (!firstAnswer) answers[i] = { duplicate: true, executionId: earlierRuns.get(key) ?? null };
      // A repeat of a call of this batch that was over the limit would have been over it as well.
      else if ('rateLimited' in firstAnswer) answers[i] = firstAnswer;
      else
        answers[i] = { duplicate: true, executionId: firstAnswer.duplicate ? null : firstAnswer.executionId };
    }
    return answers as AcceptedWebhookCall[];
  });
}

/**
 * The distinct run targets (workflow, version, trigger) of these requests, each with the indexes of
 * its requests: their reads and definition checks are made once per target, the input per run.
 */
function runTargetsOf(requests: RunRequest[]): { request: RunRequest; runs: number[] }[] {
  const targets: { key: string; request: RunRequest; runs: number[] }[] = [];
  requests.forEach((request, r) => {
    const key = JSON.stringify([
      request.ownerId,
      request.workflowId,
      request.versionId ?? null,
      request.versionTag ?? null,
      request.trigger,
    ]);
    const same = targets.find((t) => t.key === key && t.request.registry === request.registry);
    if (same) same.runs.push(r);
    else targets.push({ key, request, runs: [r] });
  });
  return targets;
}

/**
 * The runs earlier accepted calls with these delivery keys started, in one statement (a run deleted
 * since: `executionId` null).
 */
async function findAcceptedWebhookCalls(
  db: DbOrTx,
  deliveries: { webhookId: string; deliveryKey: string }[],
): Promise<{ webhookId: string; deliveryKey: string; executionId: string | null }[]> {
  if (deliveries.length === 0) return [];
  return db
    .select({
      webhookId: webhookIdempotencyKeys.webhookId,
      deliveryKey: webhookIdempotencyKeys.deliveryKey,
      executionId: executions.id,
    })
    .from(webhookIdempotencyKeys)
    .leftJoin(executions, eq(executions.id, webhookIdempotencyKeys.executionId))
    .where(
      sql`(${webhookIdempotencyKeys.webhookId}, ${webhookIdempotencyKeys.deliveryKey}) in (
          select * from unnest(${sql.param(deliveries.map((d) => d.webhookId))}::uuid[],
            ${sql.param(deliveries.map((d) => d.deliveryKey))}::text[]))`,
    );
}

/** `acceptWebhookCalls` for one call: its answer, or its checks' error thrown. */
export async function acceptWebhookCall(
  db: Db,
  queue: RunQueue,
  call: WebhookCallToAccept,
): Promise<AcceptedWebhookCall> {
  const [answer] = await acceptWebhookCalls(db, queue, [call]);
  if (answer!.status === 'rejected') throw answer!.reason;
  return answer!.value;
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

/**
 * How long an accepted call's delivery key is remembered by default: a sender's retry of it within
 * this is answered as a duplicate, a later one starts a new run. Senders give up retrying after about
 * a day (Svix) to three days (Stripe); a week covers them with room.
 */
export const WEBHOOK_IDEMPOTENCY_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Forgets the delivery keys of calls accepted more than `maxAgeMs` ago (by the database clock, which
 * stamped them), and only those. Counted, not returned: a busy week holds millions of keys.
 */
export async function pruneWebhookIdempotencyKeys(
  db: DbOrTx,
  maxAgeMs: number = WEBHOOK_IDEMPOTENCY_RETENTION_MS,
): Promise<number> {
  const deleted = await db.execute(sql`
    delete from ${webhookIdempotencyKeys}
    where ${webhookIdempotencyKeys.createdAt} < now() - make_interval(secs => ${maxAgeMs / 1000})`);
  return deleted.count;
}
