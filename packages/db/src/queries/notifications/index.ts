/** Notification channels, subscriptions, events with their fan-out, and the delivery log. */

export {
  NOTIFICATION_CHANNEL_KINDS,
  NOTIFICATION_DELIVERY_KINDS,
  NOTIFICATION_DELIVERY_STATUSES,
  NOTIFICATION_EVENT_KINDS,
  type NotificationChannelKind,
  type NotificationDeliveryKind,
  type NotificationDeliveryStatus,
  type NotificationEventKind,
} from '../../schema/index.ts';
export * from './channels.ts';
export * from './deliveries.ts';
export * from './events.ts';
