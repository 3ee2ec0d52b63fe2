/**
 * Testing one node of a workflow's draft from the editor: a real run (kind `node_test`, the real
 * runner and ledger) of the node and its ancestors, the ancestors pinned to the given upstream
 * outputs so only the tested node executes. Without test data, the last full run of the workflow
 * supplies it (its input and its upstream outputs); that same data prefills the panel's editor.
 */

import type { ExecutionTrigger, NodeRegistry } from '@swarm/engine';
import { type NodeTestData, nodeTestDataFrom, nodeTestPlan } from '@swarm/engine';
import { and, desc, eq, ne } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.ts';
import { transactionAnnouncingRuns } from '../run-wakeup.ts';
import { executions } from '../schema/index.ts';
import { assertWithinBudget } from './budgets.ts';
import { runnableDefinition } from './checked-definitions.ts';
import { createExecution, listExecutionSteps } from './executions/index.ts';
import { pinOutputOf } from './pins.ts';
import { type RunQueue, runInputOf } from './start-run.ts';
import { getWorkflow } from './workflows.ts';

/** The newest run of the workflow that ran the whole graph (not a node test), with its steps. */
async function lastFullRun(db: DbOrTx, ownerId: string, workflowId: string) {
  const [run] = await db
    .select({ id: executions.id, input: executions.input })
    .from(executions)
    .where(
      and(
        eq(executions.workflowId, workflowId),
        eq(executions.ownerId, ownerId),
        ne(executions.kind, 'node_test'),
      ),
    )
    .orderBy(desc(executions.createdAt), desc(executions.id))
    .limit(1);
  if (!run) return null;
  return { ...run, steps: await listExecutionSteps(db, run.id) };
}

/** What a node's test panel starts from, and which run it came from (null: there was none). */
export async function getNodeTestData(
  db: DbOrTx,
  ownerId: string,
  input: { workflowId: string; nodeId: string },
): Promise<NodeTestData & { fromExecutionId: string | null }> {
  const workflow = await getWorkflow(db, ownerId, input.workflowId);
  const last = await lastFullRun(db, ownerId, input.workflowId);
  return {
    ...nodeTestDataFrom(workflow.definition, input.nodeId, last),
    fromExecutionId: last?.id ?? null,
  };
}

export interface NodeTestRequest {
  ownerId: string;
  workflowId: string;
  nodeId: string;
  /** The run input templates see; absent: the last run's. */
  input?: unknown;
  /** Upstream outputs by node id; absent: the last run's. */
  upstream?: Record<string, unknown> | undefined;
  trigger: ExecutionTrigger;
  registry: NodeRegistry;
}

/**
 * Queues a test of one node of the draft. NOT_FOUND for another owner's workflow or a node not in
 * the draft; BAD_REQUEST (with paths) when the node or its ancestors cannot run; CONFLICT when a
 * blocking budget is used up — a test spends real money like any run.
 */
export async function startNodeTest(
  db: Db,
  queue: RunQueue,
  request: NodeTestRequest,
): Promise<{ executionId: string }> {
  return transactionAnnouncingRuns(db, queue.wakeup, async (tx, runsReady) => {
    const workflow = await getWorkflow(tx, request.ownerId, request.workflowId);
    await assertWithinBudget(tx, request.ownerId, workflow.id);
    const needLast = request.input === undefined || request.upstream === undefined;
    const last = needLast
      ? nodeTestDataFrom(
          workflow.definition,
          request.nodeId,
          await lastFullRun(tx, request.ownerId, workflow.id),
        )
      : null;
    const upstream = Object.fromEntries(
      Object.entries(request.upstream ?? last?.upstream ?? {}).map(([id, output]) => [
        id,
        pinOutputOf(output, `upstream.${id}`),
      ]),
    );
    const plan = nodeTestPlan(workflow.definition, request.nodeId, {
      input: request.input === undefined ? last?.input : request.input,
      upstream,
    });
    const definition = runnableDefinition(plan.definition, request.registry);
    const input = runInputOf(request.input === undefined ? (last?.input ?? {}) : request.input);
    const { id } = await createExecution(tx, queue.jobs, {
      ownerId: request.ownerId,
      workflowId: workflow.id,
      definition,
      input,
      trigger: request.trigger,
      kind: 'node_test',
      pins: plan.pins,
    });
    await runsReady();
    return { executionId: id };
  });
}
