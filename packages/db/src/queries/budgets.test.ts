/**
 * Budgets against a real database: twenty concurrent reservations against a blocking budget never
 * overspend it, a refused reservation leaves the other budget untouched, alerts are recorded once
 * per threshold and month, a new month starts from zero, spend is picked up from the ledger when a
 * budget is created, and bad input is refused naming the field.
 */
import { DomainError, sampleWorkflowDefinition } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { seededRandom, testRandom } from '@swarm/engine/testing/seeded-random';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/vitest.ts';
import {
  assertWithinBudget,
  BudgetExceededError,
  createBudget,
  createBudgetSchema,
  deleteBudget,
  formatMicrosAsDollars,
  listBudgetAlerts,
  listBudgets,
  reserveBudgets,
  settleBudgets,
  updateBudget,
  updateBudgetSchema,
} from './budgets.ts';
import { prepareRun } from './start-run.ts';
import { createUser } from './users.ts';
import { createWorkflow } from './workflows.ts';

const database = useTestDatabase();
let n = 0;

async function someWorkflow(name = 'Researcher') {
  n += 1;
  const user = await createUser(database.db, { email: `b${n}@example.com`, name: 'B', passwordHash: 'x' });
  const workflow = await createWorkflow(database.db, user.id, {
    name,
    definition: sampleWorkflowDefinition(),
  });
  return { ownerId: user.id, workflowId: workflow.id };
}

const budget = (input: object) => createBudgetSchema.parse(input);

describe('budget reservations', () => {
  it('lets twenty concurrent calls reserve only what fits, and names the budget it refuses', async () => {
    const { ownerId, workflowId } = await someWorkflow('Deep research');
    const perWorkflow = await createBudget(
      database.db,
      ownerId,
      budget({ scope: workflowId, monthlyLimitMicros: 1_000_000, blockWhenExceeded: true }),
    );
    const global = await createBudget(
      database.db,
      ownerId,
      budget({ scope: 'global', monthlyLimitMicros: 50_000_000, blockWhenExceeded: true }),
    );
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        reserveBudgets(database.db, { ownerId, workflowId, estimateMicros: 300_000 }),
      ),
    );
    const granted = attempts.filter((a) => a.status === 'fulfilled');
    const refused = attempts.flatMap((a) => (a.status === 'rejected' ? [a.reason] : []));
    expect(granted).toHaveLength(3);
    expect(refused).toHaveLength(17);
    for (const error of refused) {
      expect(error).toBeInstanceOf(BudgetExceededError);
      expect((error as Error).message).toBe(
        'monthly budget of $1.00 for workflow "Deep research" is exhausted',
      );
    }
    const [w, g] = await Promise.all([
      database.sql<
        { reserved_micros: string }[]
      >`select reserved_micros from budgets where id = ${perWorkflow.id}`,
      database.sql<
        { reserved_micros: string }[]
      >`select reserved_micros from budgets where id = ${global.id}`,
    ]);
    expect(Number(w[0]!.reserved_micros)).toBe(900_000);
    // Refused reservations rolled back their share of the global budget too.
    expect(Number(g[0]!.reserved_micros)).toBe(900_000);
  });

  it('never spends more than the limit plus one call’s overshoot when twenty runs call in a loop', async () => {
    const { ownerId, workflowId } = await someWorkflow();
    const limit = 2_000_000;
    const estimate = 150_000;
    const created = await createBudget(
      database.db,
      ownerId,
      budget({ scope: workflowId, monthlyLimitMicros: limit, blockWhenExceeded: true }),
    );
    let calls = 0;
    // Each run draws from its own stream of the test's seed, so a failure's seed replays every run's
    // call durations and costs (the interleaving itself still depends on the database).
    const { seed } = testRandom();
    const run = async (index: number) => {
      const random = seededRandom(seed + index);
      for (;;) {
        const reservation = await reserveBudgets(database.db, {
          ownerId,
          workflowId,
          estimateMicros: estimate,
        }).catch((e: unknown) => {
          if (e instanceof BudgetExceededError) return null;
          throw e;
        });
        if (!reservation) return;
        calls += 1;
        // The call takes a few milliseconds, so other runs reserve while this one holds its share.
        await new Promise((r) => setTimeout(r, random.next() * 5));
        // Calls cost somewhere between a third of the estimate and 10% over it.
        const actual = Math.round(estimate * (0.33 + random.next() * 0.77));
        await settleBudgets(database.db, reservation, actual);
      }
    };
    await Promise.all(Array.from({ length: 20 }, (_, index) => run(index)));
    const [view] = (await listBudgets(database.db, ownerId)).filter((b) => b.id === created.id);
    expect(calls).toBeGreaterThan(10);
    expect(view!.reservedMicros).toBe(0);
    expect(view!.spentMicros).toBeLessThanOrEqual(limit + estimate);
    expect(view!.blocked || view!.spentMicros + estimate > limit).toBe(true);
  });

  it('reserves nothing and refuses nothing without blocking budgets, but still tracks spend', async () => {
    const { ownerId, workflowId } = await someWorkflow();
    const watch = await createBudget(
      database.db,
      ownerId,
      budget({ scope: 'global', monthlyLimitMicros: 100 }),
    );
    const reservation = await reserveBudgets(database.db, { ownerId, workflowId, estimateMicros: 1_000_000 });
    expect(reservation.budgetIds).toEqual([]);
    await settleBudgets(database.db, reservation, 250);
    const [view] = await listBudgets(database.db, ownerId);
    expect(view).toMatchObject({ id: watch.id, spentMicros: 250, progress: 2.5, blocked: false });
    await assertWithinBudget(database.db, ownerId, workflowId);
  });

  it('starts a new month from zero', async () => {
    const { ownerId, workflowId } = await someWorkflow();
    const october = new Date('2026-10-20T12:00:00Z');
    const november = new Date('2026-11-02T12:00:00Z');
    await createBudget(
      database.db,
      ownerId,
      budget({ scope: workflowId, monthlyLimitMicros: 1000, blockWhenExceeded: true }),
      { now: october },
    );
    const r = await reserveBudgets(database.db, { ownerId, workflowId, estimateMicros: 900, now: october });
    await settleBudgets(database.db, r, 1000, { now: october });
    await expect(assertWithinBudget(database.db, ownerId, workflowId, { now: october })).rejects.toThrow(
      /is exhausted/,
    );
    await expect(
      reserveBudgets(database.db, { ownerId, workflowId, estimateMicros: 1, now: october }),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    await assertWithinBudget(database.db, ownerId, workflowId, { now: november });
    const next = await reserveBudgets(database.db, {
      ownerId,
      workflowId,
      estimateMicros: 900,
      now: november,
    });
    expect(next.budgetIds).toHaveLength(1);
    const [view] = await listBudgets(database.db, ownerId, { now: november });
    expect(view).toMatchObject({ period: '2026-11', spentMicros: 0, reservedMicros: 900 });
  });
});

describe('budget alerts', () => {
  it('records each threshold once per month, when spend crosses it', async () => {
    const { ownerId, workflowId } = await someWorkflow();
    const b = await createBudget(
      database.db,
      ownerId,
      budget({ scope: workflowId, monthlyLimitMicros: 1000, alertAt: [100, 50, 80] }),
    );
    expect(b.alertAt).toEqual([50, 80, 100]);
    const spend = async (micros: number) => {
      const r = await reserveBudgets(database.db, { ownerId, workflowId, estimateMicros: micros });
      await settleBudgets(database.db, r, micros);
      return (await listBudgetAlerts(database.db, ownerId)).map((a) => a.threshold).sort((x, y) => x - y);
    };
    expect(await spend(400)).toEqual([]);
    expect(await spend(100)).toEqual([50]);
    expect(await spend(10)).toEqual([50]);
    expect(await spend(400)).toEqual([50, 80]);
    expect(await spend(200)).toEqual([50, 80, 100]);
    expect(await spend(500)).toEqual([50, 80, 100]);
    // Concurrent settlements crossing the same threshold still record it once.
    const fresh = await someWorkflow();
    await createBudget(
      database.db,
      fresh.ownerId,
      budget({ scope: 'global', monthlyLimitMicros: 100, alertAt: [10] }),
    );
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const r = await reserveBudgets(database.db, { ...fresh, estimateMicros: 20 });
        await settleBudgets(database.db, r, 20);
      }),
    );
    expect(await listBudgetAlerts(database.db, fresh.ownerId)).toHaveLength(1);
  });

  it('counts the month’s spend from the ledger when a budget is created, alerting at once', async () => {
    const { ownerId, workflowId } = await someWorkflow();
    const [run] = await database.sql<{ id: string }[]>`
      insert into executions (workflow_id, owner_id, definition, trigger, input)
      values (${workflowId}, ${ownerId}, '{"nodes":[],"edges":[]}'::jsonb, 'manual', '{}'::jsonb) returning id`;
    await database.sql`
      insert into execution_costs (execution_id, node_id, workflow_id, owner_id, requested_provider, requested_model,
        served_provider, served_model, reason, started_at, latency_ms, cost_micros, cost_status)
      values (${run!.id}, 'a', ${workflowId}, ${ownerId}, 'openai', 'gpt-4o', 'openai', 'gpt-4o', 'primary', now(), 5,
        6000, 'priced')`;
    const b = await createBudget(
      database.db,
      ownerId,
      budget({ scope: workflowId, monthlyLimitMicros: 5000, alertAt: [50, 100], blockWhenExceeded: true }),
    );
    expect(b).toMatchObject({ spentMicros: 6000, blocked: true, progress: 1.2 });
    expect((await listBudgetAlerts(database.db, ownerId)).map((a) => a.threshold).sort()).toEqual([100, 50]);
    await expect(assertWithinBudget(database.db, ownerId, workflowId)).rejects.toThrow(
      'monthly budget of $0.005 for workflow "Researcher" is exhausted',
    );
    // Raising the limit unblocks; turning blocking off unblocks too.
    await updateBudget(
      database.db,
      ownerId,
      updateBudgetSchema.parse({ id: b.id, monthlyLimitMicros: 7000 }),
    );
    await assertWithinBudget(database.db, ownerId, workflowId);
  });
});

describe('triggers and used-up budgets', () => {
  it('refuses new runs from every trigger once a blocking budget (workflow or global) is used up', async () => {
    const { ownerId, workflowId } = await someWorkflow('Nightly digest');
    const registry = createNodeRegistry();
    const request = (trigger: 'manual' | 'api' | 'schedule' | 'webhook') =>
      prepareRun(database.db, { ownerId, workflowId, trigger, input: { query: 'q' }, registry });
    const global = await createBudget(
      database.db,
      ownerId,
      budget({ scope: 'global', monthlyLimitMicros: 2_000_000, blockWhenExceeded: true }),
    );
    await request('api');
    await database.sql`update budgets set spent_micros = 2000000 where id = ${global.id}`;
    for (const trigger of ['manual', 'api', 'schedule', 'webhook'] as const)
      await expect(request(trigger)).rejects.toMatchObject({
        code: 'CONFLICT',
        message: 'global monthly budget of $2.00 is exhausted',
      });
    // A non-blocking budget only watches.
    await updateBudget(
      database.db,
      ownerId,
      updateBudgetSchema.parse({ id: global.id, blockWhenExceeded: false }),
    );
    await request('schedule');
  });
});

describe('budget management', () => {
  it('allows one global budget and one per workflow; others’ workflows and budgets are NOT_FOUND', async () => {
    const mine = await someWorkflow();
    const theirs = await someWorkflow();
    await createBudget(database.db, mine.ownerId, budget({ scope: 'global', monthlyLimitMicros: 10 }));
    await expect(
      createBudget(database.db, mine.ownerId, budget({ scope: 'global', monthlyLimitMicros: 20 })),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(
      createBudget(database.db, mine.ownerId, budget({ scope: theirs.workflowId, monthlyLimitMicros: 20 })),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const theirBudget = await createBudget(
      database.db,
      theirs.ownerId,
      budget({ scope: theirs.workflowId, monthlyLimitMicros: 20 }),
    );
    await expect(
      updateBudget(
        database.db,
        mine.ownerId,
        updateBudgetSchema.parse({ id: theirBudget.id, monthlyLimitMicros: 1 }),
      ),
    ).rejects.toBeInstanceOf(DomainError);
    await expect(deleteBudget(database.db, mine.ownerId, theirBudget.id)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await deleteBudget(database.db, theirs.ownerId, theirBudget.id);
    expect(await listBudgets(database.db, theirs.ownerId)).toEqual([]);
  });

  it('refuses negative, zero and absurd limits and thresholds outside 1–100, naming the field', () => {
    const paths = (input: object) => [
      ...new Set(
        createBudgetSchema
          .safeParse({ scope: 'global', monthlyLimitMicros: 1000, ...input })
          .error?.issues.map((i) => i.path.join('.')) ?? [],
      ),
    ];
    expect(paths({ monthlyLimitMicros: -5 })).toEqual(['monthlyLimitMicros']);
    expect(paths({ monthlyLimitMicros: 0 })).toEqual(['monthlyLimitMicros']);
    expect(paths({ monthlyLimitMicros: 1.5 })).toEqual(['monthlyLimitMicros']);
    expect(paths({ monthlyLimitMicros: 1e18 })).toEqual(['monthlyLimitMicros']);
    expect(paths({ alertAt: [0] })).toEqual(['alertAt.0']);
    expect(paths({ alertAt: [50, 101] })).toEqual(['alertAt.1']);
    expect(paths({ alertAt: [50, 50] })).toEqual(['alertAt']);
    expect(paths({ scope: 'everything' })).toEqual(['scope']);
    expect(paths({})).toEqual([]);
  });

  it('formats dollars without float noise', () => {
    expect(formatMicrosAsDollars(5_000_000)).toBe('$5.00');
    expect(formatMicrosAsDollars(4_200)).toBe('$0.0042');
    expect(formatMicrosAsDollars(1_234_567)).toBe('$1.234567');
  });
});
