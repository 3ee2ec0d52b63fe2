/**
 * What the run tests share: a database and job sender per test file, owners with a workflow, runs
 * started and claimed, and step and attempt records to write.
 */
import { type AttemptRecord, sampleWorkflowDefinition, type WorkflowDefinition } from '@swarm/engine';
import { useJobSender, useTestDatabase } from '../../testing/vitest.ts';
import { createUser } from '../users.ts';
import { createWorkflow } from '../workflows.ts';
import { claimExecution, createExecution, type FinishedStep } from './index.ts';

/** Call at the top of a test file (it registers the file's database hooks). */
export function useRunTestKit() {
  const database = useTestDatabase();
  const jobs = useJobSender(database);

  let userCount = 0;
  async function ownerWithWorkflow(definition: WorkflowDefinition = sampleWorkflowDefinition()) {
    const user = await createUser(database.db, {
      email: `runs${++userCount}@example.com`,
      name: '',
      passwordHash: 'x',
    });
    const workflow = await createWorkflow(database.db, user.id, { name: 'wf', definition });
    return { ownerId: user.id, workflowId: workflow.id, definition };
  }

  async function startRun(
    owner: Awaited<ReturnType<typeof ownerWithWorkflow>>,
    extra: Partial<Parameters<typeof createExecution>[2]> = {},
  ) {
    return createExecution(database.db, jobs.sender, {
      ownerId: owner.ownerId,
      workflowId: owner.workflowId,
      definition: owner.definition,
      input: { query: 'why' },
      trigger: 'manual',
      ...extra,
    });
  }

  async function claimed(executionId: string) {
    const result = await claimExecution(database.db, executionId);
    if (result.outcome !== 'claimed') throw new Error(`expected a claim, got ${result.outcome}`);
    return result.run;
  }

  const count = async (table: string, executionId: string) => {
    const column = table === 'executions' ? 'id' : 'execution_id';
    const [row] = await database.sql.unsafe<{ n: number }[]>(
      `select count(*)::int as n from ${table} where ${column} = $1`,
      [executionId],
    );
    return row!.n;
  };

  const runJobsFor = async (executionId: string) =>
    database.sql<{ state: string; group_id: string | null; group_tier: string | null }[]>`
      select state, group_id, group_tier from pgboss.job where name = 'run' and data->>'executionId' = ${executionId}`;

  return { database, jobs, ownerWithWorkflow, startRun, claimed, count, runJobsFor };
}

export const attempt = (overrides: Partial<AttemptRecord> = {}): AttemptRecord => ({
  requestedProvider: 'mock',
  requestedModel: 'echo',
  servedProvider: 'mock',
  servedModel: 'echo',
  reason: 'primary',
  errorClass: null,
  errorMessage: null,
  startedAt: new Date(),
  latencyMs: 12,
  timeToFirstTokenMs: null,
  usage: { inputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 5, reasoningTokens: 0 },
  priceId: null,
  costMicros: 70,
  costStatus: 'priced',
  ...overrides,
});

export const finishedStep = (nodeId: string, overrides: Partial<FinishedStep> = {}) => ({
  nodeId,
  nodeType: 'agent',
  status: 'succeeded' as const,
  input: { prompt: nodeId },
  output: `${nodeId} says hi`,
  error: null,
  branch: null,
  startedAt: new Date(Date.now() - 20),
  finishedAt: new Date(),
  attempts: [] as AttemptRecord[],
  ...overrides,
});
