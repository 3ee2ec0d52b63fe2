import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sampleWorkflowDefinition } from '@swarm/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../users.ts';
import { createWorkflow } from '../workflows.ts';
import { analyticsSummary, expensiveWorkflows } from './index.ts';
import { type Attempt, filter, NOW, useSeededLedger } from './test-ledger.ts';

const { database, seeded, insertRun, insertAttempts } = useSeededLedger();
let owner: string;
let wf1: string;
beforeAll(() => {
  ({ owner, wf1 } = seeded);
});

describe('cost per successful run', () => {
  const DOLLARS_1_35 = 1_350_000;
  const at = '2026-11-24T10:00:00Z';
  const range = { from: '2026-11-24T00:00:00Z', to: NOW.toISOString() };
  let buyer: string;
  let workflowId: string;

  /** A run the way the runner records it: attempts while running, then the final status. */
  async function liveRun(id: string, attempts: Omit<Attempt, 'execution' | 'at'>[], costMicros: number) {
    await database.sql`
      insert into executions (id, workflow_id, owner_id, definition, trigger, status, input, started_at)
      values (${id}, ${workflowId}, ${buyer}, '{"nodes":[],"edges":[]}'::jsonb, 'manual', 'running', '{}'::jsonb, ${at})`;
    await insertAttempts(
      workflowId,
      attempts.map((a) => ({ ...a, execution: id, at })),
      buyer,
    );
    await database.sql`
      update executions set status = 'succeeded', cost_micros = ${costMicros}, finished_at = ${at} where id = ${id}`;
  }

  /** A run imported finished, its attempts recorded afterwards. */
  async function importedRun(id: string, attempts: Omit<Attempt, 'execution' | 'at'>[], costMicros: number) {
    await insertRun(id, workflowId, null, 'succeeded', at, costMicros, buyer);
    await insertAttempts(
      workflowId,
      attempts.map((a) => ({ ...a, execution: id, at })),
      buyer,
    );
  }

  const priced = { provider: 'openai', model: 'gpt-4o', role: null, cost: DOLLARS_1_35 };
  const unpriced = { provider: 'acme', model: 'no-price-model', role: null, cost: null };

  beforeAll(async () => {
    buyer = (await createUser(database.db, { email: 'per-run@example.com', name: 'P', passwordHash: 'x' }))
      .id;
    workflowId = (
      await createWorkflow(database.db, buyer, { name: 'Per run', definition: sampleWorkflowDefinition() })
    ).id;
  });

  async function figures() {
    const { period } = await analyticsSummary(database.db, buyer, filter(range), { now: NOW });
    const { items } = await expensiveWorkflows(database.db, buyer, filter(range), { now: NOW });
    return { runs: period.runs, listed: items[0] };
  }

  it('averages fully priced successful runs only and counts the runs with an unpriced attempt apart', async () => {
    await liveRun('00000000-0000-4000-8000-0000000000a1', [priced], DOLLARS_1_35);
    await importedRun('00000000-0000-4000-8000-0000000000a2', [priced], DOLLARS_1_35);
    // Priced call, then a fallback to a model without a price: its cost is unknown, not $0.
    await liveRun('00000000-0000-4000-8000-0000000000a3', [{ ...priced, cost: 5000 }, unpriced], 5000);

    const { runs, listed } = await figures();
    expect(runs).toMatchObject({
      succeeded: 3,
      succeededCostMicros: 2 * DOLLARS_1_35 + 5000,
      costPerSuccessfulRunMicros: DOLLARS_1_35,
      succeededUnpriced: 1,
    });
    expect(listed).toMatchObject({
      runsSucceeded: 3,
      costPerSuccessfulRunMicros: DOLLARS_1_35,
      succeededUnpriced: 1,
    });
  });

  it('leaves out an imported run whose unpriced attempt is recorded after it succeeded, once', async () => {
    const id = '00000000-0000-4000-8000-0000000000a4';
    await importedRun(id, [unpriced, { ...priced, cost: 7000 }], 7000);
    // A second unpriced attempt of the same run does not count it twice.
    await insertAttempts(workflowId, [{ ...unpriced, execution: id, at }], buyer);

    const { runs, listed } = await figures();
    expect(runs).toMatchObject({
      succeeded: 4,
      costPerSuccessfulRunMicros: DOLLARS_1_35,
      succeededUnpriced: 2,
    });
    expect(listed).toMatchObject({ costPerSuccessfulRunMicros: DOLLARS_1_35, succeededUnpriced: 2 });
  });

  it('is what the back-fill of migration 0011 computes from the ledger, whichever was written first', async () => {
    const migration = readFileSync(
      fileURLToPath(new URL('../../../migrations/0011_succeeded_runs_unpriced.sql', import.meta.url)),
      'utf8',
    );
    const backfill = migration.split('--> statement-breakpoint').at(-1)!;
    expect(backfill).toContain('INSERT INTO "cost_rollups"');
    const recorded = () => database.sql`
      select owner_id, dimension, bucket_start, workflow_id, runs_succeeded_unpriced::int as runs,
        succeeded_unpriced_run_cost_micros::int as cost
      from cost_rollups where runs_succeeded_unpriced > 0 or succeeded_unpriced_run_cost_micros > 0
      order by 1, 2, 3, 4`;
    const byTriggers = await recorded();
    // Both owners' runs: E1 (imported, then its unpriced attempt), and this block's live run (5000)
    // and imported one (7000), which finished in the same 15 minutes.
    expect(
      byTriggers.filter((r) => r.dimension === 'total').map((r) => [r.owner_id === owner, r.runs, r.cost]),
    ).toEqual(
      expect.arrayContaining([
        [true, 1, 3032],
        [false, 2, 12000],
      ]),
    );
    expect(byTriggers).toHaveLength(4);
    await database.sql.begin(async (tx) => {
      await tx`update cost_rollups set runs_succeeded_unpriced = 0, succeeded_unpriced_run_cost_micros = 0`;
      await tx.unsafe(backfill);
    });
    expect(await recorded()).toEqual(byTriggers);
  });

  it('leaves out a run with an answer that reported no usage, but not one whose failed call reported none', async () => {
    const summary = () => analyticsSummary(database.db, buyer, filter(range), { now: NOW });
    const before = (await summary()).period;
    const answeredWithoutUsage = { ...priced, cost: null, status: 'no_usage' as const };
    const failedWithoutUsage = { ...answeredWithoutUsage, errorClass: 'server' };
    await liveRun('00000000-0000-4000-8000-0000000000a5', [answeredWithoutUsage], 0);
    await importedRun(
      '00000000-0000-4000-8000-0000000000a6',
      [{ ...priced, cost: 9000 }, answeredWithoutUsage],
      9000,
    );
    await liveRun(
      '00000000-0000-4000-8000-0000000000a7',
      [failedWithoutUsage, { ...priced, reason: 'fallback:server' }],
      DOLLARS_1_35,
    );

    const { period } = await summary();
    expect(period).toMatchObject({
      noUsageAttempts: before.noUsageAttempts + 2,
      failedNoUsageAttempts: before.failedNoUsageAttempts + 1,
      unknownCostAttempts: before.unknownCostAttempts + 2,
    });
    expect(period.runs).toMatchObject({
      succeeded: before.runs.succeeded + 3,
      // The two runs with a usage-less answer have an unknown cost: left out, and said so.
      succeededUnpriced: before.runs.succeededUnpriced + 2,
      succeededUnknownCost: before.runs.succeededUnpriced + 2,
      // The run whose failed call reported no usage is fully priced: it is averaged in.
      costPerSuccessfulRunMicros: DOLLARS_1_35,
    });
  });

  it('is what the back-fill of migration 0016 computes: failed calls without usage counted apart', async () => {
    const migration = readFileSync(
      fileURLToPath(new URL('../../../migrations/0016_unknown_cost.sql', import.meta.url)),
      'utf8',
    );
    const backfill = migration
      .split('--> statement-breakpoint')
      .find((statement) => statement.includes('greatest(0, r."no_usage_attempts"'));
    expect(backfill).toContain('INSERT INTO "cost_rollups"');
    const recorded = () => database.sql`
      select owner_id, grain, dimension, bucket_start, workflow_id, version_id, provider, model, agent_role,
        no_usage_attempts::int as answered, failed_no_usage_attempts::int as failed
      from cost_rollups order by 1, 2, 3, 4, 5, 6, 7, 8, 9`;
    const byTriggers = await recorded();
    expect(byTriggers.some((row) => row.failed > 0)).toBe(true);
    expect(byTriggers.some((row) => row.answered > 0)).toBe(true);
    await database.sql.begin(async (tx) => {
      // As before 0016: one count of every attempt without usage, failed or answered.
      await tx`update cost_rollups set no_usage_attempts = no_usage_attempts + failed_no_usage_attempts,
        failed_no_usage_attempts = 0`;
      await tx.unsafe(backfill!);
    });
    expect(await recorded()).toEqual(byTriggers);
  });

  it('has no figure when every successful run had an unpriced attempt', async () => {
    const { period } = await analyticsSummary(
      database.db,
      owner,
      filter({ from: '2026-11-25T06:00:00Z', to: NOW.toISOString(), workflowId: wf1 }),
      { now: NOW },
    );
    expect(period.runs).toMatchObject({
      succeeded: 1,
      costPerSuccessfulRunMicros: null,
      succeededUnpriced: 1,
    });
  });
});
