/**
 * The idempotency keys of accepted webhook calls (`webhook_idempotency_keys`): which run a delivery
 * key started, and how long keys are remembered. The keys live apart from the call log because the
 * log is pruned by count whatever the outcome (a flood of refused calls pushes accepted ones out);
 * the keys go by age only. They are written by `acceptWebhookCalls` (accept.ts).
 */
import { eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { executions, webhookIdempotencyKeys } from '../../schema/index.ts';

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

/**
 * The runs earlier accepted calls with these delivery keys started, in one statement (a run deleted
 * since: `executionId` null).
 */
export async function findAcceptedWebhookCalls(
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
