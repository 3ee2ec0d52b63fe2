/**
 * Starting runs in groups (`runs.start`'s group commit): each request gets the answer it would
 * have got alone, and a failed check leaves nothing behind for anyone.
 */
import { createNodeRegistry } from '@swarm/engine/server';
import { describe, expect, it } from 'vitest';
import { useRunTestKit } from './executions/test-kit.ts';
import { createRunStarter, type RunQueue, type RunRequest, startRuns } from './start-run.ts';

const { database, jobs, ownerWithWorkflow, runJobsFor } = useRunTestKit();
const registry = createNodeRegistry();
const queue = (): RunQueue => ({ jobs: jobs.boss, wakeup: null });

async function runsOf(workflowId: string) {
  return database.sql<{ id: string; kind: string; input: unknown; version_id: string | null }[]>`
    select id, kind, input, version_id from executions where workflow_id = ${workflowId} order by input->>'query'`;
}

describe('startRuns', () => {
  it('answers each request as if it were alone, in one transaction for the rest', async () => {
    const a = await ownerWithWorkflow();
    const b = await ownerWithWorkflow();
    const request = (owner: typeof a, input: unknown, extra: Partial<RunRequest> = {}): RunRequest => ({
      ownerId: owner.ownerId,
      workflowId: owner.workflowId,
      input,
      trigger: 'api',
      registry,
      ...extra,
    });
    const answers = await startRuns(database.db, queue(), [
      request(a, { query: 'first' }),
      // The sample's input schema needs a non-empty query.
      request(a, { query: '' }),
      request(b, { query: 'other owner' }),
      // Not this owner's workflow.
      request(a, { query: 'x' }, { workflowId: b.workflowId }),
      request(a, { query: 'a test' }, { test: true }),
      request(a, { query: 'second' }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(answers[1]).toMatchObject({ reason: { code: 'BAD_REQUEST' } });
    expect(JSON.stringify((answers[1] as PromiseRejectedResult).reason.issues)).toContain('input.query');
    expect(answers[3]).toMatchObject({ reason: { code: 'NOT_FOUND' } });

    // Each answer names its own run.
    const byId = new Map(
      [...(await runsOf(a.workflowId)), ...(await runsOf(b.workflowId))].map((run) => [run.id, run]),
    );
    expect(byId.size).toBe(4);
    expect(
      answers.map((answer) => {
        if (answer.status === 'rejected') return null;
        const run = byId.get(answer.value.executionId);
        return [run?.kind, run?.input];
      }),
    ).toEqual([
      ['run', { query: 'first' }],
      null,
      ['run', { query: 'other owner' }],
      null,
      ['test', { query: 'a test' }],
      ['run', { query: 'second' }],
    ]);
    const started = answers.flatMap((answer) =>
      answer.status === 'fulfilled' ? [answer.value.executionId] : [],
    );
    expect((await runsOf(b.workflowId)).map((run) => run.input)).toEqual([{ query: 'other owner' }]);
    for (const id of started) expect(await runJobsFor(id)).toHaveLength(1);
  });
});

describe('createRunStarter', () => {
  it('starts concurrent requests together and answers each its own', async () => {
    const owner = await ownerWithWorkflow();
    const starter = createRunStarter(database.db, queue());
    const request = (query: string): RunRequest => ({
      ownerId: owner.ownerId,
      workflowId: owner.workflowId,
      input: { query },
      trigger: 'manual',
      registry,
    });
    const results = await Promise.allSettled(
      ['a', 'b', '', 'c'].map((query) => starter.start(request(query))),
    );
    expect(results.map((result) => result.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    const runs = await runsOf(owner.workflowId);
    expect(runs.map((run) => run.input)).toEqual([{ query: 'a' }, { query: 'b' }, { query: 'c' }]);
    expect(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.executionId] : []))).toEqual(
      runs.map((run) => run.id),
    );
  });
});
