import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { finishExecution, getExecution, listExecutions, recordStepFinished, recordSteps } from './index.ts';
import { attempt, finishedStep, useRunTestKit } from './test-kit.ts';

const { database, ownerWithWorkflow, startRun, claimed, count } = useRunTestKit();

describe('batched step writes', () => {
  const bySeq = (steps: Array<{ nodeId: string; status: string; eventSeq: number }>, before: number) =>
    steps.map((s) => [s.nodeId, s.status, s.eventSeq - before]).sort((a, b) => Number(a[2]) - Number(b[2]));
  it('writes a batch of changes in one fenced transaction, each with its own event number, and folds the rest into the finish', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await claimed(id);
    const stale = { ...run, runAttempt: run.runAttempt - 1 };
    const researcher = finishedStep('researcher', { attempts: [attempt({ costMicros: 70 })] });
    const started = { nodeType: 'agent', input: {}, startedAt: new Date() };

    // A stale runner's batch changes nothing at all.
    expect(
      await recordSteps(database.db, stale, [
        { kind: 'finished', ...finishedStep('input', { nodeType: 'input' }) },
      ]),
    ).toEqual({ ok: false });
    expect(await count('execution_steps', id)).toBe(0);

    const before = (await getExecution(database.db, owner.ownerId, id)).eventSeq;
    const write = await recordSteps(database.db, run, [
      { kind: 'finished', ...finishedStep('input', { nodeType: 'input' }) },
      { kind: 'started', nodeId: 'researcher', ...started },
      { kind: 'finished', ...researcher },
      { kind: 'started', nodeId: 'critic', ...started },
    ]);
    expect(write).toEqual({ ok: true, cancelRequested: false });
    let detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail.eventSeq).toBe(before + 4);
    expect(detail.costMicros).toBe(70);
    expect(bySeq(detail.steps, before)).toEqual([
      ['input', 'succeeded', 1],
      ['researcher', 'succeeded', 3],
      ['critic', 'running', 4],
    ]);
    expect(await count('execution_costs', id)).toBe(1);

    // What still waits when the run ends goes into the finish transaction, cost included.
    const critic = finishedStep('critic', { attempts: [attempt({ costMicros: 30 })] });
    expect(
      await finishExecution(database.db, run, { status: 'succeeded', output: 'done', error: null }, [
        { kind: 'finished', ...critic },
        { kind: 'started', nodeId: 'merge', ...started, nodeType: 'merge' },
      ]),
    ).toBe(true);
    detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail).toMatchObject({ status: 'succeeded', costMicros: 100, eventSeq: before + 8 });
    expect(bySeq(detail.steps, before)).toEqual([
      ['input', 'succeeded', 1],
      ['researcher', 'succeeded', 3],
      ['critic', 'succeeded', 5],
      // Started but never finished: closed as cancelled with the run.
      ['merge', 'cancelled', 7],
    ]);
    expect(await count('execution_costs', id)).toBe(2);
  });

  it('keeps an unknown cost unknown: null with its known part and count, for the step and the run', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await claimed(id);
    const noUsage = { usage: null, costMicros: null, costStatus: 'no_usage' as const };
    // A failed call without usage cost nothing we know of: the step's cost stays known.
    const researcher = finishedStep('researcher', {
      attempts: [
        attempt({ ...noUsage, errorClass: 'server', errorMessage: 'boom' }),
        attempt({ costMicros: 70, reason: 'fallback:server' }),
      ],
    });
    // An answer without usage and an unpriced one: tokens billed at a cost nobody knows.
    const critic = finishedStep('critic', {
      attempts: [
        attempt({ costMicros: 30 }),
        attempt(noUsage),
        attempt({ costMicros: null, costStatus: 'unpriced', priceId: null }),
      ],
    });
    await recordStepFinished(database.db, run, researcher);
    let detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail).toMatchObject({ costMicros: 70, knownCostMicros: 70, unknownCostAttempts: 0 });

    await finishExecution(database.db, run, { status: 'succeeded', output: 'done', error: null }, [
      { kind: 'finished', ...critic },
    ]);
    detail = await getExecution(database.db, owner.ownerId, id);
    expect(detail).toMatchObject({ costMicros: null, knownCostMicros: 100, unknownCostAttempts: 2 });
    const byNode = Object.fromEntries(detail.steps.map((step) => [step.nodeId, step]));
    expect(byNode.researcher).toMatchObject({ costMicros: 70, knownCostMicros: 70, unknownCostAttempts: 0 });
    expect(byNode.critic).toMatchObject({ costMicros: null, knownCostMicros: 30, unknownCostAttempts: 2 });
    const { items } = await listExecutions(database.db, owner.ownerId);
    expect(items.find((item) => item.id === id)).toMatchObject({
      costMicros: null,
      knownCostMicros: 100,
      unknownCostAttempts: 2,
    });
  });

  it('is what the back-fill of migration 0016 computes from the ledger for runs recorded before it', async () => {
    const migration = readFileSync(
      fileURLToPath(new URL('../../../migrations/0016_unknown_cost.sql', import.meta.url)),
      'utf8',
    );
    const backfill = migration
      .split('--> statement-breakpoint')
      .filter((statement) => /^\s*(--[^\n]*\n\s*)*UPDATE "execution/.test(statement));
    expect(backfill).toHaveLength(4);
    const costs = () => database.sql`
      select 'run' as kind, id, cost_micros, known_cost_micros, unknown_cost_attempts from executions
      union all
      select 'step', id, cost_micros, known_cost_micros, unknown_cost_attempts from execution_steps
      order by 1, 2`;
    const written = await costs();
    expect(written.some((row) => row.cost_micros === null)).toBe(true);
    // As before 0016: cost_micros held the priced sum, and nothing else was kept.
    await database.sql.begin(async (tx) => {
      for (const table of ['executions', 'execution_steps']) {
        await tx.unsafe(
          `update ${table} set cost_micros = known_cost_micros, known_cost_micros = 0, unknown_cost_attempts = 0`,
        );
      }
      for (const statement of backfill) await tx.unsafe(statement);
    });
    expect(await costs()).toEqual(written);
  });
});
