import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/vitest.ts';
import { createUser } from './users.ts';
import {
  createWebhook,
  findWebhookForCall,
  insertWebhookLog,
  listWebhookLogs,
  pruneWebhookLogs,
  rotateWebhookSecret,
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
    definition: { nodes: [], edges: [] },
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
    expect(await findWebhookForCall(database.db, webhook.id)).toMatchObject({
      secret: 'cipher-2',
      previousSecret: 'cipher-1',
      previousSecretExpiresAt: until,
    });
    await rotateWebhookSecret(database.db, ownerId, webhook.id, { secret: 'cipher-3', keyId: 'k1' }, null);
    expect(await findWebhookForCall(database.db, webhook.id)).toMatchObject({
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
