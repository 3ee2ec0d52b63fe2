/**
 * What the runner does for each job of the catalog but `run` (the run dispatcher's). The map's type
 * makes it complete: adding a job to the catalog without a handler here fails the typecheck.
 * Handlers delegate to services and packages in a line or two.
 */
import {
  type Db,
  failAbandonedExecution,
  type JobData,
  type JobName,
  pruneExpiredAuthState,
  pruneExpiredRunWatchers,
  pruneNotificationLog,
  pruneProviderHealthBuckets,
  pruneScheduleFires,
  pruneWebhookIdempotencyKeys,
  pruneWebhookLogs,
  recordRunFailedEvent,
  WEBHOOK_IDEMPOTENCY_RETENTION_MS,
} from '@swarm/db';
import { deliverNotification, handleNotificationEvent, sweepNotificationEvents } from '@swarm/notifications';
import type { Logger } from 'pino';
import type { NotificationServices } from './notifications.ts';

/** What the maintenance job keeps that the operator may choose (runner options, from its env). */
export interface MaintenanceSettings {
  /** How long accepted webhook calls' delivery keys stay duplicates (WEBHOOK_IDEMPOTENCY_DAYS). */
  webhookIdempotencyMs: number;
}

export function maintenanceSettings(given: Partial<MaintenanceSettings> = {}): MaintenanceSettings {
  return { webhookIdempotencyMs: given.webhookIdempotencyMs ?? WEBHOOK_IDEMPOTENCY_RETENTION_MS };
}

export interface JobContext {
  db: Db;
  logger: Logger;
  maintenance: MaintenanceSettings;
  notifications: NotificationServices;
}

/** The queues these handlers serve: every one but `run`. */
export type HandledJobName = Exclude<JobName, 'run'>;

const HEALTH_BUCKET_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

export type JobHandlers = {
  [Name in HandledJobName]: (data: JobData<Name>, ctx: JobContext) => Promise<unknown>;
};

export const jobHandlers: JobHandlers = {
  async maintenance(_data, { db, logger, maintenance }) {
    const auth = await pruneExpiredAuthState(db);
    // Breakers look back a minute and routing five; a week keeps enough for the health page.
    const healthBuckets = await pruneProviderHealthBuckets(db, HEALTH_BUCKET_RETENTION_MS);
    // Webhook call logs: 30 days, at most the newest 1,000 per webhook.
    const webhookLogs = await pruneWebhookLogs(db);
    // Idempotency keys of accepted webhook calls: by age alone (7 days by default), apart from the
    // log, so a flood of refused calls cannot turn a sender's retry into a second run.
    const webhookIdempotencyKeys = await pruneWebhookIdempotencyKeys(db, maintenance.webhookIdempotencyMs);
    // Schedule history: 90 days, at most the newest 1,000 per schedule (never queued or active ones).
    const scheduleFires = await pruneScheduleFires(db);
    // Live viewers that went away without saying so (writers already ignore their expired rows).
    const runWatchers = await pruneExpiredRunWatchers(db);
    // The notification delivery log and its events: 90 days.
    const notificationLog = await pruneNotificationLog(db);
    const pruned = {
      ...auth,
      healthBuckets,
      webhookLogs,
      webhookIdempotencyKeys,
      scheduleFires,
      runWatchers,
      notificationLog,
    };
    logger.info({ pruned }, 'maintenance done');
    return pruned;
  },

  // A scheduled run failed here gets its retry from the scheduler's sweep (within about 30 s).
  async runAbandoned({ executionId }, { db, logger, notifications }) {
    const failed = await failAbandonedExecution(db, executionId);
    logger.warn({ executionId, failed }, 'run abandoned after its retries ran out');
    // After the fact (its own transaction): the event's dedupe key keeps a retried job to one.
    if (failed) await recordRunFailedEvent(db, notifications.jobs, executionId);
    return { failed };
  },

  notificationEvent: ({ eventId }, { notifications }) => handleNotificationEvent(notifications, eventId),

  notificationDelivery: ({ deliveryId }, { notifications }) => deliverNotification(notifications, deliveryId),

  notificationSweep: (_data, { notifications }) => sweepNotificationEvents(notifications),
};
