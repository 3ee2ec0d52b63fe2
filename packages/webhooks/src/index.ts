/**
 * Webhook logic shared by the public webhook routes and the tRPC router: signatures, secrets at
 * rest, the call pipeline (body → mapping → run) with its group commit, IP allowlists and URLs.
 */
export { allowlistIssues, isIpAllowed, type ParsedCidr, parseCidr } from './ip-allowlist.ts';
export {
  boundedBody,
  mapWebhookInput,
  parseWebhookBody,
  REDACTED,
  redactHeaders,
  WEBHOOK_LOG_BODY_BYTES,
  WebhookPayloadError,
} from './payload.ts';
export {
  callLogBase,
  createWebhookAcceptor,
  logWebhookCall,
  runWebhookCall,
  type WebhookAcceptor,
  type WebhookCall,
  type WebhookCallResult,
  type WebhookServices,
  waitForRunEnd,
} from './pipeline.ts';
export {
  createWebhookSecretMemo,
  encryptWebhookSecret,
  reencryptWebhookSecrets,
  validWebhookSecrets,
} from './secrets.ts';
export {
  checkSenderCall,
  eventPassesFilter,
  readSenderDelivery,
  SENDER_TIMESTAMP_TOLERANCE_SECONDS,
  type SenderCallCheck,
  type SenderDelivery,
  signSenderRequest,
  verifySenderSignature,
} from './senders.ts';
export {
  constantTimeEqual,
  generateWebhookSecret,
  headerValue,
  type RequestHeaders,
  type SignatureCheck,
  signSimpleWebhook,
  signStandardWebhook,
  standardWebhookKey,
  verifyUrlSecret,
  verifyWebhookSignature,
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
} from './signature.ts';
export { redactWebhookPath, webhookTriggerUrl, webhookUrl } from './url.ts';
