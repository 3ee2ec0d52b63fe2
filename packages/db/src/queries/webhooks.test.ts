import { randomUUID } from 'node:crypto';
import { createNodeRegistry, NotFoundError, sampleWorkflowDefinition } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import { useJobSender, useTestDatabase } from '../testing/vitest.ts';
import { createUser } from './users.ts';
import {
  acceptWebhookCalls,
  createWebhook,
  findEnabledWebhookForCall,
  getWebhook,
  insertWebhookLog,
  listWebhookLogs,
  pruneWebhookLogs,
  rotateWebhookSecret,
  type WebhookCallToAccept,
} from './webhooks.ts';
import { createWorkflow } from './workflows.ts';

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
});
