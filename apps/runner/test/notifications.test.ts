/**
 * Notifications end to end on three real runners (one database, one queue): a failed run is told
 * once per subscribed channel — by email to a real SMTP server, to a Slack-compatible receiver and
 * to a webhook receiver that checks the Standard Webhooks signature with the sender-side library —
 * a receiver that fails twice gets the third try, and a workflow failing over and over inside a
 * channel's quiet window is counted into one digest instead of a message each.
 */
import { randomUUID } from 'node:crypto';
import {
  createJobSender,
  createNotificationChannel,
  type Db,
  deliveryForSending,
  listNotificationDeliveries,
  type NotificationChannelKind,
  setNotificationSubscription,
} from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { deliverNotification, encryptChannelSecret } from '@swarm/notifications';
import { createSecretKeyring, generateSecretKey } from '@swarm/providers/store';
import { generateWebhookSecret } from '@swarm/webhooks';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationServices } from '../src/notifications.ts';
import { createRunner } from '../src/runner.ts';
import { agentChain, ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';
import { startHttpReceiver, startSmtpReceiver } from './notification-kit.ts';

const database = useTestDatabase();
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
const keyring = createSecretKeyring({ current: generateSecretKey() })!;
let jobs: ReturnType<typeof createJobSender>;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
const runners: ReturnType<typeof createRunner>[] = [];

beforeAll(async () => {
  smtp = await startSmtpReceiver();
  receiver = await startHttpReceiver();
  jobs = createJobSender(database);
  await jobs.start();
  for (let i = 0; i < 3; i++) {
    const runner = createRunner({
      databaseUrl: database.url,
      logger,
      poolSize: 3,
      drainSeconds: 5,
      pollSeconds: 0.5,
      scheduler: false,
      // The receivers listen on loopback: the operator's allow-list opens it, as in production.
      http: { allowedPrivateRanges: ['127.0.0.0/8'] },
      notifications: { secretKeys: keyring, smtpUrl: smtp.url, publicUrl: 'https://swarm.example.com' },
    });
    await runner.start();
    runners.push(runner);
  }
});

afterAll(async () => {
  for (const runner of runners) await runner.stop();
  await jobs?.stop();
  await receiver?.close();
  await smtp?.close();
});

async function addChannel(
  db: Db,
  ownerId: string,
  kind: NotificationChannelKind,
  target: string,
  options: { digestMinutes?: number; secret?: string } = {},
) {
  const id = randomUUID();
  const channel = await createNotificationChannel(db, ownerId, {
    id,
    name: `${kind} channel`,
    kind,
    target,
    digestMinutes: options.digestMinutes ?? 0,
    secret: options.secret ? encryptChannelSecret(keyring, ownerId, id, options.secret) : null,
  });
  await setNotificationSubscription(db, ownerId, { channelId: id, workflowId: null, events: ['run_failed'] });
  return channel;
}

async function settledDeliveries(db: Db, ownerId: string, count: number) {
  await expect
    .poll(
      async () =>
        (await listNotificationDeliveries(db, ownerId)).filter(
          (d) => d.status === 'sent' || d.status === 'failed',
        ).length,
      { timeout: 30_000, interval: 100 },
    )
    .toBe(count);
  return listNotificationDeliveries(db, ownerId);
}

describe('notifications on three runners', () => {
  it('tells each failed run once per channel: email, Slack and a signed webhook', async () => {
    const db = database.db;
    const owner = await ownerWithWorkflow(db, agentChain(['fail:invalid']));
    const secret = generateWebhookSecret('signature');
    receiver.expectSignedWith('/hook-a', secret);
    await addChannel(db, owner.ownerId, 'email', 'ops@example.com');
    await addChannel(db, owner.ownerId, 'webhook', receiver.url('/hook-a'), { secret });
    await addChannel(db, owner.ownerId, 'slack', '127.0.0.1', { secret: receiver.url('/slack-a') });

    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await startRun(db, jobs.sender, owner));
    for (const run of runs) expect((await waitForRun(db, owner, run.id)).status).toBe('failed');

    const deliveries = await settledDeliveries(db, owner.ownerId, 9);
    expect(deliveries.every((d) => d.status === 'sent' && d.attempts === 1)).toBe(true);
    expect(new Set(deliveries.map((d) => d.executionId))).toEqual(new Set(runs.map((r) => r.id)));

    const mails = smtp.mails.filter((m) => m.to.includes('ops@example.com'));
    expect(mails).toHaveLength(3);
    expect(mails[0]!.text).toContain('Subject: [SWARM] Run failed');
    expect(mails[0]!.text).toMatch(/at node Agent 1 \(a1\)/);
    expect(mails[0]!.text).toContain('https://swarm.example.com/runs/');

    const hooks = receiver.calls.filter((c) => c.path === '/hook-a');
    expect(hooks).toHaveLength(3);
    expect(hooks.every((c) => c.answered === 204)).toBe(true);
    expect(new Set(hooks.map((c) => c.headers['webhook-id'])).size).toBe(3);
    const payload = hooks[0]!.verified as { type: string; data: { nodeId: string; error: { code: string } } };
    expect(payload.type).toBe('run_failed');
    expect(payload.data.nodeId).toBe('a1');
    // The signing secret never travels: not in the body, not in a header.
    expect(JSON.stringify(hooks)).not.toContain(secret.slice(6));

    const slack = receiver.calls.filter((c) => c.path === '/slack-a');
    expect(slack).toHaveLength(3);
    expect(JSON.parse(slack[0]!.body).text).toContain('Run failed');
  });

  it('retries a receiver that failed twice, and the third try is delivered', async () => {
    const db = database.db;
    const owner = await ownerWithWorkflow(db, agentChain(['fail:invalid']));
    const secret = generateWebhookSecret('signature');
    receiver.expectSignedWith('/flaky', secret);
    receiver.failNext('/flaky', 2);
    await addChannel(db, owner.ownerId, 'webhook', receiver.url('/flaky'), { secret });

    const run = await startRun(db, jobs.sender, owner);
    await waitForRun(db, owner, run.id);
    const [delivery] = await settledDeliveries(db, owner.ownerId, 1);
    expect(delivery).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
    const calls = receiver.calls.filter((c) => c.path === '/flaky');
    expect(calls.map((c) => c.answered)).toEqual([503, 503, 204]);
    // The same message each time: a receiver can tell a retry by its id.
    expect(new Set(calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([delivery!.id]));
  });

  it('counts failures inside the quiet window into one digest instead of a mail each', async () => {
    const db = database.db;
    const owner = await ownerWithWorkflow(db, agentChain(['fail:invalid']));
    await addChannel(db, owner.ownerId, 'email', 'quiet@example.com', { digestMinutes: 60 });

    for (let i = 0; i < 4; i++) {
      const run = await startRun(db, jobs.sender, owner);
      await waitForRun(db, owner, run.id);
    }
    await expect
      .poll(async () => (await listNotificationDeliveries(db, owner.ownerId)).length, { timeout: 30_000 })
      .toBe(5);
    const deliveries = await listNotificationDeliveries(db, owner.ownerId);
    const byStatus = (kind: string, status: string) =>
      deliveries.filter((d) => d.kind === kind && d.status === status);
    await settledDeliveries(db, owner.ownerId, 1);
    expect(byStatus('event', 'suppressed')).toHaveLength(3);
    const [digest] = byStatus('digest', 'pending');
    expect(digest).toMatchObject({ digestCount: 3 });
    expect(smtp.mails.filter((m) => m.to.includes('quiet@example.com'))).toHaveLength(1);

    // The digest waits for the window's end (an hour); send it now, as its job will then.
    expect((await deliveryForSending(db, digest!.id))!.sendAfter!.getTime()).toBeGreaterThan(Date.now());
    const services = createNotificationServices({
      db,
      jobs: jobs.sender,
      registry: undefined as never,
      logger,
      secretKeys: keyring,
      smtpUrl: smtp.url,
    });
    try {
      expect(await deliverNotification(services, digest!.id)).toBe('sent');
    } finally {
      services.close();
    }
    const quiet = smtp.mails.filter((m) => m.to.includes('quiet@example.com'));
    expect(quiet).toHaveLength(2);
    expect(quiet[1]!.text).toContain('3 more');
  });

  it('refuses a channel URL on a private address without the operator allow-list', async () => {
    const db = database.db;
    const owner = await ownerWithWorkflow(db, agentChain(['echo']));
    const secret = generateWebhookSecret('signature');
    const channel = await addChannel(db, owner.ownerId, 'webhook', receiver.url('/private'), { secret });
    // A test delivery at its last allowed try, with no job (so none of the runners above, whose
    // allow-list opens loopback, takes it): sent by hand with the default guard.
    const [row] = await database.sql<{ id: string }[]>`
      insert into notification_deliveries (owner_id, channel_id, kind, attempts)
      values (${owner.ownerId}, ${channel.id}, 'test', 5) returning id`;
    const services = createNotificationServices({
      db,
      jobs: jobs.sender,
      registry: undefined as never,
      logger,
      secretKeys: keyring,
    });
    expect(await deliverNotification(services, row!.id)).toBe('failed');
    const [delivery] = await listNotificationDeliveries(db, owner.ownerId, { channelId: channel.id });
    expect(delivery).toMatchObject({ status: 'failed', attempts: 6 });
    expect(delivery!.lastError).toMatch(/127\.0\.0\.1|loopback|private/i);
    expect(receiver.calls.filter((c) => c.path === '/private')).toEqual([]);
  });
});
