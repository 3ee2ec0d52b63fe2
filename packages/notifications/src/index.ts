/**
 * Notifications: channel secrets at rest, the fan-out of events (with error workflows) and the
 * sending of one notification (email, Slack, signed webhook), for the runner's jobs and the API.
 */
export { decryptChannelSecret, encryptChannelSecret } from './channel-secrets.ts';
export {
  createMailer,
  type DeliveryOutcome,
  type DeliveryServices,
  deliverNotification,
  MAX_DELIVERY_ATTEMPTS,
  type Mailer,
} from './deliver.ts';
export {
  type ErrorWorkflowInput,
  type EventServices,
  handleNotificationEvent,
  sweepNotificationEvents,
} from './events.ts';
export { type NotificationMessage, notificationMessage } from './messages.ts';
