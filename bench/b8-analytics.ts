/**
 * B8 — analytics: `analytics.summary` and `analytics.trends` over 1,000,000 cost rows spread over
 * 90 days and 200 workflows (one owner), through a real API server on a scratch database.
 *
 * Seeding (SQL, deterministic from the row number): 200 workflows with two versions each (v2 from
 * day 45), 125,000 runs of eight provider attempts each — three agent nodes per workflow with their
 * own role and model, 5% fallbacks to another model, 3% failed attempts, 2% unpriced — then the runs
 * finish (90% succeeded, 8% failed, 2% cancelled) with the sum of their priced attempts. The ledger
 * rows are inserted in batches of 125,000, so the roll-up triggers run as they would for writes.
 *
 * Baseline: `select count(*)` of the owner's ledger rows (an index-only scan of a million rows,
 * the cheapest honest "look at all of it" query), and tRPC `auth.me` for the HTTP floor.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import { createTestDatabase, findTestServer, prepareTestTemplate } from '@swarm/db/testing';
import { type Benchmark, type BenchResult, baselineRow, measuredRow, time } from './lib.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const ROWS = 1_000_000;
const WORKFLOWS = 200;
const DAYS = 90;
const ATTEMPTS_PER_RUN = 8;
const BATCH = 125_000;
const RUNS = 30;
const BAR_MS = 100;

export const b8: Benchmark = {
  id: 'B8',
  title: `analytics over ${ROWS.toLocaleString('en-US')} cost rows (${DAYS} days, ${WORKFLOWS} workflows)`,
  async run(): Promise<BenchResult> {
    const rows: BenchResult['rows'] = [];
    const notes: string[] = [];
    const versions: Record<string, string> = {};
    const pg = await findTestServer(repoRoot);
    let dropDatabase: (() => Promise<void>) | undefined;
    let closeServer: (() => Promise<void>) | undefined;
    try {
      const template = await prepareTestTemplate(pg.adminUrl);
      const database = await createTestDatabase(pg.adminUrl, template);
      dropDatabase = () => database.drop();
      const sql = database.sql;
      const [{ server_version }] = (await sql`show server_version`) as unknown as [
        { server_version: string },
      ];
      versions.postgres = server_version;
      const server = await startApiServer({ databaseUrl: database.url, port: 0, logLevel: 'silent' });
      closeServer = () => server.close();
      const anonymous = createSwarmClient({ url: server.url });
      const { token, user } = await anonymous.auth.signup.mutate({
        email: `bench-b8-${Date.now()}@example.com`,
        password: 'correct horse battery',
      });
      const swarm = createSwarmClient({ url: server.url, token });

      const seedStart = Date.now();
      const runs = ROWS / ATTEMPTS_PER_RUN;
      await sql`create table bench_wf (n int primary key, id uuid not null, v1 uuid not null, v2 uuid not null)`;
      await sql`
        insert into bench_wf (n, id, v1, v2)
        select n, gen_random_uuid(), gen_random_uuid(), gen_random_uuid() from generate_series(0, ${WORKFLOWS - 1}) n`;
      await sql`
        insert into workflows (id, owner_id, name, definition)
        select id, ${user.id}, 'Workflow ' || n, '{"nodes":[],"edges":[]}'::jsonb from bench_wf`;
      await sql`
        insert into workflow_versions (id, workflow_id, number, commit_message, definition)
        select v1, id, 1, 'v1', '{"nodes":[],"edges":[]}'::jsonb from bench_wf
        union all select v2, id, 2, 'v2', '{"nodes":[],"edges":[]}'::jsonb from bench_wf`;
      // Runs spread evenly over the 90 days up to now; v2 from day 45.
      await sql`
        create table bench_run as
        select r, gen_random_uuid() as id, w.id as workflow_id,
          case when r * 2 < ${runs} then w.v1 else w.v2 end as version_id,
          now() - interval '${sql.unsafe(String(DAYS))} days' + (r::float8 / ${runs}) * interval '${sql.unsafe(String(DAYS))} days' as started_at
        from generate_series(0, ${runs - 1}) r join bench_wf w on w.n = r % ${WORKFLOWS}`;
      await sql`alter table bench_run add primary key (r)`;
      await sql`
        insert into executions (id, workflow_id, owner_id, version_id, definition, trigger, status, input, started_at)
        select id, workflow_id, ${user.id}, version_id, '{"nodes":[],"edges":[]}'::jsonb, 'api', 'running', '{}'::jsonb,
          started_at
        from bench_run`;
      const models = `(array['openai','openai','anthropic','anthropic','gemini'])`;
      const modelNames = `(array['gpt-4o','gpt-4o-mini','claude-sonnet-4','claude-haiku-4','gemini-2.0-flash'])`;
      const roles = `(array['researcher','critic','writer','planner','reviewer','translator'])`;
      for (let start = 0; start < ROWS; start += BATCH) {
        await sql.unsafe(`
          with a as (
            select i, i / ${ATTEMPTS_PER_RUN} as r, i % 3 as node,
              (i * 7919) % 100 as fallback_roll, (i * 104729) % 100 as price_roll, (i * 15485863) % 100 as fail_roll
            from generate_series(${start}::bigint, ${Math.min(ROWS, start + BATCH) - 1}) i
          ), b as (
            select a.*, run.id as execution_id, run.workflow_id, run.started_at, w.n as wn,
              ((w.n * 3 + a.node) % 5) + 1 as model_ix,
              case when a.fallback_roll < 5 then ((w.n * 3 + a.node + 1) % 5) + 1 else ((w.n * 3 + a.node) % 5) + 1 end as served_ix,
              500 + (i * 31) % 1500 as input_tokens, 50 + (i * 17) % 700 as output_tokens
            from a join bench_run run on run.r = a.r join bench_wf w on w.id = run.workflow_id
          )
          insert into execution_costs (execution_id, node_id, workflow_id, owner_id, agent_role, requested_provider,
            requested_model, served_provider, served_model, reason, error_class, started_at, latency_ms, input_tokens,
            cache_read_tokens, output_tokens, reasoning_tokens, cost_micros, cost_status)
          select execution_id, 'agent' || node, workflow_id, '${user.id}', ${roles}[((wn + node) % 6) + 1],
            ${models}[model_ix], ${modelNames}[model_ix], ${models}[served_ix], ${modelNames}[served_ix],
            case when fallback_roll < 5 then 'fallback:rate_limit' else 'primary' end,
            case when fail_roll < 3 then 'timeout' end,
            started_at + (i % ${ATTEMPTS_PER_RUN}) * interval '1 second', 400 + i % 900, input_tokens,
            (i * 13) % 200, output_tokens, (i * 7) % 50,
            case when price_roll < 2 then null else (input_tokens * 25 + output_tokens * 100) / 10 end,
            case when price_roll < 2 then 'unpriced' else 'priced' end
          from b`);
      }
      await sql`
        update executions e set
          status = case when (run.r * 37) % 100 < 90 then 'succeeded' when (run.r * 37) % 100 < 98 then 'failed' else 'cancelled' end,
          finished_at = run.started_at + interval '30 seconds',
          duration_ms = 30000,
          cost_micros = coalesce(c.cost, 0)
        from bench_run run
        left join (select execution_id, sum(cost_micros) as cost from execution_costs group by execution_id) c
          on c.execution_id = run.id
        where e.id = run.id`;
      await sql`drop table bench_run`;
      await sql`drop table bench_wf`;
      await sql`vacuum analyze`;
      const [{ n: ledgerRows }] = (await sql`select count(*)::int as n from execution_costs`) as unknown as [
        { n: number },
      ];
      const [{ n: rollupRows }] = (await sql`select count(*)::int as n from cost_rollups`) as unknown as [
        { n: number },
      ];
      notes.push(
        `seeded ${ledgerRows.toLocaleString('en-US')} ledger rows, ${runs.toLocaleString('en-US')} runs, ${WORKFLOWS} workflows in ${Math.round((Date.now() - seedStart) / 1000)} s; the triggers kept ${rollupRows.toLocaleString('en-US')} roll-up rows`,
      );

      const count = await time(
        () => sql`select count(*) from execution_costs where owner_id = ${user.id}`,
        RUNS,
        5,
      );
      const countName = 'select count(*) of the 1M ledger rows';
      rows.push(baselineRow(countName, count));
      const me = await time(() => swarm.auth.me.query(), RUNS, 5);
      rows.push(baselineRow('tRPC auth.me (HTTP floor)', me));
      const baseline = { name: countName, timing: count };
      const cases: Array<[string, () => Promise<unknown>]> = [
        ['tRPC analytics.summary (default: last 30 days)', () => swarm.analytics.summary.query({})],
        [
          `tRPC analytics.summary (${DAYS} days, Europe/Berlin)`,
          () =>
            swarm.analytics.summary.query({
              from: new Date(Date.now() - DAYS * 86_400_000),
              timeZone: 'Europe/Berlin',
            }),
        ],
        [
          `tRPC analytics.trends (day, ${DAYS} days)`,
          () =>
            swarm.analytics.trends.query({ interval: 'day', from: new Date(Date.now() - DAYS * 86_400_000) }),
        ],
        [
          'tRPC analytics.trends (hour, 7 days, America/New_York)',
          () =>
            swarm.analytics.trends.query({
              interval: 'hour',
              from: new Date(Date.now() - 7 * 86_400_000),
              timeZone: 'America/New_York',
            }),
        ],
      ];
      for (const [name, fn] of cases) rows.push(measuredRow(name, await time(fn, RUNS, 5), baseline, BAR_MS));
      const summary = await swarm.analytics.summary.query({ from: new Date(Date.now() - DAYS * 86_400_000) });
      notes.push(
        `90-day summary: ${summary.period.attempts.toLocaleString('en-US')} attempts, ${summary.period.unpricedAttempts.toLocaleString('en-US')} unpriced, $${((summary.period.costMicros ?? 0) / 1e6).toFixed(2)}, ${summary.byWorkflow.length} workflows, ${summary.byModel.length} models`,
      );
      notes.push(
        'summary = 5 queries in parallel (period totals, range figures, breakdowns by version/workflow, model/provider, role); whole UTC days come from daily roll-ups, the partial days at the ends from 15-minute roll-ups; the ledger itself is not read',
      );
    } finally {
      await closeServer?.().catch(() => {});
      await dropDatabase?.().catch(() => {});
      await pg.stop();
    }
    return {
      parameters: {
        rows: ROWS,
        workflows: WORKFLOWS,
        days: DAYS,
        attemptsPerRun: ATTEMPTS_PER_RUN,
        runs: RUNS,
        warmup: 5,
      },
      versions,
      rows,
      notes,
    };
  },
};
