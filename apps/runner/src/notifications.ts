/**
 * The runner's notification services, composed once per runner from its options: what the
 * `notificationEvent`, `notificationDelivery` and `notificationSweep` jobs hand to
 * `@swarm/notifications`.
 */
import type { Db, JobSender } from '@swarm/db';
import type { HttpSettings, NodeRegistry } from '@swarm/engine';
import { createMailer, type DeliveryServices, type EventServices } from '@swarm/notifications';
import type { SecretKeyring } from '@swarm/providers/store';
import type { Logger } from 'pino';

export interface NotificationOptions {
  /** Decrypts channel secrets (SWARM_SECRET_KEY / SWARM_SECRET_KEYS). */
  secretKeys?: SecretKeyring | null | undefined;
  /** SMTP_URL; unset: email deliveries fail saying so. */
  smtpUrl?: string | undefined;
  smtpFrom?: string | undefined;
  /** SWARM_PUBLIC_URL, for links to runs. */
  publicUrl?: string | undefined;
}

export type NotificationServices = DeliveryServices & EventServices & { close(): void };

export function createNotificationServices(
  options: NotificationOptions & {
    db: Db;
    jobs: JobSender;
    registry: NodeRegistry;
    logger: Logger;
    http?: HttpSettings | undefined;
  },
): NotificationServices {
  const mailer = options.smtpUrl
    ? createMailer(options.smtpUrl, options.smtpFrom ?? 'SWARM <swarm@localhost>')
    : null;
  return {
    db: options.db,
    jobs: options.jobs,
    registry: options.registry,
    logger: options.logger,
    keyring: options.secretKeys ?? null,
    mailer,
    http: options.http ?? {},
    publicUrl: options.publicUrl ?? null,
    close: () => mailer?.close(),
  };
}
