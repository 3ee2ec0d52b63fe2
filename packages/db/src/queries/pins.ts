/**
 * Pinned node outputs of a workflow's draft: set and removed from the editor's node panel, used by
 * test runs only (the draft test run and node tests), restored by an import that carries them.
 * Always scoped to the owner through the workflow.
 */
import { findUnsafeJson, invalidInput, NotFoundError } from '@swarm/engine';
import { and, asc, eq, sql } from 'drizzle-orm';
import { type DbOrTx, inTransaction } from '../client.ts';
import { workflowPins, workflows } from '../schema/index.ts';

/** The largest pinned output (bytes of JSON): the executor's default output limit. */
export const MAX_PIN_BYTES = 1_000_000;

export interface WorkflowPin {
  nodeId: string;
  output: unknown;
  updatedAt: Date;
}

async function assertOwnedWorkflow(db: DbOrTx, ownerId: string, workflowId: string): Promise<void> {
  const [row] = await db
    .select({ id: workflows.id })
    .from(workflows)
    .where(and(eq(workflows.id, workflowId), eq(workflows.ownerId, ownerId)));
  if (!row) throw new NotFoundError('workflow');
}

/** A pinned output as stored: plain, safe JSON within `MAX_PIN_BYTES`. */
export function pinOutputOf(value: unknown, path = 'output'): unknown {
  const text = JSON.stringify(value === undefined ? null : value) ?? 'null';
  if (Buffer.byteLength(text) > MAX_PIN_BYTES)
    throw invalidInput([{ path, message: `at most ${MAX_PIN_BYTES} bytes of JSON` }]);
  const json: unknown = JSON.parse(text);
  const unsafe = findUnsafeJson(json, [path]);
  if (unsafe.length > 0) throw invalidInput(unsafe);
  return json;
}

/** The owner's workflow's pins, by node id order; NOT_FOUND for anyone else's workflow. */
export async function listPins(db: DbOrTx, ownerId: string, workflowId: string): Promise<WorkflowPin[]> {
  await assertOwnedWorkflow(db, ownerId, workflowId);
  return db
    .select({ nodeId: workflowPins.nodeId, output: workflowPins.output, updatedAt: workflowPins.updatedAt })
    .from(workflowPins)
    .where(eq(workflowPins.workflowId, workflowId))
    .orderBy(asc(workflowPins.nodeId));
}

/** Pins (or re-pins) a node's output. The node must be in the draft (`nodeId` names it otherwise). */
export async function setPin(
  db: DbOrTx,
  ownerId: string,
  input: { workflowId: string; nodeId: string; output: unknown },
): Promise<WorkflowPin> {
  const output = pinOutputOf(input.output);
  return inTransaction(db, async (tx) => {
    const [workflow] = await tx
      .select({ definition: workflows.definition })
      .from(workflows)
      .where(and(eq(workflows.id, input.workflowId), eq(workflows.ownerId, ownerId)));
    if (!workflow) throw new NotFoundError('workflow');
    if (!workflow.definition.nodes.some((n) => n.id === input.nodeId))
      throw invalidInput([{ path: 'nodeId', message: `no node "${input.nodeId}" in the draft` }]);
    const [row] = await tx
      .insert(workflowPins)
      .values({ workflowId: input.workflowId, nodeId: input.nodeId, output })
      .onConflictDoUpdate({
        target: [workflowPins.workflowId, workflowPins.nodeId],
        set: { output, updatedAt: sql`now()` },
      })
      .returning({
        nodeId: workflowPins.nodeId,
        output: workflowPins.output,
        updatedAt: workflowPins.updatedAt,
      });
    return row!;
  });
}

/** Removes a node's pin (nothing to remove is fine); NOT_FOUND for anyone else's workflow. */
export async function removePin(
  db: DbOrTx,
  ownerId: string,
  input: { workflowId: string; nodeId: string },
): Promise<void> {
  await assertOwnedWorkflow(db, ownerId, input.workflowId);
  await db
    .delete(workflowPins)
    .where(and(eq(workflowPins.workflowId, input.workflowId), eq(workflowPins.nodeId, input.nodeId)));
}

/** The pins a test run of the draft uses, for the nodes the draft still has. */
export async function pinsForRun(
  db: DbOrTx,
  workflowId: string,
  nodeIds: ReadonlySet<string>,
): Promise<Record<string, { output: unknown }>> {
  const rows = await db
    .select({ nodeId: workflowPins.nodeId, output: workflowPins.output })
    .from(workflowPins)
    .where(eq(workflowPins.workflowId, workflowId));
  return Object.fromEntries(
    rows.filter((r) => nodeIds.has(r.nodeId)).map((r) => [r.nodeId, { output: r.output }]),
  );
}

/** Adds `pins` (node id → output) to a workflow's draft, replacing pins of the same nodes. */
export async function restorePins(tx: DbOrTx, workflowId: string, pins: Record<string, unknown>) {
  const rows = Object.entries(pins).map(([nodeId, output]) => ({
    workflowId,
    nodeId,
    output: pinOutputOf(output, `pins.${nodeId}`),
  }));
  if (rows.length === 0) return;
  await tx
    .insert(workflowPins)
    .values(rows)
    .onConflictDoUpdate({
      target: [workflowPins.workflowId, workflowPins.nodeId],
      set: { output: sql`excluded.output`, updatedAt: sql`now()` },
    });
}
