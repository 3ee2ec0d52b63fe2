/**
 * Sends one notification: reads the delivery, its channel and event, builds the message, and
 * sends it — email over SMTP (nodemailer), a Slack-compatible incoming webhook (`{ text }`), or a
 * JSON webhook signed with Standard Webhooks (`webhook-id` is the delivery id, so a receiver can
 * drop the duplicate a retried job might cause). Webhook and Slack URLs are owner-supplied, so
 * they go through the same SSRF guard and operator allow-list as the `http` node.
 *
 * The delivery row counts attempts: a failed send is recorded and rethrown (pg-boss retries it
 * with backoff) until the last allowed attempt, which is recorded `failed` instead.
 */
import { channelForSending, type Db, deliveryForSending, recordDeliveryAttempt } from '@swarm/db';
import { type HttpSettings, redactSecrets } from '@swarm/engine';
import { sendOutboundRequest } from '@swarm/engine/server';
import type { SecretKeyring } from '@swarm/providers/store';
import { signStandardWebhook } from '@swarm/webhooks';
import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import { decryptChannelSecret } from './channel-secrets.ts';
import { type NotificationMessage, notificationMessage } from './messages.ts';

/** Tries per delivery: the first and the catalog's five retries (`notificationDelivery`). */
export const MAX_DELIVERY_ATTEMPTS = 6;
const SEND_TIMEOUT_MS = 15_000;

export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
  close(): void;
}

/**
 * An SMTP mailer for `SMTP_URL` (`smtp://user:pass@host:587`, `smtps://…`). The URL (with its
 * password) stays inside the transport: never logged, never in an error we record.
 */
export function createMailer(smtpUrl: string, from: string): Mailer {
  const transport = createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
    },
    close: () => transport.close(),
  };
}

export interface DeliveryServices {
  db: Db;
  logger: Logger;
  /** Decrypts channel secrets; without it, Slack and webhook channels fail naming the setting. */
  keyring: SecretKeyring | null;
  /** Null when SMTP_URL is not set: email deliveries fail saying so. */
  mailer: Mailer | null;
  /** The `http` node's guard settings (operator allow-list of private ranges). */
  http: HttpSettings;
  /** Where the web app is served, for links in messages (SWARM_PUBLIC_URL); null: no links. */
  publicUrl: string | null;
}

class DeliveryError extends Error {}

async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  http: HttpSettings,
): Promise<void> {
  const response = await sendOutboundRequest(
    { method: 'POST', url, body, headers: { 'content-type': 'application/json', ...headers } },
    {
      ...http,
      maxTimeoutMs: Math.min(http.maxTimeoutMs ?? SEND_TIMEOUT_MS, SEND_TIMEOUT_MS),
      maxResponseBytes: 64_000,
    },
  );
  if (response.status < 200 || response.status >= 300)
    throw new DeliveryError(`the receiver answered HTTP ${response.status}`);
}

type Channel = NonNullable<Awaited<ReturnType<typeof channelForSending>>>;

function channelSecret(services: DeliveryServices, channel: Channel): string {
  if (!channel.secret || !channel.secretKeyId) throw new DeliveryError('the channel has no stored secret');
  if (!services.keyring)
    throw new DeliveryError('SWARM_SECRET_KEY is not set on the runner: channel secrets cannot be read');
  return decryptChannelSecret(services.keyring, {
    id: channel.id,
    ownerId: channel.ownerId,
    secret: channel.secret,
    secretKeyId: channel.secretKeyId,
  });
}

async function send(
  services: DeliveryServices,
  channel: Channel,
  deliveryId: string,
  message: NotificationMessage,
  secrets: string[],
): Promise<void> {
  switch (channel.kind) {
    case 'email':
      if (!services.mailer) throw new DeliveryError('email is not configured on the runner (SMTP_URL)');
      await services.mailer.send({ to: channel.target, subject: message.subject, text: message.text });
      return;
    case 'slack': {
      const url = channelSecret(services, channel);
      secrets.push(url);
      await postJson(
        url,
        JSON.stringify({ text: `*${message.subject}*\n${message.text}` }),
        {},
        services.http,
      );
      return;
    }
    case 'webhook': {
      const secret = channelSecret(services, channel);
      secrets.push(secret);
      const body = JSON.stringify(message.json);
      const timestamp = Math.floor(Date.now() / 1000);
      await postJson(
        channel.target,
        body,
        {
          'webhook-id': deliveryId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signStandardWebhook(secret, deliveryId, timestamp, body),
        },
        services.http,
      );
      return;
    }
  }
}

export type DeliveryOutcome = 'sent' | 'retrying' | 'failed' | 'skipped';

/**
 * Sends delivery `deliveryId` once. Throws after recording a failure that will be retried (so the
 * job is retried); returns `failed` after the last attempt, `skipped` when there is nothing to do.
 */
export async function deliverNotification(
  services: DeliveryServices,
  deliveryId: string,
): Promise<DeliveryOutcome> {
  const delivery = await deliveryForSending(services.db, deliveryId);
  if (!delivery || (delivery.status !== 'pending' && delivery.status !== 'retrying')) return 'skipped';
  const channel = await channelForSending(services.db, delivery.channelId);
  if (!channel) return 'skipped';
  const secrets: string[] = [];
  try {
    await send(services, channel, deliveryId, notificationMessage(delivery, services.publicUrl), secrets);
  } catch (err) {
    const final = delivery.attempts + 1 >= MAX_DELIVERY_ATTEMPTS;
    const error = redactSecrets((err as Error).message ?? String(err), secrets);
    await recordDeliveryAttempt(services.db, deliveryId, { ok: false, error, final });
    services.logger.warn(
      { deliveryId, channelId: channel.id, kind: channel.kind, attempt: delivery.attempts + 1, error, final },
      'notification not delivered',
    );
    if (final) return 'failed';
    throw new DeliveryError(`notification ${deliveryId} not delivered: ${error}`);
  }
  await recordDeliveryAttempt(services.db, deliveryId, { ok: true });
  services.logger.info({ deliveryId, channelId: channel.id, kind: channel.kind }, 'notification sent');
  return 'sent';
}
