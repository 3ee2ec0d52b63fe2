/**
 * Budgets in a real runner (in this process) on the offline mock provider: a run's calls settle
 * their actual cost onto the budget (reservations released), a call whose estimate no longer fits a
 * blocking budget fails its step — and the run — naming the budget, and once the budget is used up
 * the trigger path (`prepareRun`) refuses new runs.
 */
import {
  assertWithinBudget,
  createBudget,
  createBudgetSchema,
  createJobSender,
  listBudgets,
  updateBudget,
  updateBudgetSchema,
} from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import { sampleWorkflowDefinition } from '@swarm/engine';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunner } from '../src/runner.ts';
import { ownerWithWorkflow, startRun, waitForRun } from './fixtures.ts';

const database = useTestDatabase();
let jobs: ReturnType<typeof createJobSender>;
let runner: ReturnType<typeof createRunner>;

beforeAll(async () => {
  jobs = createJobSender(database);
  await jobs.start();
  runner = createRunner({
    databaseUrl: database.url,
    logger: pino({ level: 'silent' }),
    poolSize: 4,
    drainSeconds: 5,
    runConcurrency: 4,
    superviseSeconds: 1,
  });
  await runner.start();
});

afterAll(async () => {
  await runner?.stop();
  await jobs?.stop();
});

describe('budgets in the runner', () => {
  it('settles actual costs, fails a call that no longer fits, and refuses new runs once used up', async () => {
    const owner = await ownerWithWorkflow(database.db, sampleWorkflowDefinition());
    const budget = await createBudget(
      database.db,
      owner.ownerId,
      createBudgetSchema.parse({
        scope: owner.workflowId,
        monthlyLimitMicros: 1_000_000_000,
        alertAt: [100],
        blockWhenExceeded: true,
      }),
    );
    const first = await waitForRun(database.db, owner, (await startRun(database.db, jobs.sender, owner)).id);
    expect(first.status).toBe('succeeded');
    expect(first.costMicros).toBeGreaterThan(0);
    const [afterFirst] = await listBudgets(database.db, owner.ownerId);
    expect(afterFirst).toMatchObject({ id: budget.id, spentMicros: first.costMicros, reservedMicros: 0 });

    // One micro-dollar of room: the next call's estimate (prompt + max tokens) cannot fit.
    await updateBudget(
      database.db,
      owner.ownerId,
      updateBudgetSchema.parse({ id: budget.id, monthlyLimitMicros: first.costMicros! + 1 }),
    );
    await assertWithinBudget(database.db, owner.ownerId, owner.workflowId);
    const second = await waitForRun(database.db, owner, (await startRun(database.db, jobs.sender, owner)).id);
    expect(second.status).toBe('failed');
    const refused = second.steps.find((s) => s.status === 'failed');
    expect(refused?.error?.message).toMatch(
      /monthly budget of \$\d+\.\d+ for workflow "test workflow" is exhausted/,
    );
    // Nothing was called, so nothing was spent and nothing stays reserved.
    expect(refused?.attempts ?? []).toEqual([]);
    const [afterSecond] = await listBudgets(database.db, owner.ownerId);
    expect(afterSecond).toMatchObject({ spentMicros: first.costMicros, reservedMicros: 0 });

    await updateBudget(
      database.db,
      owner.ownerId,
      updateBudgetSchema.parse({ id: budget.id, monthlyLimitMicros: first.costMicros }),
    );
    await expect(assertWithinBudget(database.db, owner.ownerId, owner.workflowId)).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
