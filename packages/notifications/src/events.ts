/**
 * Handling notification events on a runner: the fan-out of one event (deliveries, digests) and,
 * for a failed run, its error workflow (n8n's Error Trigger) — started in the same transaction
 * that marks the event fanned out, so it starts exactly once however many runners see the event.
 *
 * Loops are refused: a run started as an error workflow (`trigger: 'error'`) never starts another
 * one, so neither A → A nor a chain A → B → A can ping-pong; saving a workflow refuses naming
 * itself (`assertErrorWorkflowTarget`).
 */
import {
  announceRunsReady,
  createExecution,
  type Db,
  failedRunForErrorWorkflow,
  fanOutNotificationEvent,
  type JobSender,
  type NotificationEventRow,
  pendingNotificationEventIds,
  prepareRun,
  type Tx,
} from '@swarm/db';
import type { NodeRegistry } from '@swarm/engine';
import type { Logger } from 'pino';

export interface EventServices {
  db: Db;
  jobs: JobSender;
  registry: NodeRegistry;
  logger: Logger;
}

/** What an error workflow receives as its run input. */
export interface ErrorWorkflowInput {
  workflow: { id: string; name: string };
  run: { id: string; trigger: string; input: unknown };
  failedNode: { id: string; name: string | null } | null;
  error: { code: string; message: string } | null;
}

/**
 * Starts the failed run's error workflow, if it names one, inside `tx` (a savepoint: an error
 * workflow that cannot start — deleted, invalid, input refused — is recorded, never undoes the
 * fan-out). Returns what to keep on the event.
 */
async function startErrorWorkflow(
  tx: Tx,
  services: EventServices,
  event: NotificationEventRow,
): Promise<Record<string, unknown>> {
  if (event.kind !== 'run_failed' || !event.executionId) return {};
  const failed = await failedRunForErrorWorkflow(tx, event.executionId);
  if (!failed?.onFailure) return {};
  if (failed.trigger === 'error' || failed.onFailure === failed.workflowId) {
    services.logger.info(
      { executionId: failed.id, workflowId: failed.workflowId },
      'error workflow not started: the failed run was itself an error workflow run (loop)',
    );
    return { errorWorkflowRefused: 'the failed run was an error workflow run itself; loops are not started' };
  }
  const input: ErrorWorkflowInput = {
    workflow: { id: failed.workflowId, name: failed.workflowName },
    run: { id: failed.id, trigger: failed.trigger, input: failed.input },
    failedNode: event.payload.nodeId
      ? { id: String(event.payload.nodeId), name: (event.payload.nodeName as string | null) ?? null }
      : null,
    error: failed.error ? { code: failed.error.code, message: failed.error.message } : null,
  };
  try {
    const { id } = await tx.transaction(async (savepoint) => {
      const prepared = await prepareRun(savepoint, {
        ownerId: failed.ownerId,
        workflowId: failed.onFailure!,
        input,
        trigger: 'error',
        registry: services.registry,
      });
      const created = await createExecution(savepoint, services.jobs, prepared);
      // Delivered on commit: runners start it at once instead of at their next poll.
      await announceRunsReady(savepoint);
      return created;
    });
    services.logger.info(
      { executionId: failed.id, errorWorkflowId: failed.onFailure, errorWorkflowRunId: id },
      'error workflow started',
    );
    return { errorWorkflowRunId: id };
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    services.logger.warn(
      { executionId: failed.id, errorWorkflowId: failed.onFailure, error: message },
      'error workflow could not start',
    );
    return { errorWorkflowRefused: message };
  }
}

/** The `notificationEvent` job: fans one event out (once; later calls do nothing). */
export async function handleNotificationEvent(services: EventServices, eventId: string) {
  const result = await fanOutNotificationEvent(services.db, services.jobs, eventId, {
    alsoInTransaction: (tx, event) => startErrorWorkflow(tx, services, event),
  });
  if (result)
    services.logger.info(
      { eventId, sent: result.sent.length, suppressed: result.suppressed.length, ...result.extra },
      'notification event fanned out',
    );
  return result;
}

/** The `notificationSweep` job: fans out what triggers recorded (and any event whose job was lost). */
export async function sweepNotificationEvents(services: EventServices) {
  const ids = await pendingNotificationEventIds(services.db);
  let fannedOut = 0;
  for (const id of ids) if (await handleNotificationEvent(services, id)) fannedOut += 1;
  return { fannedOut };
}
