/**
 * Webhooks (`workflow_webhooks`), the log of their calls (`webhook_logs`) and the idempotency keys
 * of accepted calls (`webhook_idempotency_keys`): the owner's CRUD (crud.ts), the call log
 * (calls.ts), accepting batches of calls with their runs (accept.ts), and the keys (idempotency.ts).
 */
export {
  isWebhookSenderPreset,
  WEBHOOK_AUTH_MODES,
  WEBHOOK_CALL_SOURCES,
  WEBHOOK_OUTCOMES,
  WEBHOOK_SENDER_PRESETS,
  type WebhookAuthMode,
  type WebhookCallSource,
  type WebhookOutcome,
  type WebhookSenderPreset,
} from '../../schema/index.ts';
export {
  type AcceptedWebhookCall,
  acceptWebhookCall,
  acceptWebhookCalls,
  type WebhookCallAcceptance,
  type WebhookCallToAccept,
  type WebhookRateLimit,
} from './accept.ts';
export {
  getWebhookLog,
  insertWebhookLog,
  listWebhookLogs,
  type NewWebhookLog,
  pruneWebhookLogs,
  WEBHOOK_LOG_RETENTION,
  type WebhookLogEntry,
} from './calls.ts';
export {
  createWebhook,
  deleteWebhook,
  type EncryptedWebhookSecret,
  findEnabledWebhookForCall,
  getWebhook,
  getWebhookForCallOf,
  listWebhooks,
  rotateWebhookSecret,
  updateWebhook,
  WEBHOOK_INVALIDATION_TOPIC,
  type WebhookForCall,
  type WebhookListItem,
  type WebhookSettings,
  type WebhookSummary,
} from './crud.ts';
export {
  findAcceptedWebhookCall,
  pruneWebhookIdempotencyKeys,
  WEBHOOK_IDEMPOTENCY_RETENTION_MS,
} from './idempotency.ts';
export {
  listWebhookSecretsNotUnderKey,
  replaceWebhookSecrets,
  type StoredWebhookSecrets,
} from './secret-keys.ts';
