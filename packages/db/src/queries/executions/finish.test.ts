/**
 * Ending runs in groups: the same rows, costs and event numbers as ending each run alone, runs
 * fenced out left untouched, and the runs' jobs completed in the same transaction.
 */
import { describe, expect, it } from 'vitest';
import { type JobData, onTransaction } from '../../jobs.ts';
import {
  createRunFinisher,
  finishExecution,
  finishExecutionsInTransaction,
  getExecution,
  type RunFinish,
  recordSteps,
} from './index.ts';
import { attempt, finishedStep, useRunTestKit } from './test-kit.ts';

const { database, jobs, ownerWithWorkflow, startRun, claimed, count } = useRunTestKit();

const started = (nodeId: string) =>
  ({ kind: 'started', nodeId, nodeType: 'merge', input: {}, startedAt: new Date() }) as const;

/** Each step's status and event number, relative to the run's sequence before the end. */
async function stepsBySeq(ownerId: string, id: string, before: number) {
  const detail = await getExecution(database.db, ownerId, id);
  return detail.steps
    .map((s) => [s.nodeId, s.status, s.eventSeq - before] as const)
    .sort((a, b) => a[2] - b[2]);
}

describe('finishExecutionsInTransaction', () => {
  it('ends several runs in one transaction exactly as ending each alone would, and leaves a fenced-out run alone', async () => {
    const owner = await ownerWithWorkflow();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await startRun(owner)).id);
    const runs = await Promise.all(ids.map((id) => claimed(id)));
    // Run 1 already has a step written and a branch still running before its end.
    expect((await recordSteps(database.db, runs[1]!, [started('merge')])).ok).toBe(true);
    const seqBefore = await Promise.all(
      ids.map(async (id) => (await getExecution(database.db, owner.ownerId, id)).eventSeq),
    );

    const finishes: RunFinish[] = [
      {
        fence: runs[0]!,
        outcome: { status: 'succeeded', output: { answer: 42 }, error: null },
        pendingSteps: [
          { kind: 'finished', ...finishedStep('researcher', { attempts: [attempt({ costMicros: 70 })] }) },
          { kind: 'finished', ...finishedStep('critic', { attempts: [attempt({ costMicros: 30 })] }) },
        ],
      },
      {
        fence: runs[1]!,
        outcome: {
          status: 'failed',
          output: null,
          error: { code: 'provider_error', message: 'rejected key sk-abc123defghijklmnopqrstu' },
        },
        pendingSteps: [{ kind: 'finished', ...finishedStep('researcher', { status: 'failed' }) }],
      },
      // A stale runner's end: the claim moved on.
      {
        fence: { ...runs[2]!, runAttempt: runs[2]!.runAttempt - 1 },
        outcome: { status: 'succeeded', output: 1, error: null },
      },
      { fence: runs[3]!, outcome: { status: 'cancelled', output: null, error: null } },
    ];
    const ended = await database.db.transaction((tx) => finishExecutionsInTransaction(tx, finishes));
    expect(ended).toEqual([true, true, false, true]);

    const [first, second, stale, last] = await Promise.all(
      ids.map((id) => getExecution(database.db, owner.ownerId, id)),
    );
    expect(first).toMatchObject({
      status: 'succeeded',
      output: { answer: 42 },
      costMicros: 100,
      eventSeq: seqBefore[0]! + 3,
    });
    expect(first!.durationMs).toBeGreaterThanOrEqual(0);
    expect(await stepsBySeq(owner.ownerId, ids[0]!, seqBefore[0]!)).toEqual([
      ['researcher', 'succeeded', 1],
      ['critic', 'succeeded', 2],
    ]);
    expect(await count('execution_costs', ids[0]!)).toBe(2);
    // The still-running branch is closed as cancelled, numbered after the pending step.
    expect(second).toMatchObject({ status: 'failed', eventSeq: seqBefore[1]! + 3 });
    expect(second!.error?.message).not.toContain('sk-abc123defghijklmnopqrstu');
    expect(await stepsBySeq(owner.ownerId, ids[1]!, seqBefore[1]!)).toEqual([
      ['researcher', 'failed', 1],
      ['merge', 'cancelled', 2],
    ]);
    expect(stale).toMatchObject({ status: 'running', eventSeq: seqBefore[2]!, finishedAt: null });
    expect(await count('execution_steps', ids[2]!)).toBe(0);
    expect(last).toMatchObject({
      status: 'cancelled',
      output: null,
      costMicros: 0,
      eventSeq: seqBefore[3]! + 1,
    });
  });

  it('gives the same rows as finishExecution for a lone run', async () => {
    const owner = await ownerWithWorkflow();
    const [a, b] = [(await startRun(owner)).id, (await startRun(owner)).id];
    const pending = [{ kind: 'finished' as const, ...finishedStep('researcher', { attempts: [attempt()] }) }];
    const outcome = { status: 'succeeded' as const, output: 'done', error: null };
    expect(await finishExecution(database.db, await claimed(a), outcome, pending)).toBe(true);
    const fence = await claimed(b);
    expect(
      await database.db.transaction((tx) =>
        finishExecutionsInTransaction(tx, [{ fence, outcome, pendingSteps: pending }]),
      ),
    ).toEqual([true]);
    const comparable = async (id: string) => {
      const {
        id: _,
        createdAt,
        startedAt,
        finishedAt,
        durationMs,
        input,
        steps,
        ...rest
      } = await getExecution(database.db, owner.ownerId, id);
      return {
        ...rest,
        steps: steps.map(({ id: _s, startedAt: _a, finishedAt: _b, ...step }) => step),
      };
    };
    expect(await comparable(b)).toEqual(await comparable(a));
  });
});

describe('createRunFinisher', () => {
  it('ends runs that finish together in fewer transactions and completes their jobs with them', async () => {
    const owner = await ownerWithWorkflow();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await startRun(owner)).id);
    // Other tests' runs share the queue: keep this test's own.
    const fetched = (await jobs.boss.fetch<JobData<'run'>>('run', { batchSize: 100 })).filter((job) =>
      ids.includes(job.data.executionId),
    );
    expect(fetched).toHaveLength(6);
    const groups: number[] = [];
    const finisher = createRunFinisher(database.db, {
      completeJobs: async (tx, attempts) => {
        groups.push(attempts.length);
        await jobs.boss.complete('run', attempts, null, onTransaction(tx));
      },
    });
    const fences = await Promise.all(fetched.map((job) => claimed(job.data.executionId)));
    // Submitted together: the first goes at once, the other five wait for it and go as one group.
    const results = await Promise.all(
      fetched.map((job, i) =>
        finisher.finish({
          fence: fences[i]!,
          outcome: { status: 'succeeded', output: job.data.executionId, error: null },
          job: { id: job.id, retryCount: job.retryCount },
        }),
      ),
    );
    expect(results).toEqual(fetched.map(() => true));
    expect(groups).toEqual([1, 5]);
    const states = await database.sql<{ state: string }[]>`
      select state from pgboss.job where name = 'run' and id = any(${fetched.map((job) => job.id)}::uuid[])`;
    expect(states.map((row) => row.state)).toEqual(fetched.map(() => 'completed'));
    for (const id of ids)
      expect((await getExecution(database.db, owner.ownerId, id)).status).toBe('succeeded');
  });

  it('keeps one run’s failure its own: a group that fails is retried run by run', async () => {
    const owner = await ownerWithWorkflow();
    const ids = [(await startRun(owner)).id, (await startRun(owner)).id, (await startRun(owner)).id];
    const fences = await Promise.all(ids.map((id) => claimed(id)));
    const finisher = createRunFinisher(database.db);
    const succeed = (i: number) => ({ status: 'succeeded' as const, output: i, error: null });
    // The first goes at once; the other two wait for it and go together, and fail together.
    const outcomes = await Promise.allSettled([
      finisher.finish({ fence: fences[0]!, outcome: succeed(0) }),
      finisher.finish({ fence: fences[1]!, outcome: succeed(1) }),
      finisher.finish({
        fence: fences[2]!,
        outcome: succeed(2),
        alsoInTransaction: () => Promise.reject(new Error('only this run breaks')),
      }),
    ]);
    expect(outcomes.slice(0, 2)).toEqual([
      { status: 'fulfilled', value: true },
      { status: 'fulfilled', value: true },
    ]);
    expect(outcomes[2]).toMatchObject({ status: 'rejected', reason: { message: 'only this run breaks' } });
    const statuses = await Promise.all(
      ids.map(async (id) => (await getExecution(database.db, owner.ownerId, id)).status),
    );
    expect(statuses).toEqual(['succeeded', 'succeeded', 'running']);
  });
});
