/**
 * Analytics and budgets through the real server: the routers' figures, the CSV export over HTTP
 * (content, RFC 4180 quoting, formula injection neutralised, filters, errors, and a 100k-row export
 * that arrives in many chunks), budgets management with bad input, and a used-up blocking budget
 * refusing new runs at the trigger.
 */
import { exportCostRows } from '@swarm/db';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const api = useApiServer();

async function seedRun(ownerId: string, workflowId: string, status = 'succeeded') {
  const [run] = await api.database.sql<{ id: string }[]>`
    insert into executions (workflow_id, owner_id, definition, trigger, status, input, started_at, finished_at)
    values (${workflowId}, ${ownerId}, '{"nodes":[],"edges":[]}'::jsonb, 'manual', ${status}, '{}'::jsonb,
      now(), case when ${status} in ('queued', 'running') then null else now() end)
    returning id`;
  return run!.id;
}

interface Cost {
  at: string;
  node?: string;
  role?: string | null;
  provider?: string;
  model?: string;
  cost: number | null;
  reason?: string;
}

async function seedCosts(ownerId: string, workflowId: string, executionId: string, costs: Cost[]) {
  for (const c of costs)
    await api.database.sql`
      insert into execution_costs (execution_id, node_id, workflow_id, owner_id, agent_role, requested_provider,
        requested_model, served_provider, served_model, reason, started_at, latency_ms, input_tokens, output_tokens,
        cost_micros, cost_status)
      values (${executionId}, ${c.node ?? 'agent'}, ${workflowId}, ${ownerId}, ${c.role ?? null},
        ${c.provider ?? 'openai'}, ${c.model ?? 'gpt-4o'}, ${c.provider ?? 'openai'}, ${c.model ?? 'gpt-4o'},
        ${c.reason ?? 'primary'}, ${c.at}, 10, 100, 20, ${c.cost}, ${c.cost === null ? 'unpriced' : 'priced'})`;
}

/** RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

function exportCsv(token: string | null, query: string) {
  return fetch(`${api.url}/api/analytics/export.csv?${query}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

describe('analytics router', () => {
  it('answers the summary, trends, expensive workflows and usage for the caller only', async () => {
    const me = await api.signUp();
    const them = await api.signUp();
    const wf = await me.client.workflows.create.mutate({ name: 'Summariser' });
    const theirs = await them.client.workflows.create.mutate({ name: 'Theirs' });
    const run = await seedRun(me.user.id, wf.id);
    const theirRun = await seedRun(them.user.id, theirs.id);
    const at = new Date(Date.now() - 3_600_000).toISOString();
    await seedCosts(me.user.id, wf.id, run, [
      { at, cost: 1500 },
      { at, cost: 2500, provider: 'anthropic', model: 'claude-sonnet-4', reason: 'fallback:overloaded' },
      { at, cost: null, model: 'gpt-unknown' },
    ]);
    await seedCosts(them.user.id, theirs.id, theirRun, [{ at, cost: 99_000 }]);

    const summary = await me.client.analytics.summary.query({ timeZone: 'Europe/Berlin' });
    expect(summary.totals.today.costMicros ?? 0).toBeLessThanOrEqual(4000);
    expect(summary.totals.allTime).toMatchObject({ costMicros: 4000, attempts: 3, unpricedAttempts: 1 });
    expect(summary.byWorkflow.map((w) => [w.name, w.costMicros])).toEqual([['Summariser', 4000]]);
    expect(summary.period.fallback.fallbackAttempts).toBe(1);
    expect(summary.range.timeZone).toBe('Europe/Berlin');

    const trends = await me.client.analytics.trends.query({
      interval: 'hour',
      from: new Date(Date.now() - 6 * 3_600_000),
    });
    expect(trends.points.length).toBeGreaterThanOrEqual(6);
    expect(trends.points.reduce((sum, p) => sum + (p.costMicros ?? 0), 0)).toBe(4000);

    const expensive = await me.client.analytics.expensiveWorkflows.query({ limit: 5 });
    expect(expensive.items.map((w) => w.workflowId)).toEqual([wf.id]);
    const usage = await me.client.analytics.usage.query({});
    expect(usage.tokens).toMatchObject({ inputTokens: 300, outputTokens: 60 });

    await expectApiError(me.client.analytics.summary.query({ workflowId: theirs.id }), 'NOT_FOUND');
    await expectApiError(
      me.client.analytics.summary.query({ from: new Date('2026-02-01'), to: new Date('2026-01-01') }),
      'BAD_REQUEST',
      { paths: ['to'] },
    );
    await expectApiError(
      me.client.analytics.trends.query({
        interval: 'day',
        from: new Date('2019-01-01'),
        to: new Date('2026-01-01'),
      }),
      'BAD_REQUEST',
      { paths: ['from'] },
    );
    await expectApiError(
      me.client.analytics.trends.query({ interval: 'day', timeZone: 'Nowhere/Special' }),
      'BAD_REQUEST',
      { paths: ['timeZone'] },
    );
  });
});

describe('CSV export', () => {
  it('writes one row per attempt with exact dollars, quoting and formula cells neutralised', async () => {
    const me = await api.signUp();
    const wf = await me.client.workflows.create.mutate({ name: '=HYPERLINK("http://evil.example","click")' });
    const run = await seedRun(me.user.id, wf.id);
    await seedCosts(me.user.id, wf.id, run, [
      { at: '2026-11-20T10:00:00Z', node: '+cmd|calc', role: 'writer, "senior"\nline two', cost: 1_234_567 },
      { at: '2026-11-20T10:01:00Z', node: '-2+3', role: '@SUM(A1)', cost: null, model: 'mystery' },
      { at: '2026-11-20T10:02:00Z', node: '\tTabbed', role: '\rcarriage', cost: 5 },
    ]);
    const response = await exportCsv(me.token, 'from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="swarm-costs-/);
    const text = await response.text();
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(text);
    const column = (name: string) => header!.indexOf(name);
    expect(header).toContain('cost_usd');
    expect(rows).toHaveLength(3);
    const [first, second, third] = rows as [string[], string[], string[]];
    expect(first[column('started_at')]).toBe('2026-11-20T10:00:00.000Z');
    expect(first[column('execution_id')]).toBe(run);
    expect(first[column('workflow_name')]).toBe('\'=HYPERLINK("http://evil.example","click")');
    expect(first[column('node_id')]).toBe("'+cmd|calc");
    expect(first[column('agent_role')]).toBe('writer, "senior"\nline two');
    expect(first[column('cost_micros')]).toBe('1234567');
    expect(first[column('cost_usd')]).toBe('1.234567');
    expect(first[column('cost_status')]).toBe('priced');
    expect(first[column('input_tokens')]).toBe('100');
    expect(second[column('node_id')]).toBe("'-2+3");
    expect(second[column('agent_role')]).toBe("'@SUM(A1)");
    // Unpriced: no cost at all, never 0.
    expect(second[column('cost_micros')]).toBe('');
    expect(second[column('cost_usd')]).toBe('');
    expect(second[column('cost_status')]).toBe('unpriced');
    expect(third[column('node_id')]).toBe("'\tTabbed");
    expect(third[column('agent_role')]).toBe("'\rcarriage");
    expect(third[column('cost_usd')]).toBe('0.000005');
  });

  it('filters by workflow and refuses bad requests with a status and the field', async () => {
    const me = await api.signUp();
    const them = await api.signUp();
    const a = await me.client.workflows.create.mutate({ name: 'A' });
    const b = await me.client.workflows.create.mutate({ name: 'B' });
    const theirs = await them.client.workflows.create.mutate({ name: 'Theirs' });
    const at = new Date(Date.now() - 60_000).toISOString();
    await seedCosts(me.user.id, a.id, await seedRun(me.user.id, a.id), [
      { at, cost: 1 },
      { at, cost: 2 },
    ]);
    await seedCosts(me.user.id, b.id, await seedRun(me.user.id, b.id), [{ at, cost: 3 }]);
    const onlyA = parseCsv(await (await exportCsv(me.token, `workflowId=${a.id}`)).text());
    expect(onlyA).toHaveLength(3);
    const all = parseCsv(await (await exportCsv(me.token, '')).text());
    expect(all).toHaveLength(4);

    expect((await exportCsv(null, '')).status).toBe(401);
    expect((await exportCsv(me.token, `workflowId=${theirs.id}`)).status).toBe(404);
    const reversed = await exportCsv(me.token, 'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(reversed.status).toBe(400);
    expect(
      ((await reversed.json()) as { error: { issues: Array<{ path: string }> } }).error.issues[0]!.path,
    ).toBe('to');
    const garbage = await exportCsv(me.token, 'from=someday');
    expect(garbage.status).toBe(400);
    expect(
      ((await garbage.json()) as { error: { issues: Array<{ path: string }> } }).error.issues[0]!.path,
    ).toBe('from');
  });

  it('streams a 100,000-row export in batches, reading the ledger as the client consumes it', async () => {
    const me = await api.signUp();
    const wf = await me.client.workflows.create.mutate({ name: 'Bulk' });
    const run = await seedRun(me.user.id, wf.id);
    const writeRowSortingLast = () => api.database.sql`
      insert into execution_costs (execution_id, node_id, workflow_id, owner_id, requested_provider,
        requested_model, served_provider, served_model, reason, started_at, latency_ms, cost_micros, cost_status)
      values (${run}, 'written-mid-export', ${wf.id}, ${me.user.id}, 'openai', 'gpt-4o', 'openai', 'gpt-4o',
        'primary', now(), 5, 1, 'priced')`;
    await api.database.sql`
      insert into execution_costs (execution_id, node_id, workflow_id, owner_id, requested_provider, requested_model,
        served_provider, served_model, reason, started_at, latency_ms, input_tokens, cost_micros, cost_status)
      select ${run}, 'n' || i, ${wf.id}, ${me.user.id}, 'openai', 'gpt-4o', 'openai', 'gpt-4o', 'primary',
        now() - (i || ' seconds')::interval, 5, i, i, 'priced'
      from generate_series(1, 100000) as i`;
    const response = await exportCsv(me.token, '');
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let chunks = 0;
    let lines = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks += 1;
      const text = decoder.decode(value, { stream: true });
      for (let i = text.indexOf('\r\n'); i !== -1; i = text.indexOf('\r\n', i + 2)) lines += 1;
    }
    expect(lines).toBe(100_001);
    expect(chunks).toBeGreaterThan(20);

    // The route streams what the ledger generator yields, one batch per pull. Pulled here by hand,
    // it reads the ledger as it is consumed: a row written after the first batch, sorting last,
    // is in the export. (Over HTTP this cannot be shown reliably: loopback socket buffers of tens
    // of MB let the server run ahead of a client that has read one chunk.)
    const batches = exportCostRows(api.database.db, me.user.id, {
      from: new Date(Date.now() - 2 * 86_400_000),
      to: new Date(Date.now() + 3_600_000),
      timeZone: 'UTC',
      workflowId: null,
    });
    let rows = (await batches.next()).value?.length ?? 0;
    await writeRowSortingLast();
    let last = '';
    for await (const batch of batches) {
      rows += batch.length;
      last = batch[batch.length - 1]!.node_id;
    }
    expect(rows).toBe(100_001);
    expect(last).toBe('written-mid-export');
  }, 120_000);
});

describe('budgets router', () => {
  it('manages budgets, refuses bad input naming the field, and blocks new runs once used up', async () => {
    const me = await api.signUp();
    const wf = await me.client.workflows.create.mutate({ name: 'Spender' });
    await expectApiError(
      me.client.budgets.create.mutate({
        scope: wf.id,
        monthlyLimitMicros: -1,
        alertAt: [50],
        blockWhenExceeded: true,
      }),
      'BAD_REQUEST',
      { paths: ['monthlyLimitMicros'] },
    );
    await expectApiError(
      me.client.budgets.create.mutate({
        scope: wf.id,
        monthlyLimitMicros: 1000,
        alertAt: [0, 150],
        blockWhenExceeded: true,
      }),
      'BAD_REQUEST',
      { paths: ['alertAt[0]', 'alertAt[1]'] },
    );
    await expectApiError(
      me.client.budgets.create.mutate({
        scope: '00000000-0000-4000-8000-000000000000',
        monthlyLimitMicros: 1000,
        alertAt: [50],
        blockWhenExceeded: true,
      }),
      'NOT_FOUND',
    );
    const budget = await me.client.budgets.create.mutate({
      scope: wf.id,
      monthlyLimitMicros: 5_000_000,
      alertAt: [50, 100],
      blockWhenExceeded: true,
    });
    expect(budget).toMatchObject({
      scope: 'workflow',
      workflowName: 'Spender',
      spentMicros: 0,
      blocked: false,
    });
    await me.client.runs.start.mutate({ workflowId: wf.id, input: {} });

    const run = await seedRun(me.user.id, wf.id);
    await seedCosts(me.user.id, wf.id, run, [{ at: new Date().toISOString(), cost: 5_000_000 }]);
    // Spend recorded by the runner settles onto the budget; here the ledger row stands in for it.
    await api.database.sql`update budgets set spent_micros = 5000000 where id = ${budget.id}`;
    const [listed] = await me.client.budgets.list.query();
    expect(listed).toMatchObject({ id: budget.id, spentMicros: 5_000_000, progress: 1, blocked: true });
    await expectApiError(me.client.runs.start.mutate({ workflowId: wf.id, input: {} }), 'CONFLICT', {
      message: /monthly budget of \$5\.00 for workflow "Spender" is exhausted/,
    });

    const updated = await me.client.budgets.update.mutate({ id: budget.id, blockWhenExceeded: false });
    expect(updated.blocked).toBe(false);
    await me.client.runs.start.mutate({ workflowId: wf.id, input: {} });
    const alerts = await me.client.budgets.alerts.query({ limit: 10 });
    expect(alerts.map((a) => a.threshold).sort()).toEqual([100, 50]);
    await me.client.budgets.delete.mutate({ id: budget.id });
    expect(await me.client.budgets.list.query()).toEqual([]);
  });
});
