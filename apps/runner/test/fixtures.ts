/**
 * Shared test fixtures for runs: owners with workflows, starting runs the way the API does (row and
 * job in one transaction), waiting for outcomes, and small workflows on the offline mock provider.
 */
import {
  announceRunsReady,
  createExecution,
  createUser,
  createWorkflow,
  type Db,
  getExecution,
  type JobSender,
} from '@swarm/db';
import type { WorkflowDefinition } from '@swarm/engine';
import { expect } from 'vitest';

export { agentChain } from '../src/testing/workflows.ts';

let owners = 0;

export async function ownerWithWorkflow(db: Db, definition: WorkflowDefinition) {
  const user = await createUser(db, {
    email: `runner-owner${++owners}-${Date.now()}@example.com`,
    name: '',
    passwordHash: 'x',
  });
  const workflow = await createWorkflow(db, user.id, { name: 'test workflow', definition });
  return { ownerId: user.id, workflowId: workflow.id, definition };
}

export type Owner = Awaited<ReturnType<typeof ownerWithWorkflow>>;

/** Starts a run as a trigger does: the row and its job in one transaction, then the runners woken. */
export async function startRun(db: Db, jobs: JobSender, owner: Owner, input: unknown = { query: 'hello' }) {
  const execution = await createExecution(db, jobs, {
    ownerId: owner.ownerId,
    workflowId: owner.workflowId,
    definition: owner.definition,
    input,
    trigger: 'api',
  });
  await announceRunsReady(db);
  return execution;
}

/** Waits (polling, no fixed sleeps) until the run reaches one of `statuses`, and returns it. */
export async function waitForRun(
  db: Db,
  owner: Owner,
  id: string,
  statuses: string[] = ['succeeded', 'failed', 'cancelled'],
  timeout = 30_000,
) {
  await expect
    .poll(async () => (await getExecution(db, owner.ownerId, id)).status, { timeout, interval: 50 })
    .toSatisfy((status: string) => statuses.includes(status));
  return getExecution(db, owner.ownerId, id);
}
