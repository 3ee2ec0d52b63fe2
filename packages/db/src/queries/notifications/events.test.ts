/**
 * Events the database records by itself (triggers of the notifications migration) and their
 * fan-out: a budget alert, a missed or failed schedule fire and an opened circuit become one event
 * each for an owner subscribed to that kind (none for owners who did not subscribe, nor for a
 * circuit of a model the owner's workflows do not use), and one fan-out turns each into deliveries.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useJobSender, useTestDatabase } from '../../testing/vitest.ts';
import { createUser } from '../users.ts';
import { createWorkflow } from '../workflows.ts';
import { createNotificationChannel, setNotificationSubscription } from './channels.ts';
import { listNotificationDeliveries, pruneNotificationLog } from './deliveries.ts';
import { fanOutNotificationEvent, pendingNotificationEventIds } from './events.ts';

const database = useTestDatabase();
const jobs = useJobSender(database);

const agentOn = (model: string) => ({
  nodes: [
    {
      id: 'a1',
      type: 'agent',
      name: 'A',
      position: { x: 0, y: 0 },
      config: { provider: 'mock', model: 'echo', fallback: [{ provider: 'openai', model }] },
    },
  ],
  edges: [],
});

async function subscribedOwner(subscribe: boolean) {
  const db = database.db;
  const user = await createUser(db, { email: `n${randomUUID()}@example.com`, name: '', passwordHash: 'x' });
  const workflow = await createWorkflow(db, user.id, {
    name: 'w',
    definition: agentOn('gpt-notify') as never,
  });
  if (subscribe) {
    const id = randomUUID();
    await createNotificationChannel(db, user.id, {
      id,
      name: 'mail',
      kind: 'email',
      target: 'x@example.com',
      digestMinutes: 0,
      secret: null,
    });
    await setNotificationSubscription(db, user.id, {
      channelId: id,
      workflowId: null,
      events: ['budget_threshold', 'schedule_failed', 'circuit_opened'],
    });
  }
  return { ownerId: user.id, workflowId: workflow.id };
}

const eventsOf = (ownerId: string) =>
  database.sql<{ id: string; kind: string; payload: Record<string, unknown> }[]>`
    select id, kind, payload from notification_events where owner_id = ${ownerId} order by created_at, kind`;

describe('notification events recorded by the database', () => {
  it('records budget, schedule and circuit events once for subscribed owners only', async () => {
    const sql = database.sql;
    const subscribed = await subscribedOwner(true);
    const silent = await subscribedOwner(false);
    for (const owner of [subscribed, silent]) {
      const [budget] = await sql<{ id: string }[]>`
        insert into budgets (owner_id, workflow_id, monthly_limit_micros, period)
        values (${owner.ownerId}, ${owner.workflowId}, 1000000, '2026-12') returning id`;
      await sql`
        insert into budget_alerts (budget_id, owner_id, period, threshold, spent_micros, limit_micros)
        values (${budget!.id}, ${owner.ownerId}, '2026-12', 80, 800000, 1000000)`;
      const [schedule] = await sql<{ id: string }[]>`
        insert into workflow_schedules (workflow_id, owner_id, cron, timezone)
        values (${owner.workflowId}, ${owner.ownerId}, '0 * * * *', 'UTC') returning id`;
      await sql`insert into schedule_fires (schedule_id, fire_at, outcome, reason)
        values (${schedule!.id}, now() - interval '2 hours', 'missed', 'no runner was up')`;
      const [fire] = await sql<{ id: string }[]>`insert into schedule_fires (schedule_id, fire_at, outcome)
        values (${schedule!.id}, now() - interval '1 hour', 'queued') returning id`;
      await sql`update schedule_fires set outcome = 'failed', reason = 'retries used up' where id = ${fire!.id}`;
      // Written again with the same outcome: still one event.
      await sql`update schedule_fires set outcome = 'failed' where id = ${fire!.id}`;
    }
    // One circuit of a model the owners use (as a fallback), one of a model nobody uses.
    await sql`insert into provider_breakers (provider, model, state, opened_at)
      values ('openai', 'gpt-notify', 'open', now()), ('openai', 'gpt-unused', 'open', now())`;

    const events = await eventsOf(subscribed.ownerId);
    expect(events.map((e) => e.kind).sort()).toEqual([
      'budget_threshold',
      'circuit_opened',
      'schedule_failed',
      'schedule_failed',
    ]);
    expect(events.find((e) => e.kind === 'budget_threshold')!.payload).toMatchObject({ threshold: 80 });
    expect(events.find((e) => e.kind === 'circuit_opened')!.payload).toMatchObject({ model: 'gpt-notify' });
    expect(await eventsOf(silent.ownerId)).toEqual([]);

    // The sweep's work: each event fans out once, a second pass finds nothing.
    const pending = await pendingNotificationEventIds(database.db);
    expect(pending).toEqual(expect.arrayContaining(events.map((e) => e.id)));
    for (const id of events.map((e) => e.id)) {
      expect(await fanOutNotificationEvent(database.db, jobs.sender, id)).toMatchObject({ suppressed: [] });
      expect(await fanOutNotificationEvent(database.db, jobs.sender, id)).toBeNull();
    }
    const deliveries = await listNotificationDeliveries(database.db, subscribed.ownerId);
    expect(deliveries.map((d) => d.eventKind).sort()).toEqual(events.map((e) => e.kind).sort());
    expect(await pendingNotificationEventIds(database.db)).toEqual([]);
  });

  it('prunes fanned-out events older than the retention with their deliveries, never pending ones', async () => {
    const sql = database.sql;
    const owner = await subscribedOwner(true);
    const [budget] = await sql<{ id: string }[]>`
      insert into budgets (owner_id, monthly_limit_micros, period)
      values (${owner.ownerId}, 1000000, '2026-11') returning id`;
    await sql`
      insert into budget_alerts (budget_id, owner_id, period, threshold, spent_micros, limit_micros)
      values (${budget!.id}, ${owner.ownerId}, '2026-11', 50, 500000, 1000000),
             (${budget!.id}, ${owner.ownerId}, '2026-11', 80, 800000, 1000000)`;
    const [old, pending] = await eventsOf(owner.ownerId);
    await fanOutNotificationEvent(database.db, jobs.sender, old!.id);
    await sql`update notification_events set fanned_out_at = now() - interval '100 days' where id = ${old!.id}`;
    await sql`update notification_events set created_at = now() - interval '100 days' where id = ${pending!.id}`;

    expect(await pruneNotificationLog(database.db)).toEqual({ events: 1, deliveries: 0 });
    expect((await eventsOf(owner.ownerId)).map((e) => e.id)).toEqual([pending!.id]);
    expect(await listNotificationDeliveries(database.db, owner.ownerId)).toEqual([]);
  });
});
