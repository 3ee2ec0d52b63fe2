/**
 * Known-answer analytics over a small seeded ledger: every figure is checked to the micro-dollar,
 * "today / this week / this month" in three time zones (one with a half-hour offset, one crossing
 * the end of daylight saving time) with a fixed `now`, unpriced attempts counted apart (never $0),
 * breakdowns that mix daily rollups with raw ledger rows at the range's ends, zero-filled trends,
 * and the bad-input cases.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DomainError, sampleWorkflowDefinition } from '@swarm/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../testing/vitest.ts';
import {
  analyticsFilterSchema,
  analyticsSummary,
  analyticsTrends,
  analyticsUsage,
  expensiveWorkflows,
  trendsInputSchema,
} from './analytics.ts';
import { createUser } from './users.ts';
import { commitVersion } from './versions.ts';
import { createWorkflow } from './workflows.ts';

const database = useTestDatabase();

/** Wednesday 2026-11-25 06:30 UTC = Tuesday 22:30 in Los Angeles = 12:00 in Kolkata. */
const NOW = new Date('2026-11-25T06:30:00.000Z');

interface Attempt {
  at: string;
  execution: string;
  provider: string;
  model: string;
  role: string | null;
  cost: number | null;
  status?: 'priced' | 'unpriced' | 'no_usage';
  reason?: string;
  errorClass?: string | null;
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
}

let owner: string;
let other: string;
let wf1: string;
let wf2: string;
let otherWorkflow: string;
let v1: string;

async function insertRun(
  id: string,
  workflowId: string,
  versionId: string | null,
  status: string,
  finishedAt: string,
  costMicros: number,
  ownerId = owner,
) {
  await database.sql`
    insert into executions (id, workflow_id, owner_id, version_id, definition, trigger, status, input, cost_micros,
      started_at, finished_at)
    values (${id}, ${workflowId}, ${ownerId}, ${versionId}, '{"nodes":[],"edges":[]}'::jsonb, 'manual', ${status},
      '{}'::jsonb, ${costMicros}, ${finishedAt}, ${finishedAt})`;
}

async function insertAttempts(workflowId: string, attempts: Attempt[], ownerId = owner) {
  for (const a of attempts) {
    await database.sql`
      insert into execution_costs (execution_id, node_id, workflow_id, owner_id, agent_role, requested_provider,
        requested_model, served_provider, served_model, reason, error_class, started_at, latency_ms, input_tokens,
        cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens, cost_micros, cost_status)
      values (${a.execution}, 'agent', ${workflowId}, ${ownerId}, ${a.role}, ${a.provider}, ${a.model}, ${a.provider},
        ${a.model}, ${a.reason ?? 'primary'}, ${a.errorClass ?? null}, ${a.at}, 100, ${a.input ?? 0},
        ${a.cacheRead ?? 0}, ${a.cacheWrite ?? 0}, ${a.output ?? 0}, ${a.reasoning ?? 0}, ${a.cost},
        ${a.status ?? (a.cost === null ? 'unpriced' : 'priced')})`;
  }
}

const E1 = '00000000-0000-4000-8000-0000000000e1';
const E2 = '00000000-0000-4000-8000-0000000000e2';
const E4 = '00000000-0000-4000-8000-0000000000e4';
const E5 = '00000000-0000-4000-8000-0000000000e5';
const E9 = '00000000-0000-4000-8000-0000000000e9';

beforeAll(async () => {
  owner = (await createUser(database.db, { email: 'costs@example.com', name: 'C', passwordHash: 'x' })).id;
  other = (await createUser(database.db, { email: 'other@example.com', name: 'O', passwordHash: 'x' })).id;
  const definition = sampleWorkflowDefinition();
  wf1 = (await createWorkflow(database.db, owner, { name: 'Writer', definition })).id;
  wf2 = (await createWorkflow(database.db, owner, { name: 'Critic', definition })).id;
  otherWorkflow = (await createWorkflow(database.db, other, { name: 'Not yours', definition })).id;
  v1 = (await commitVersion(database.db, owner, wf1, 'v1')).id;

  // Runs are inserted finished (as imports do): their outcomes count through the insert trigger.
  await insertRun(E1, wf1, v1, 'succeeded', '2026-11-25T06:20:00Z', 3032);
  await insertRun(E2, wf2, null, 'failed', '2026-11-25T06:15:00Z', 4000);
  await insertRun(E4, wf2, null, 'succeeded', '2026-11-01T06:40:00Z', 8000);
  await insertRun(E5, wf1, null, 'succeeded', '2026-10-15T12:10:00Z', 16000);
  await insertRun(E9, otherWorkflow, null, 'succeeded', '2026-11-25T06:00:00Z', 999_999, other);

  await insertAttempts(wf1, [
    // A1: today everywhere.
    {
      at: '2026-11-25T05:00:00Z',
      execution: E1,
      provider: 'openai',
      model: 'gpt-4o',
      role: 'writer',
      cost: 1000,
      input: 1000,
      output: 200,
      cacheRead: 50,
    },
    // A2: Monday 23:30 in LA (this week there, not today), Tuesday in UTC.
    {
      at: '2026-11-24T07:30:00Z',
      execution: E1,
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      role: 'critic',
      cost: 2000,
      reason: 'fallback:rate_limit',
      input: 300,
      output: 100,
      cacheWrite: 20,
    },
    // A6: unpriced — counted, never $0.
    {
      at: '2026-11-25T06:00:00Z',
      execution: E1,
      provider: 'anthropic',
      model: 'claude-x',
      role: null,
      cost: null,
      input: 10,
      output: 5,
    },
    // A8: 00:10 on Wednesday in Kolkata, Tuesday 10:40 in LA, Tuesday in UTC.
    {
      at: '2026-11-24T18:40:00Z',
      execution: E1,
      provider: 'gemini',
      model: 'gemini-2.0-flash',
      role: null,
      cost: 32,
      output: 7,
      reasoning: 3,
    },
    // A5: October.
    {
      at: '2026-10-15T12:00:00Z',
      execution: E5,
      provider: 'openai',
      model: 'gpt-4o',
      role: 'writer',
      cost: 16000,
    },
  ]);
  await insertAttempts(wf2, [
    // A3: Sunday 23:45 in LA (last week there), Monday in UTC; a failed retry.
    {
      at: '2026-11-23T07:45:00Z',
      execution: E2,
      provider: 'openai',
      model: 'gpt-4o',
      role: 'writer',
      cost: 4000,
      reason: 'retry',
      errorClass: 'timeout',
    },
    // A7: failed before any usage.
    {
      at: '2026-11-25T06:10:00Z',
      execution: E2,
      provider: 'openai',
      model: 'gpt-4o',
      role: null,
      cost: null,
      status: 'no_usage',
      errorClass: 'auth',
    },
    // A4: 23:30 on October 31 in LA (PDT), November 1 in UTC.
    {
      at: '2026-11-01T06:30:00Z',
      execution: E4,
      provider: 'openai',
      model: 'gpt-4o',
      role: 'writer',
      cost: 8000,
    },
  ]);
  await insertAttempts(
    otherWorkflow,
    [
      {
        at: '2026-11-25T06:00:00Z',
        execution: E9,
        provider: 'openai',
        model: 'gpt-4o',
        role: 'x',
        cost: 999_999,
      },
    ],
    other,
  );
});

const filter = (f: object) => analyticsFilterSchema.parse(f);

async function expectDomainError(promise: Promise<unknown>, code: string, path?: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  if (path) expect((error as DomainError).issues.map((i) => i.path)).toContain(path);
}

describe('analytics totals', () => {
  it('counts today, this week (from Monday), this month and all time in UTC', async () => {
    const { totals } = await analyticsSummary(database.db, owner, filter({}), { now: NOW });
    expect(totals.todayStart).toEqual(new Date('2026-11-25T00:00:00Z'));
    expect(totals.weekStart).toEqual(new Date('2026-11-23T00:00:00Z'));
    expect(totals.monthStart).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(totals.today).toEqual({
      costMicros: 1000,
      attempts: 3,
      pricedAttempts: 1,
      unpricedAttempts: 1,
      noUsageAttempts: 1,
    });
    expect(totals.thisWeek).toMatchObject({ costMicros: 7032, attempts: 6, unpricedAttempts: 1 });
    expect(totals.thisMonth).toMatchObject({ costMicros: 15032, attempts: 7 });
    expect(totals.allTime).toMatchObject({ costMicros: 31032, attempts: 8, pricedAttempts: 6 });
  });

  it('moves the boundaries with the time zone (Los Angeles, across the end of DST on November 1)', async () => {
    const { totals } = await analyticsSummary(
      database.db,
      owner,
      filter({ timeZone: 'America/Los_Angeles' }),
      { now: NOW },
    );
    expect(totals.todayStart).toEqual(new Date('2026-11-24T08:00:00Z'));
    expect(totals.weekStart).toEqual(new Date('2026-11-23T08:00:00Z'));
    expect(totals.monthStart).toEqual(new Date('2026-11-01T07:00:00Z'));
    expect(totals.today).toMatchObject({ costMicros: 1032, attempts: 4 });
    expect(totals.thisWeek).toMatchObject({ costMicros: 3032, attempts: 5 });
    expect(totals.thisMonth).toMatchObject({ costMicros: 7032, attempts: 6 });
    expect(totals.allTime).toMatchObject({ costMicros: 31032, attempts: 8 });
  });

  it('handles a half-hour offset (Kolkata)', async () => {
    const { totals } = await analyticsSummary(database.db, owner, filter({ timeZone: 'Asia/Kolkata' }), {
      now: NOW,
    });
    expect(totals.todayStart).toEqual(new Date('2026-11-24T18:30:00Z'));
    expect(totals.today).toMatchObject({ costMicros: 1032, attempts: 4 });
    expect(totals.thisWeek).toMatchObject({ costMicros: 7032 });
    expect(totals.thisMonth).toMatchObject({ costMicros: 15032 });
  });

  it('filters by workflow', async () => {
    const { totals } = await analyticsSummary(database.db, owner, filter({ workflowId: wf2 }), { now: NOW });
    expect(totals.today).toMatchObject({ costMicros: 0, attempts: 1, noUsageAttempts: 1 });
    expect(totals.allTime).toMatchObject({ costMicros: 12000, attempts: 3 });
  });
});

describe('analytics summary over a range', () => {
  const range = { from: '2026-11-20T00:00:00Z', to: NOW.toISOString() };

  it('sums the range, its failures, fallbacks and run outcomes', async () => {
    const { period } = await analyticsSummary(database.db, owner, filter(range), { now: NOW });
    expect(period).toMatchObject({
      costMicros: 7032,
      attempts: 6,
      pricedAttempts: 4,
      unpricedAttempts: 1,
      noUsageAttempts: 1,
      tokens: {
        inputTokens: 1310,
        cacheReadTokens: 50,
        cacheWriteTokens: 20,
        outputTokens: 312,
        reasoningTokens: 3,
      },
      failures: {
        failedAttempts: 2,
        failedAttemptCostMicros: 4000,
        failedRuns: 1,
        failedRunCostMicros: 4000,
      },
      fallback: { fallbackAttempts: 1, retryAttempts: 1 },
      runs: {
        succeeded: 1,
        failed: 1,
        cancelled: 0,
        succeededCostMicros: 3032,
        // E1's attempt A6 is unpriced (recorded after the run, as imports do): its cost is unknown,
        // so it is left out of the average instead of counting as $0.
        costPerSuccessfulRunMicros: null,
        succeededUnpriced: 1,
      },
    });
    expect(period.fallback.fallbackRate).toBeCloseTo(1 / 6, 10);
  });

  it('breaks down by workflow, version, provider, model and agent role (whole days and ledger rows alike)', async () => {
    const s = await analyticsSummary(database.db, owner, filter(range), { now: NOW });
    expect(s.byWorkflow.map((w) => [w.name, w.costMicros, w.attempts, w.unpricedAttempts])).toEqual([
      ['Critic', 4000, 2, 0],
      ['Writer', 3032, 4, 1],
    ]);
    expect(s.byVersion.map((v) => [v.workflowId, v.versionNumber, v.costMicros])).toEqual([
      [wf2, null, 4000],
      [wf1, 1, 3032],
    ]);
    expect(s.byProvider.map((p) => [p.provider, p.costMicros, p.attempts])).toEqual([
      ['openai', 5000, 3],
      ['anthropic', 2000, 2],
      ['gemini', 32, 1],
    ]);
    // A model seen only unpriced has no cost figure at all, not $0.
    expect(s.byModel.find((m) => m.model === 'claude-x')).toMatchObject({
      costMicros: null,
      attempts: 1,
      unpricedAttempts: 1,
    });
    expect(s.byAgentRole.map((r) => [r.agentRole, r.costMicros, r.attempts])).toEqual([
      ['writer', 5000, 2],
      ['critic', 2000, 1],
      [null, 32, 3],
    ]);
  });

  it('gives the same answer from 15-minute rows alone for a range inside one day', async () => {
    const s = await analyticsSummary(
      database.db,
      owner,
      filter({ from: '2026-11-25T00:00:00Z', to: NOW.toISOString() }),
      { now: NOW },
    );
    expect(s.byWorkflow.map((w) => [w.name, w.costMicros, w.attempts])).toEqual([
      ['Writer', 1000, 2],
      ['Critic', 0, 1],
    ]);
    expect(s.period).toMatchObject({ costMicros: 1000, attempts: 3 });
  });

  it('lists the most expensive workflows with cost per successful run', async () => {
    const { items } = await expensiveWorkflows(
      database.db,
      owner,
      { ...filter(range), limit: 1 },
      { now: NOW },
    );
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      name: 'Critic',
      costMicros: 4000,
      runsSucceeded: 0,
      runsFailed: 1,
      costPerSuccessfulRunMicros: null,
      succeededUnpriced: 0,
    });
  });

  it('reports token usage by bucket', async () => {
    const usage = await analyticsUsage(database.db, owner, filter(range), { now: NOW });
    expect(usage.tokens).toEqual({
      inputTokens: 1310,
      cacheReadTokens: 50,
      cacheWriteTokens: 20,
      outputTokens: 312,
      reasoningTokens: 3,
    });
  });
});

describe('analytics trends', () => {
  it('buckets by day in the time zone, zero-filled', async () => {
    const t = await analyticsTrends(
      database.db,
      owner,
      {
        ...filter({
          from: '2026-11-22T08:00:00Z',
          to: '2026-11-26T08:00:00Z',
          timeZone: 'America/Los_Angeles',
        }),
        interval: 'day',
      },
      { now: NOW },
    );
    expect(t.points.map((p) => [p.start.toISOString(), p.costMicros, p.attempts])).toEqual([
      ['2026-11-22T08:00:00.000Z', 4000, 1],
      ['2026-11-23T08:00:00.000Z', 2000, 1],
      ['2026-11-24T08:00:00.000Z', 1032, 4],
      ['2026-11-25T08:00:00.000Z', 0, 0],
    ]);
  });

  it('buckets by hour; an hour of only unpriced attempts has no cost figure', async () => {
    const t = await analyticsTrends(
      database.db,
      owner,
      { ...filter({ from: '2026-11-25T03:00:00Z', to: NOW.toISOString() }), interval: 'hour' },
      { now: NOW },
    );
    expect(
      t.points.map((p) => [p.start.toISOString(), p.costMicros, p.attempts, p.unpricedAttempts]),
    ).toEqual([
      ['2026-11-25T03:00:00.000Z', 0, 0, 0],
      ['2026-11-25T04:00:00.000Z', 0, 0, 0],
      ['2026-11-25T05:00:00.000Z', 1000, 1, 0],
      ['2026-11-25T06:00:00.000Z', null, 2, 1],
    ]);
    expect(t.points[3]).toMatchObject({ runsSucceeded: 1, runsFailed: 1, failedAttempts: 1 });
  });
});

describe('analytics bad input', () => {
  it('refuses a reversed range, naming the field', async () => {
    await expectDomainError(
      analyticsSummary(
        database.db,
        owner,
        filter({ from: '2026-11-20T00:00:00Z', to: '2026-11-10T00:00:00Z' }),
        { now: NOW },
      ),
      'BAD_REQUEST',
      'to',
    );
  });

  it('refuses a range over two years', async () => {
    await expectDomainError(
      analyticsSummary(
        database.db,
        owner,
        filter({ from: '2022-01-01T00:00:00Z', to: '2026-11-10T00:00:00Z' }),
        { now: NOW },
      ),
      'BAD_REQUEST',
      'from',
    );
  });

  it('refuses hourly trends over months', async () => {
    await expectDomainError(
      analyticsTrends(
        database.db,
        owner,
        { ...filter({ from: '2026-01-01T00:00:00Z', to: '2026-11-10T00:00:00Z' }), interval: 'hour' },
        { now: NOW },
      ),
      'BAD_REQUEST',
      'interval',
    );
  });

  it("answers NOT_FOUND for an unknown workflow or someone else's", async () => {
    await expectDomainError(
      analyticsSummary(database.db, owner, filter({ workflowId: otherWorkflow })),
      'NOT_FOUND',
    );
    await expectDomainError(
      analyticsSummary(database.db, owner, filter({ workflowId: '00000000-0000-4000-8000-000000000000' })),
      'NOT_FOUND',
    );
  });

  it('refuses absurd dates, unknown time zones and intervals at the schema', () => {
    const paths = (input: unknown) =>
      trendsInputSchema.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ interval: 'day', from: 'yesterday-ish' })).toContain('from');
    expect(paths({ interval: 'day', to: '1970-01-01T00:00:00Z' })).toContain('to');
    expect(paths({ interval: 'day', timeZone: 'Mars/Olympus_Mons' })).toContain('timeZone');
    expect(paths({ interval: 'week' })).toContain('interval');
    expect(paths({ interval: 'day', workflowId: 'nope' })).toContain('workflowId');
  });

  it("never shows another owner's spend", async () => {
    const { totals } = await analyticsSummary(database.db, other, filter({}), { now: NOW });
    expect(totals.allTime).toMatchObject({ costMicros: 999_999, attempts: 1 });
  });
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
      fileURLToPath(new URL('../../migrations/0011_succeeded_runs_unpriced.sql', import.meta.url)),
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
