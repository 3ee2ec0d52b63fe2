/**
 * Accepting webhook calls: one transaction for a whole batch of them (`acceptWebhookCalls`; the API
 * batches concurrent calls, group commit). The idempotency keys of the calls that carry one go in
 * first, in one multi-row insert that does nothing for a key taken before — that insert is the
 * duplicate guard — then the runs and their jobs, the log rows (already linked to their runs) and
 * the webhooks' counters. Two deliveries of one key racing each other in different transactions:
 * the second insert waits on the first's lock and then does nothing, so it returns the first run
 * and creates nothing; in one batch the multi-row insert itself skips the second. A failed check
 * rolls it back, so no key claims a run that never started.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { commitWithLastWrites, type Db } from '../../client.ts';
import { transactionAnnouncingRuns } from '../../run-wakeup.ts';
import {
  rateLimitCounters,
  webhookIdempotencyKeys,
  webhookLogs,
  workflowWebhooks,
} from '../../schema/index.ts';
import { createExecutions } from '../executions/index.ts';
import { recordsetInsert } from '../executions/recordset.ts';
import { rateWindowStart } from '../rate-limits.ts';
import {
  type PreparedRun,
  prepareRunTarget,
  RunChecksFailed,
  type RunQueue,
  type RunRequest,
  runTargetsOf,
  settleWithoutFailedChecks,
  withRunInput,
} from '../start-run.ts';
import { logValues, type NewWebhookLog } from './calls.ts';
import { findAcceptedWebhookCalls } from './idempotency.ts';

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
  /** The time whose window counts the call; default the database clock (see `rateWindowStart`). */
  at?: Date | undefined;
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

/** The accepted calls' log rows as one fixed statement (drizzle writes a new text per row count). */
const insertAcceptedLogs = recordsetInsert(webhookLogs, [
  'id',
  'webhookId',
  'source',
  'messageId',
  'event',
  'outcome',
  'status',
  'latencyMs',
  'ip',
  'headers',
  'body',
  'bodyTruncated',
  'error',
  'executionId',
  'replayOf',
]);

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
  return settleWithoutFailedChecks(calls, (pending) => acceptInOneTransaction(db, queue, pending));
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
    // repeats repeat, and the rate-limit hits of the fresh calls. The statements a batch always
    // sends are SQL templates, not drizzle's query builders: a builder costs 40–60 µs to turn into
    // text, a template 5–8 µs (measured on the 2-vCPU test VM), and a batch pays it every time.
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
          tx.execute<{ count: number }>(sql`
            insert into ${rateLimitCounters} (key, window_start, count)
            values (${rateLimit.key}, ${rateWindowStart(rateLimit.windowSeconds, rateLimit.at)}, ${hits.length})
            on conflict (key, window_start) do update
              set count = ${rateLimitCounters}.count + excluded.count
            returning count`),
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
    if (failures.size > 0) throw new RunChecksFailed(failures);

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

    // The writes and the commit in one last round trip — the runs first (`createExecutions` sends
    // their insert before it returns; the log rows reference them), the hot rows at the very end so
    // other processes' batches wait on them only for the commit, which follows at once.
    const logIds = new Map(runs.map((run) => [run.call, randomUUID()]));
    const writes = Promise.all([
      createExecutions(
        tx,
        queue.jobs,
        runs.map((run) => ({ ...run.prepared, id: runIds[run.call]! })),
      ),
      runs.length > 0
        ? tx.execute(
            insertAcceptedLogs.values(
              runs.map((run) => ({
                ...logValues({
                  ...calls[run.call]!.log,
                  outcome: 'accepted',
                  status: 202,
                  executionId: runIds[run.call]!,
                }),
                id: logIds.get(run.call)!,
              })),
            ),
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
              eq(rateLimitCounters.windowStart, rateWindowStart(rateLimit.windowSeconds, rateLimit.at)),
            ),
          ),
      ),
      ...[...triggered.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([webhookId, count]) =>
          tx.execute(sql`
            update ${workflowWebhooks}
            set trigger_count = trigger_count + ${count}, last_triggered_at = now()
            where id = ${webhookId}`),
        ),
    ]);
    await commitWithLastWrites(tx, writes);

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
