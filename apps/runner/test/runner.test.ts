import { QUEUE_SCHEMA } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { PgBoss } from 'pg-boss';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../src/runner.ts';

const database = useTestDatabase();
let runner: ReturnType<typeof createRunner>;
let sender: PgBoss;

beforeAll(async () => {
  runner = createRunner({
    databaseUrl: database.url,
    logger: pino({ level: 'silent' }),
    poolSize: 3,
    drainSeconds: 5,
    // Two days instead of the default seven (WEBHOOK_IDEMPOTENCY_DAYS): the option reaches the job.
    maintenance: { webhookIdempotencyMs: 2 * 86_400_000 },
  });
  await runner.start();
  // Stands in for the API: a plain pg-boss client that only enqueues.
  sender = new PgBoss({
    connectionString: database.url,
    schema: QUEUE_SCHEMA,
    migrate: false,
    supervise: false,
    schedule: false,
  });
  await sender.start();
});

afterAll(async () => {
  await sender?.stop({ graceful: false });
  await runner?.stop();
});

describe('runner', () => {
  it('declares the maintenance cron schedule once, however many times it starts', async () => {
    const second = createRunner({
      databaseUrl: database.url,
      logger: pino({ level: 'silent' }),
      poolSize: 2,
      drainSeconds: 1,
    });
    await second.start();
    await second.stop();
    const schedules = await sender.getSchedules('maintenance');
    expect(schedules.map((s) => ({ cron: s.cron, key: s.key, tz: s.timezone }))).toEqual([
      { cron: '17 * * * *', key: 'catalog', tz: 'UTC' },
    ]);
  });

  it('runs an enqueued maintenance job: expired sessions, old rate-limit windows, health buckets, run watchers, webhook logs and idempotency keys go, live ones stay', async () => {
    const sql = database.sql;
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, password_hash) values ('m@example.com', 'x') returning id`;
    await sql`insert into sessions (user_id, token_hash, expires_at) values
      (${user!.id}, 'expired', now() - interval '1 minute'),
      (${user!.id}, 'live', now() + interval '1 day')`;
    await sql`insert into rate_limit_counters (key, window_start, count) values
      ('login:old', now() - interval '2 days', 3),
      ('login:new', now(), 1)`;
    await sql`insert into provider_health_buckets (provider, model, bucket_start, successes) values
      ('mock', 'echo', now() - interval '8 days', 1),
      ('mock', 'echo', date_trunc('minute', now()), 1)`;
    const [run] = await sql<{ id: string; workflow_id: string }[]>`
      with w as (insert into workflows (owner_id, name, definition) values (${user!.id}, 'w', '{}') returning id)
      insert into executions (workflow_id, owner_id, definition, trigger, input)
      select id, ${user!.id}, '{}', 'api', 'null' from w returning id, workflow_id`;
    const [hook] = await sql<{ id: string }[]>`
      insert into workflow_webhooks (workflow_id, owner_id, auth, secret, secret_key_id)
      values (${run!.workflow_id}, ${user!.id}, 'signature', 'x', 'k') returning id`;
    // The log goes by its own rules (30 days); the keys by the runner's option (2 days here) alone.
    await sql`insert into webhook_logs (webhook_id, outcome, status, latency_ms, headers, execution_id, message_id, created_at)
      values (${hook!.id}, 'accepted', 202, 1, '{}', ${run!.id}, 'three-days', now() - interval '40 days')`;
    await sql`insert into webhook_idempotency_keys (webhook_id, delivery_key, execution_id, created_at) values
      (${hook!.id}, 'three-days', ${run!.id}, now() - interval '3 days'),
      (${hook!.id}, 'one-day', ${run!.id}, now() - interval '1 day')`;
    await sql`insert into run_watchers (execution_id, watcher_id, expires_at) values
      (${run!.id}, gen_random_uuid(), now() - interval '1 second'),
      (${run!.id}, '00000000-0000-4000-8000-000000000001', now() + interval '90 seconds')`;

    const jobId = await sender.send('maintenance', {});
    expect(jobId).toBeTruthy();

    await expect
      .poll(async () => (await sender.findJobs('maintenance', { id: jobId! }))[0]?.state, { timeout: 15_000 })
      .toBe('completed');
    expect((await sql`select token_hash from sessions order by token_hash`).map((r) => r.token_hash)).toEqual(
      ['live'],
    );
    expect((await sql`select key from rate_limit_counters`).map((r) => r.key)).toEqual(['login:new']);
    expect(await sql`select 1 from provider_health_buckets`).toHaveLength(1);
    expect((await sql`select watcher_id from run_watchers`).map((r) => r.watcher_id)).toEqual([
      '00000000-0000-4000-8000-000000000001',
    ]);
    expect(await sql`select 1 from webhook_logs`).toHaveLength(0);
    expect((await sql`select delivery_key from webhook_idempotency_keys`).map((r) => r.delivery_key)).toEqual(
      ['one-day'],
    );
  });

  it('fails a job whose payload does not match the catalog schema', async () => {
    const jobId = await sender.send('maintenance', { unexpected: 'x' }, { retryLimit: 0 });
    await expect
      .poll(async () => (await sender.findJobs('maintenance', { id: jobId! }))[0]?.state, { timeout: 15_000 })
      .toBe('failed');
    const [job] = await sender.findJobs('maintenance', { id: jobId! });
    expect(JSON.stringify(job?.output)).toMatch(/unexpected/);
  });
});
