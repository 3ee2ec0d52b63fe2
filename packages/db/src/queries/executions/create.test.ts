import { sampleWorkflowDefinition, selectReusableSteps } from '@swarm/engine';
import { describe, expect, it } from 'vitest';
import {
  createExecution,
  finishExecution,
  getExecution,
  getExecutionForRerun,
  listExecutions,
  recordStepFinished,
} from './index.ts';
import { attempt, finishedStep, useRunTestKit } from './test-kit.ts';

const { database, jobs, ownerWithWorkflow, startRun, claimed, count, runJobsFor } = useRunTestKit();

describe('creating a run', () => {
  it('writes the queued execution and its run job in one transaction', async () => {
    const owner = await ownerWithWorkflow();
    const { id } = await startRun(owner);
    const run = await getExecution(database.db, owner.ownerId, id);
    expect(run).toMatchObject({ status: 'queued', trigger: 'manual', input: { query: 'why' }, steps: [] });
    expect(run.costMicros).toBe(0);
    expect(await runJobsFor(id)).toEqual([{ state: 'created', group_id: null, group_tier: null }]);
  });

  it('leaves neither row nor job behind when the transaction fails', async () => {
    const owner = await ownerWithWorkflow();
    const [before] = await database.sql<
      { n: number }[]
    >`select count(*)::int as n from pgboss.job where name = 'run'`;
    await expect(
      createExecution(database.db, jobs.sender, {
        ownerId: owner.ownerId,
        workflowId: '00000000-0000-4000-8000-000000000000', // no such workflow: the FK fails the insert
        definition: owner.definition,
        input: {},
        trigger: 'api',
      }),
    ).rejects.toThrow();
    const [after] = await database.sql<
      { n: number }[]
    >`select count(*)::int as n from pgboss.job where name = 'run'`;
    expect(after!.n).toBe(before!.n);
    expect((await listExecutions(database.db, owner.ownerId)).items).toEqual([]);
  });

  it('puts a limited workflow’s job in its concurrency group', async () => {
    const owner = await ownerWithWorkflow({
      ...sampleWorkflowDefinition(),
      settings: { maxConcurrentRuns: 2 },
    });
    const { id } = await startRun(owner);
    expect(await runJobsFor(id)).toEqual([{ state: 'created', group_id: owner.workflowId, group_tier: '2' }]);
  });
});

describe('re-runs', () => {
  it('copies reused steps into the new run without cost, and hands them to the runner as done', async () => {
    const owner = await ownerWithWorkflow();
    const source = await startRun(owner);
    const run = await claimed(source.id);
    for (const nodeId of ['input', 'researcher', 'critic', 'merge', 'writer', 'output']) {
      await recordStepFinished(database.db, run, finishedStep(nodeId, { attempts: [attempt()] }));
    }
    await finishExecution(database.db, run, { status: 'succeeded', output: 'brief', error: null });

    const original = await getExecutionForRerun(database.db, owner.ownerId, source.id);
    const reuseStepIds = selectReusableSteps({
      source: original,
      target: original.definition,
      fromNodeId: 'writer',
      inputChanged: false,
    });
    const rerun = await startRun(owner, { rerunOf: source.id, rerunFromNode: 'writer', reuseStepIds });
    expect(await count('execution_steps', rerun.id)).toBe(4);
    expect(await count('execution_costs', rerun.id)).toBe(0);
    const detail = await getExecution(database.db, owner.ownerId, rerun.id);
    expect(detail).toMatchObject({
      status: 'queued',
      rerunOf: source.id,
      rerunFromNode: 'writer',
      costMicros: 0,
    });
    const sourceSteps = new Map(
      (await getExecution(database.db, owner.ownerId, source.id)).steps.map((s) => [s.nodeId, s.id]),
    );
    for (const step of detail.steps) {
      expect(step).toMatchObject({ status: 'succeeded', costMicros: 0, runAttempt: 0, attempts: [] });
      expect(step.reusedFromStepId).toBe(sourceSteps.get(step.nodeId));
    }
    const claim = await claimed(rerun.id);
    expect(claim.priorSteps.map((s) => s.nodeId).sort()).toEqual(['critic', 'input', 'merge', 'researcher']);
  });
});
