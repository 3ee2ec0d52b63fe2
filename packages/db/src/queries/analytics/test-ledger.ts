/**
 * Known-answer analytics over a small seeded ledger: every figure is checked to the micro-dollar,
 * "today / this week / this month" in three time zones (one with a half-hour offset, one crossing
 * the end of daylight saving time) with a fixed `now`, unpriced attempts counted apart (never $0),
 * breakdowns that mix daily rollups with raw ledger rows at the range's ends, zero-filled trends,
 * and the bad-input cases. This is the seed (two owners, their workflows and a version, runs
 * inserted finished as imports do, attempts with chosen times, providers, roles and costs); the
 * *.test.ts files next to it check the answers.
 */
import { DomainError, sampleWorkflowDefinition } from '@swarm/engine';
import { beforeAll, expect } from 'vitest';
import { useTestDatabase } from '../../testing/vitest.ts';
import { createUser } from '../users.ts';
import { commitVersion } from '../versions.ts';
import { createWorkflow } from '../workflows.ts';
import { analyticsFilterSchema } from './index.ts';

/** Wednesday 2026-11-25 06:30 UTC = Tuesday 22:30 in Los Angeles = 12:00 in Kolkata. */
export const NOW = new Date('2026-11-25T06:30:00.000Z');

export interface Attempt {
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

/** What the seed created (filled in `beforeAll`: read it inside tests and hooks). */
export interface SeededLedger {
  owner: string;
  other: string;
  wf1: string;
  wf2: string;
  otherWorkflow: string;
  v1: string;
}

/** Call at the top of a test file: a database of its own, seeded before the file's tests. */
export function useSeededLedger() {
  const database = useTestDatabase();
  const seeded = {} as SeededLedger;
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
    Object.assign(seeded, { owner, other, wf1, wf2, otherWorkflow, v1 });
  });
  return { database, seeded, insertRun, insertAttempts };
}

export const filter = (f: object) => analyticsFilterSchema.parse(f);

export async function expectDomainError(promise: Promise<unknown>, code: string, path?: string) {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  if (path) expect((error as DomainError).issues.map((i) => i.path)).toContain(path);
}
