/**
 * Proving a webhook call comes from someone who holds the webhook's secret. Two signature schemes,
 * both HMAC-SHA256 over the RAW body bytes (re-serialised JSON would not match byte for byte):
 *
 * - Standard Webhooks v1 (https://www.standardwebhooks.com): headers `webhook-id`,
 *   `webhook-timestamp` (unix seconds) and `webhook-signature: v1,<base64>` (several, space
 *   separated, during a sender's own key rotation: any valid one passes). Signed content is
 *   `${id}.${timestamp}.${body}`; the key is the base64 decoding of the part after `whsec_`. The
 *   timestamp must be within ±300 s of our clock, so a captured call cannot be replayed later.
 * - Simple: `x-webhook-signature: <hex HMAC-SHA256 of the body>` (optionally `sha256=<hex>`, as
 *   GitHub sends it), keyed with the whole secret string as UTF-8 — what `openssl dgst -hmac`
 *   computes in a shell.
 *
 * And the url-secret mode, for senders that cannot sign: the secret is the last path segment.
 * Services that sign their own way with a secret they generate (GitHub, Stripe, Slack, Shopify):
 * senders.ts.
 * Every comparison is constant-time.
 */
import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';
import type { WebhookSenderPreset } from '@swarm/db';

/** How far a Standard Webhooks timestamp may be from our clock, either way. */
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 300;
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 24;
/** Longest header value looked at (a signature list, an id): more is not a real sender. */
const MAX_HEADER_LENGTH = 4096;

/**
 * A fresh secret: `whsec_` + 24 random bytes in base64 (32 characters, no padding). url-secret
 * webhooks get base64url, because the secret travels as a URL path segment (no `/` or `+`).
 */
export function generateWebhookSecret(auth: 'signature' | 'url-secret'): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString(auth === 'url-secret' ? 'base64url' : 'base64');
}

/** Constant-time equality of two strings (different lengths compare unequal, still without early exit on content). */
export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = typeof a === 'string' ? Buffer.from(a, 'utf8') : a;
  const right = typeof b === 'string' ? Buffer.from(b, 'utf8') : b;
  if (left.length !== right.length) {
    // Still spend the comparison, so the length difference is the only thing timing tells.
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** The HMAC key of a Standard Webhooks secret: base64 after `whsec_` (the whole string if no prefix). */
export function standardWebhookKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Buffer.from(encoded, 'base64');
}

/**
 * HMAC keys as KeyObjects, kept per secret: given raw bytes, Node prepares a key on every
 * `createHmac` through brand checks that cost more than hashing a small body (a quarter of a
 * webhook call's CPU went to crypto in a B2 profile). Bounded; the oldest entry goes first.
 */
const hmacKeys = new Map<string, KeyObject>();
const MAX_HMAC_KEYS = 1_000;

/** `simple`: the secret's UTF-8 bytes; `standard`: the Standard Webhooks key it encodes. */
export function hmacKey(scheme: 'standard' | 'simple', secret: string): KeyObject {
  const cacheKey = `${scheme}:${secret}`;
  let key = hmacKeys.get(cacheKey);
  if (!key) {
    key = createSecretKey(scheme === 'standard' ? standardWebhookKey(secret) : Buffer.from(secret, 'utf8'));
    if (hmacKeys.size >= MAX_HMAC_KEYS) hmacKeys.delete(hmacKeys.keys().next().value as string);
    hmacKeys.set(cacheKey, key);
  }
  return key;
}

/** `v1,<base64>` for a message: what a Standard Webhooks sender puts in `webhook-signature`. */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestampSeconds: number,
  body: Buffer | string,
) {
  const mac = createHmac('sha256', hmacKey('standard', secret))
    .update(`${id}.${timestampSeconds}.`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('base64');
  return `v1,${mac}`;
}

/** Hex HMAC-SHA256 of the body keyed with the secret string: the simple scheme's signature. */
export function signSimpleWebhook(secret: string, body: Buffer | string): string {
  return createHmac('sha256', hmacKey('simple', secret))
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest('hex');
}

export type SignatureCheck =
  | { ok: true; scheme: 'standard' | 'simple' | WebhookSenderPreset }
  | { ok: false; reason: string };

/** Header lookup over Node's lower-cased header object (arrays: the first value). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.slice(0, MAX_HEADER_LENGTH);
}

function verifyStandard(
  headers: RequestHeaders,
  body: Buffer,
  secrets: readonly string[],
  nowSeconds: number,
): SignatureCheck {
  const id = headerValue(headers, 'webhook-id');
  const timestamp = headerValue(headers, 'webhook-timestamp');
  const signatures = headerValue(headers, 'webhook-signature') ?? '';
  if (!id || !timestamp) return { ok: false, reason: 'missing webhook-id or webhook-timestamp header' };
  if (!/^\d{1,12}$/.test(timestamp.trim()))
    return { ok: false, reason: 'webhook-timestamp is not unix seconds' };
  const sentAt = Number(timestamp.trim());
  if (Math.abs(nowSeconds - sentAt) > WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS)
    return {
      ok: false,
      reason: `webhook-timestamp is more than ${WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS} s from the server's clock`,
    };
  const offered = signatures
    .split(' ')
    .map((part) => part.trim())
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  if (offered.length === 0) return { ok: false, reason: 'webhook-signature holds no v1 signature' };
  for (const secret of secrets) {
    const expected = Buffer.from(signStandardWebhook(secret, id, sentAt, body).slice(3), 'base64');
    // Check every offered signature against every secret: no early exit that timing could reveal.
    let matched = false;
    for (const candidate of offered) if (constantTimeEqual(candidate, expected)) matched = true;
    if (matched) return { ok: true, scheme: 'standard' };
  }
  return { ok: false, reason: 'no webhook-signature matches' };
}

function verifySimple(header: string, body: Buffer, secrets: readonly string[]): SignatureCheck {
  const hex = header
    .trim()
    .replace(/^sha256=/i, '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    return { ok: false, reason: 'x-webhook-signature is not a hex HMAC-SHA256 (64 hex digits)' };
  let matched = false;
  for (const secret of secrets) if (constantTimeEqual(hex, signSimpleWebhook(secret, body))) matched = true;
  return matched
    ? { ok: true, scheme: 'simple' }
    : { ok: false, reason: 'x-webhook-signature does not match' };
}

/**
 * Checks a signed call against the webhook's valid secrets (the current one, plus the previous one
 * during a rotation's grace period). Standard Webhooks headers win when both kinds are present.
 */
export function verifyWebhookSignature(options: {
  headers: RequestHeaders;
  body: Buffer;
  secrets: readonly string[];
  /** Unix seconds; injected by tests. */
  nowSeconds?: number | undefined;
}): SignatureCheck {
  const { headers, body, secrets } = options;
  if (secrets.length === 0) return { ok: false, reason: 'no valid secret' };
  const nowSeconds = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (headerValue(headers, 'webhook-signature') !== undefined)
    return verifyStandard(headers, body, secrets, nowSeconds);
  const simple = headerValue(headers, 'x-webhook-signature');
  if (simple !== undefined) return verifySimple(simple, body, secrets);
  return {
    ok: false,
    reason: 'missing signature: send webhook-signature (Standard Webhooks) or x-webhook-signature',
  };
}

/** url-secret mode: the path's secret against the valid secrets, in constant time. */
export function verifyUrlSecret(given: string | undefined, secrets: readonly string[]): boolean {
  if (!given) return false;
  let matched = false;
  for (const secret of secrets) if (constantTimeEqual(given, secret)) matched = true;
  return matched;
}
