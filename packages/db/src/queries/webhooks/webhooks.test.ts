import { randomUUID } from 'node:crypto';
import { NotFoundError, sampleWorkflowDefinition } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { describe, expect, it } from 'vitest';
import { useJobSender, useTestDatabase } from '../../testing/vitest.ts';
import { createUser } from '../users.ts';
import { createWorkflow } from '../workflows.ts';
import {
  acceptWebhookCalls,
  createWebhook,
  findAcceptedWebhookCall,
  findEnabledWebhookForCall,
  getWebhook,
  insertWebhookLog,
  listWebhookLogs,
  listWebhooks,
  pruneWebhookIdempotencyKeys,
  pruneWebhookLogs,
  rotateWebhookSecret,
  updateWebhook,
  type WebhookCallToAccept,
} from './index.ts';

const database = useTestDatabase();
let users = 0;

async function ownedWebhook() {
  const user = await createUser(database.db, {
    email: `hook${++users}@example.com`,
    name: '',
    passwordHash: 'x',
  });
  const workflow = await createWorkflow(database.db, user.id, {
    name: 'w',
    definition: sampleWorkflowDefinition(),
  });
  const webhook = await createWebhook(database.db, user.id, {
    id: randomUUID(),
    workflowId: workflow.id,
    auth: 'signature',
    secret: { secret: 'cipher-1', keyId: 'k1' },
  });
  return { ownerId: user.id, webhook };
}

describe('rotateWebhookSecret', () => {
  it('keeps the old ciphertext as the previous secret for the grace, or drops it', async () => {
    const { ownerId, webhook } = await ownedWebhook();
    const until = new Date(Date.now() + 60_000);
    await rotateWebhookSecret(database.db, ownerId, webhook.id, { secret: 'cipher-2', keyId: 'k1' }, until);
    expect(await findEnabledWebhookForCall(database.db, webhook.id)).toMatchObject({
      secret: 'cipher-2',
      previousSecret: 'cipher-1',
      previousSecretExpiresAt: until,
    });
    await rotateWebhookSecret(database.db, ownerId, webhook.id, { secret: 'cipher-3', keyId: 'k1' }, null);
    expect(await findEnabledWebhookForCall(database.db, webhook.id)).toMatchObject({
      secret: 'cipher-3',
      previousSecret: null,
      previousSecretExpiresAt: null,
    });
  });
});

describe('findEnabledWebhookForCall', () => {
  it('finds an enabled webhook and nothing for a disabled one, as for an unknown id', async () => {
    const { ownerId, webhook } = await ownedWebhook();
    expect(await findEnabledWebhookForCall(database.db, webhook.id)).toMatchObject({ id: webhook.id });
    await updateWebhook(database.db, ownerId, webhook.id, { enabled: false });
    expect(await findEnabledWebhookForCall(database.db, webhook.id)).toBeNull();
    expect(await findEnabledWebhookForCall(database.db, randomUUID())).toBeNull();
  });
});

describe('listWebhooks', () => {
  const jobs = useJobSender(database);
  it('counts the calls its log lists, refused ones included, beside the runs they started', async () => {
    const { ownerId, webhook } = await ownedWebhook();
    for (const status of [400, 401])
      await insertWebhookLog(database.db, {
        webhookId: webhook.id,
        outcome: status === 400 ? 'invalid-input' : 'rejected-signature',
        status,
        latencyMs: 1,
        headers: {},
      });
    await acceptWebhookCalls(database.db, { jobs: jobs.sender, wakeup: null }, [
      {
        log: { webhookId: webhook.id, latencyMs: 1, headers: {} },
        run: {
          ownerId,
          workflowId: webhook.workflowId,
          input: { query: 'q' },
          trigger: 'webhook',
          registry: createNodeRegistry(),
        },
      },
    ]);
    const [item] = await listWebhooks(database.db, ownerId, webhook.workflowId);
    expect(item).toMatchObject({ id: webhook.id, loggedCallCount: 3, triggerCount: 1 });
    expect(await listWebhookLogs(database.db, ownerId, webhook.id)).toHaveLength(3);
  });
});

describe('pruneWebhookLogs', () => {
  it('drops calls past the age limit and all but the newest N per webhook', async () => {
    const first = await ownedWebhook();
    const second = await ownedWebhook();
    // `latencyMs` labels each call; a larger label is a newer call (explicit times: no ties).
    const log = async (webhookId: string, n: number) => {
      const row = await insertWebhookLog(database.db, {
        webhookId,
        outcome: 'rejected-signature',
        status: 401,
        latencyMs: n,
        headers: {},
      });
      await database.sql`
        update webhook_logs set created_at = now() - make_interval(secs => ${1000 - n}) where id = ${row.id}`;
      return row;
    };
    for (let i = 0; i < 5; i++) await log(first.webhook.id, i);
    const old = await log(second.webhook.id, 99);
    await log(second.webhook.id, 100);
    await database.sql`update webhook_logs set created_at = now() - interval '40 days' where id = ${old.id}`;

    const pruned = await pruneWebhookLogs(database.db, { maxAgeMs: 30 * 86_400_000, maxPerWebhook: 3 });
    expect(pruned).toBe(3);
    const kept = await listWebhookLogs(database.db, first.ownerId, first.webhook.id);
    expect(kept.map((l) => l.latencyMs)).toEqual([4, 3, 2]);
    const other = await listWebhookLogs(database.db, second.ownerId, second.webhook.id);
    expect(other.map((l) => l.latencyMs)).toEqual([100]);
  });
});

describe('acceptWebhookCalls (group commit)', () => {
  const registry = createNodeRegistry();
  const jobs = useJobSender(database);
  const accept = (calls: WebhookCallToAccept[]) =>
    acceptWebhookCalls(database.db, { jobs: jobs.sender, wakeup: null }, calls);

  function callOf(
    hook: Awaited<ReturnType<typeof ownedWebhook>>,
    messageId: string | null,
    extra: { limit?: number; workflowId?: string } = {},
  ): WebhookCallToAccept {
    return {
      log: { webhookId: hook.webhook.id, messageId, latencyMs: 1, headers: {} },
      deliveryKey: messageId,
      run: {
        ownerId: hook.ownerId,
        workflowId: extra.workflowId ?? hook.webhook.workflowId,
        input: { query: messageId ?? 'no id' },
        trigger: 'webhook',
        registry,
      },
      ...(extra.limit !== undefined
        ? { rateLimit: { key: `webhook:${hook.webhook.id}`, windowSeconds: 3600, limit: extra.limit } }
        : {}),
    };
  }

  const executionIdsOf = (answers: Awaited<ReturnType<typeof accept>>) =>
    answers.map((answer) =>
      answer.status === 'fulfilled' && 'duplicate' in answer.value ? answer.value.executionId : null,
    );

  it('starts the runs of all the calls in one transaction, each log row linked to its own run and job', async () => {
    const hook = await ownedWebhook();
    const answers = await accept([callOf(hook, 'm1'), callOf(hook, 'm2'), callOf(hook, null)]);
    expect(
      answers.map((a) => a.status === 'fulfilled' && 'duplicate' in a.value && a.value.duplicate),
    ).toEqual([false, false, false]);
    const ids = executionIdsOf(answers) as string[];
    expect(new Set(ids).size).toBe(3);
    // One transaction: every row it wrote carries its transaction id.
    const rows = await database.sql<{ id: string; xmin: string; input: { query: string } }[]>`
      select id, xmin::text, input from executions where id = any(${ids}::uuid[])`;
    expect(new Set(rows.map((row) => row.xmin)).size).toBe(1);
    const inputs = new Map(rows.map((row) => [row.id, row.input.query]));
    expect(ids.map((id) => inputs.get(id))).toEqual(['m1', 'm2', 'no id']);
    const logs = await listWebhookLogs(database.db, hook.ownerId, hook.webhook.id);
    expect(new Map(logs.map((log) => [log.executionId, log.messageId]))).toEqual(
      new Map([
        [ids[0], 'm1'],
        [ids[1], 'm2'],
        [ids[2], null],
      ]),
    );
    const jobRows = await database.sql<{ executionId: string }[]>`
      select data->>'executionId' as "executionId" from pgboss.job where name = 'run'
        and data->>'executionId' = any(${ids})`;
    expect(jobRows).toHaveLength(3);
    expect((await getWebhook(database.db, hook.ownerId, hook.webhook.id)).triggerCount).toBe(3);
  });

  it('answers a replay within the batch and of an earlier call with the first run', async () => {
    const hook = await ownedWebhook();
    const first = await accept([callOf(hook, 'once'), callOf(hook, 'twice'), callOf(hook, 'once')]);
    const [onceId, twiceId, replayId] = executionIdsOf(first);
    expect(first[2]).toEqual({ status: 'fulfilled', value: { duplicate: true, executionId: onceId } });
    expect(replayId).toBe(onceId);
    const later = await accept([callOf(hook, 'twice'), callOf(hook, 'new')]);
    expect(later[0]).toEqual({ status: 'fulfilled', value: { duplicate: true, executionId: twiceId } });
    const [counted] = await database.sql<{ runs: number }[]>`
      select count(*)::int as runs from executions where workflow_id = ${hook.webhook.workflowId}`;
    expect(counted!.runs).toBe(3);
    expect((await getWebhook(database.db, hook.ownerId, hook.webhook.id)).triggerCount).toBe(3);
  });

  it('gives a call that fails its checks its error, and accepts the others of its batch', async () => {
    const hook = await ownedWebhook();
    const answers = await accept([
      callOf(hook, 'good-1', { limit: 10 }),
      callOf(hook, 'bad', { limit: 10, workflowId: randomUUID() }),
      callOf(hook, 'good-2', { limit: 10 }),
    ]);
    expect(answers[1]!.status).toBe('rejected');
    expect((answers[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    const ids = executionIdsOf(answers);
    expect(ids[0]).toEqual(expect.any(String));
    expect(ids[2]).toEqual(expect.any(String));
    const logs = await listWebhookLogs(database.db, hook.ownerId, hook.webhook.id);
    // The refused call claims no message id and is not counted (its caller logs and counts it).
    expect(logs.map((log) => log.messageId).sort()).toEqual(['good-1', 'good-2']);
    const [counter] = await database.sql<{ count: number }[]>`
      select count from rate_limit_counters where key = ${`webhook:${hook.webhook.id}`}`;
    expect(counter!.count).toBe(2);
  });

  it('accepts calls in batch order up to the rate limit and refuses the rest without a trace', async () => {
    const hook = await ownedWebhook();
    await accept([callOf(hook, 'a', { limit: 3 })]);
    const answers = await accept([
      callOf(hook, 'b', { limit: 3 }),
      callOf(hook, 'c', { limit: 3 }),
      callOf(hook, 'd', { limit: 3 }),
      callOf(hook, 'a', { limit: 3 }),
    ]);
    expect(
      answers.map((a) => a.status === 'fulfilled' && ('rateLimited' in a.value || a.value.duplicate)),
    ).toEqual([false, false, true, true]);
    expect(answers[2]).toEqual({ status: 'fulfilled', value: { rateLimited: true, count: 4 } });
    expect(answers[3]).toMatchObject({ status: 'fulfilled', value: { duplicate: true } });
    const logs = await listWebhookLogs(database.db, hook.ownerId, hook.webhook.id);
    expect(logs.map((log) => log.messageId).sort()).toEqual(['a', 'b', 'c']);
    const [counter] = await database.sql<{ count: number }[]>`
      select count from rate_limit_counters where key = ${`webhook:${hook.webhook.id}`}`;
    expect(counter!.count).toBe(3);
    expect((await getWebhook(database.db, hook.ownerId, hook.webhook.id)).triggerCount).toBe(3);
  });

  const keysOf = async (webhookId: string) =>
    (
      await database.sql<{ key: string }[]>`
        select delivery_key as key from webhook_idempotency_keys where webhook_id = ${webhookId}
        order by delivery_key`
    ).map((row) => row.key);

  it("writes each keyed call's idempotency key in its run's transaction, naming the run", async () => {
    const hook = await ownedWebhook();
    const answers = await accept([callOf(hook, 'k1'), callOf(hook, null)]);
    const [keyedRun, keylessRun] = executionIdsOf(answers);
    const rows = await database.sql<
      { key: string; execution_id: string; key_xmin: string; run_xmin: string }[]
    >`
      select k.delivery_key as key, k.execution_id, k.xmin::text as key_xmin, e.xmin::text as run_xmin
      from webhook_idempotency_keys k join executions e on e.id = k.execution_id
      where k.webhook_id = ${hook.webhook.id}`;
    expect(rows).toEqual([
      { key: 'k1', execution_id: keyedRun, key_xmin: rows[0]!.run_xmin, run_xmin: expect.any(String) },
    ]);
    expect(keylessRun).toEqual(expect.any(String));
    expect(await findAcceptedWebhookCall(database.db, hook.webhook.id, 'k1')).toEqual({
      executionId: keyedRun,
    });
  });

  it('leaves no key for a call refused by its checks or over the limit: its retry may start a run', async () => {
    const hook = await ownedWebhook();
    await accept([callOf(hook, 'first', { limit: 2 })]);
    const answers = await accept([
      callOf(hook, 'bad', { limit: 2, workflowId: randomUUID() }),
      callOf(hook, 'fits', { limit: 2 }),
      callOf(hook, 'over', { limit: 2 }),
    ]);
    expect(answers.map((a) => (a.status === 'rejected' ? 'rejected' : Object.keys(a.value)[0]))).toEqual([
      'rejected',
      'duplicate',
      'rateLimited',
    ]);
    expect(await keysOf(hook.webhook.id)).toEqual(['first', 'fits']);
    const retried = await accept([callOf(hook, 'over', { limit: 10 }), callOf(hook, 'bad', { limit: 10 })]);
    expect(
      retried.map((a) => a.status === 'fulfilled' && 'duplicate' in a.value && a.value.duplicate),
    ).toEqual([false, false]);
  });

  it('starts one run for one key delivered in racing transactions', async () => {
    const hook = await ownedWebhook();
    // Separate calls of acceptWebhookCalls: separate transactions, the later ones waiting on the key.
    const answers = (await Promise.all([1, 2, 3].map(() => accept([callOf(hook, 'raced')])))).map(
      (a) => a[0]!,
    );
    const ids = executionIdsOf(answers);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toEqual(expect.any(String));
    expect(
      answers.map((a) => a.status === 'fulfilled' && 'duplicate' in a.value && a.value.duplicate).sort(),
    ).toEqual([false, true, true]);
    const [counted] = await database.sql<{ runs: number }[]>`
      select count(*)::int as runs from executions where workflow_id = ${hook.webhook.workflowId}`;
    expect(counted!.runs).toBe(1);
  });
});

describe('webhook idempotency keys and pruning', () => {
  const registry = createNodeRegistry();
  const jobs = useJobSender(database);

  it('keep a delivery a duplicate after log pruning dropped its accepted call; only age removes them', async () => {
    const hook = await ownedWebhook();
    const call = (messageId: string): WebhookCallToAccept => ({
      log: { webhookId: hook.webhook.id, messageId, latencyMs: 1, headers: {} },
      deliveryKey: messageId,
      run: {
        ownerId: hook.ownerId,
        workflowId: hook.webhook.workflowId,
        input: { query: messageId },
        trigger: 'webhook',
        registry,
      },
    });
    const accept = (messageId: string) =>
      acceptWebhookCalls(database.db, { jobs: jobs.sender, wakeup: null }, [call(messageId)]);
    const [first] = await accept('old');
    const [second] = await accept('young');
    const runOf = (answer: typeof first) =>
      (answer as PromiseFulfilledResult<{ executionId: string }>).value.executionId;

    // Pruning the log to nothing leaves the keys: both stay duplicates.
    await pruneWebhookLogs(database.db, { maxAgeMs: 30 * 86_400_000, maxPerWebhook: 0 });
    expect(await listWebhookLogs(database.db, hook.ownerId, hook.webhook.id)).toEqual([]);
    expect(await accept('old')).toEqual([
      { status: 'fulfilled', value: { duplicate: true, executionId: runOf(first) } },
    ]);

    // Keys go by age alone: 8 days old with a 7-day retention goes, a fresh one stays.
    await database.sql`
      update webhook_idempotency_keys set created_at = now() - interval '8 days'
      where webhook_id = ${hook.webhook.id} and delivery_key = 'old'`;
    const pruned = await pruneWebhookIdempotencyKeys(database.db, 7 * 86_400_000);
    expect(pruned).toBeGreaterThanOrEqual(1);
    expect(await findAcceptedWebhookCall(database.db, hook.webhook.id, 'old')).toBeNull();
    expect(await findAcceptedWebhookCall(database.db, hook.webhook.id, 'young')).toEqual({
      executionId: runOf(second),
    });
    // Past its retention a delivery counts as new again.
    const [again] = await accept('old');
    expect(again).toMatchObject({ status: 'fulfilled', value: { duplicate: false } });
  });
});
