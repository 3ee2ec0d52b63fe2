/**
 * Sender presets: calls from GitHub, Stripe, Slack and Shopify, verified exactly the way each of
 * them documents it, with the secret the service generated (the owner pastes it). Each one signs
 * with HMAC-SHA256 keyed with the secret string as UTF-8, over the RAW body bytes:
 *
 * - GitHub: `X-Hub-Signature-256: sha256=<hex>` over the body
 *   (https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries). No
 *   timestamp; the delivery id is `X-GitHub-Delivery`, the event `X-GitHub-Event`.
 * - Stripe: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]` over `${t}.${body}`, any `v1`
 *   passes (Stripe sends several while a secret rolls), `t` within 300 s
 *   (https://docs.stripe.com/webhooks#verify-manually). The delivery id is the event's `id`, the
 *   event its `type` (both in the body).
 * - Slack: `X-Slack-Signature: v0=<hex>` over `v0:${X-Slack-Request-Timestamp}:${body}`, the
 *   timestamp within 300 s (https://api.slack.com/authentication/verifying-requests-from-slack).
 *   The delivery id is the Events API `event_id` (a retry carries the same one, with
 *   `X-Slack-Retry-Num`), the event `event.type`; `url_verification` is a handshake to answer.
 * - Shopify: `X-Shopify-Hmac-Sha256: <base64>` over the body
 *   (https://shopify.dev/docs/apps/build/webhooks/subscribe/https#step-2-validate-the-origin-of-your-webhook-to-ensure-its-coming-from-shopify).
 *   The delivery id is `X-Shopify-Webhook-Id`, the event `X-Shopify-Topic`.
 *
 * Every comparison is constant-time, and every offered signature is compared against every valid
 * secret (the current one and, during a rotation's grace period, the previous one).
 */
import { createHmac } from 'node:crypto';
import type { WebhookSenderPreset } from '@swarm/db';
import {
  constantTimeEqual,
  headerValue,
  hmacKey,
  type RequestHeaders,
  type SignatureCheck,
} from './signature.ts';

/** Stripe's and Slack's tolerance for their signed timestamps, either way. */
export const SENDER_TIMESTAMP_TOLERANCE_SECONDS = 300;

function hmac(secret: string, ...parts: (string | Buffer)[]): Buffer {
  const mac = createHmac('sha256', hmacKey('simple', secret));
  for (const part of parts) mac.update(typeof part === 'string' ? Buffer.from(part, 'utf8') : part);
  return mac.digest();
}

/** True when some offered signature equals the MAC of some secret; no early exit on a match. */
function anyMatches(
  offered: readonly Buffer[],
  secrets: readonly string[],
  macOf: (secret: string) => Buffer,
): boolean {
  let matched = false;
  for (const secret of secrets) {
    const expected = macOf(secret);
    for (const candidate of offered) if (constantTimeEqual(candidate, expected)) matched = true;
  }
  return matched;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/;

function timestampProblem(name: string, value: string | undefined, nowSeconds: number): string | null {
  if (value === undefined || !/^\d{1,12}$/.test(value.trim()))
    return `${name} is missing or not unix seconds`;
  if (Math.abs(nowSeconds - Number(value.trim())) > SENDER_TIMESTAMP_TOLERANCE_SECONDS)
    return `${name} is more than ${SENDER_TIMESTAMP_TOLERANCE_SECONDS} s from the server's clock`;
  return null;
}

interface VerifyInput {
  headers: RequestHeaders;
  body: Buffer;
  secrets: readonly string[];
  nowSeconds: number;
}

function verifyGithub({ headers, body, secrets }: VerifyInput): SignatureCheck {
  const header = headerValue(headers, 'x-hub-signature-256');
  if (header === undefined) return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  const hex = header.trim();
  if (!hex.startsWith('sha256=') || !HEX_SHA256.test(hex.slice(7)))
    return { ok: false, reason: 'X-Hub-Signature-256 is not sha256=<64 hex digits>' };
  return anyMatches([Buffer.from(hex.slice(7), 'hex')], secrets, (secret) => hmac(secret, body))
    ? { ok: true, scheme: 'github' }
    : { ok: false, reason: 'X-Hub-Signature-256 does not match' };
}

function verifyStripe({ headers, body, secrets, nowSeconds }: VerifyInput): SignatureCheck {
  const header = headerValue(headers, 'stripe-signature');
  if (header === undefined) return { ok: false, reason: 'missing Stripe-Signature header' };
  let timestamp: string | undefined;
  const offered: Buffer[] = [];
  for (const item of header.split(',')) {
    const [key, ...rest] = item.trim().split('=');
    const value = rest.join('=');
    if (key === 't') timestamp = value;
    else if (key === 'v1' && HEX_SHA256.test(value)) offered.push(Buffer.from(value, 'hex'));
  }
  const stale = timestampProblem('Stripe-Signature t', timestamp, nowSeconds);
  if (stale) return { ok: false, reason: stale };
  if (offered.length === 0) return { ok: false, reason: 'Stripe-Signature holds no v1 signature' };
  return anyMatches(offered, secrets, (secret) => hmac(secret, `${timestamp!.trim()}.`, body))
    ? { ok: true, scheme: 'stripe' }
    : { ok: false, reason: 'no Stripe-Signature v1 matches' };
}

function verifySlack({ headers, body, secrets, nowSeconds }: VerifyInput): SignatureCheck {
  const header = headerValue(headers, 'x-slack-signature');
  if (header === undefined) return { ok: false, reason: 'missing X-Slack-Signature header' };
  const timestamp = headerValue(headers, 'x-slack-request-timestamp');
  const stale = timestampProblem('X-Slack-Request-Timestamp', timestamp, nowSeconds);
  if (stale) return { ok: false, reason: stale };
  const hex = header.trim();
  if (!hex.startsWith('v0=') || !HEX_SHA256.test(hex.slice(3)))
    return { ok: false, reason: 'X-Slack-Signature is not v0=<64 hex digits>' };
  return anyMatches([Buffer.from(hex.slice(3), 'hex')], secrets, (secret) =>
    hmac(secret, `v0:${timestamp!.trim()}:`, body),
  )
    ? { ok: true, scheme: 'slack' }
    : { ok: false, reason: 'X-Slack-Signature does not match' };
}

function verifyShopify({ headers, body, secrets }: VerifyInput): SignatureCheck {
  const header = headerValue(headers, 'x-shopify-hmac-sha256');
  if (header === undefined) return { ok: false, reason: 'missing X-Shopify-Hmac-Sha256 header' };
  const value = header.trim();
  if (!/^[A-Za-z0-9+/]{43}=$/.test(value))
    return { ok: false, reason: 'X-Shopify-Hmac-Sha256 is not a base64 HMAC-SHA256' };
  return anyMatches([Buffer.from(value, 'base64')], secrets, (secret) => hmac(secret, body))
    ? { ok: true, scheme: 'shopify' }
    : { ok: false, reason: 'X-Shopify-Hmac-Sha256 does not match' };
}

const verifiers: Record<WebhookSenderPreset, (input: VerifyInput) => SignatureCheck> = {
  github: verifyGithub,
  stripe: verifyStripe,
  slack: verifySlack,
  shopify: verifyShopify,
};

/** Checks a call against the sender's own scheme and the webhook's valid secrets. */
export function verifySenderSignature(
  sender: WebhookSenderPreset,
  options: {
    headers: RequestHeaders;
    body: Buffer;
    secrets: readonly string[];
    nowSeconds?: number | undefined;
  },
): SignatureCheck {
  if (options.secrets.length === 0) return { ok: false, reason: 'no valid secret' };
  return verifiers[sender]({
    ...options,
    nowSeconds: options.nowSeconds ?? Math.floor(Date.now() / 1000),
  });
}

/** What identifies and names a (verified) delivery of a sender. */
export interface SenderDelivery {
  /** The sender's id of this delivery, for idempotency; null: none given. */
  deliveryId: string | null;
  /** Where the delivery id came from, for error messages (`headers.x-github-delivery`, `body.id`). */
  deliveryIdPath: string;
  /** The event, as the log shows it and the filter matches it (`pull_request`, `invoice.paid`). */
  event: string | null;
  /** Also matched by the filter: GitHub's `<event>.<action>` (`pull_request.opened`). */
  eventDetail: string | null;
  /** Slack's `url_verification` handshake: the challenge to answer with. */
  challenge: string | null;
}

/** The body as JSON when it is an object, else null (form bodies, bad JSON: the pipeline says so). */
function jsonObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

/** The delivery id, event and (Slack) handshake of a call, read the way each sender sends them. */
export function readSenderDelivery(
  sender: WebhookSenderPreset,
  headers: RequestHeaders,
  body: Buffer,
): SenderDelivery {
  const header = (name: string) => text(headerValue(headers, name));
  const none = { deliveryId: null, event: null, eventDetail: null, challenge: null };
  switch (sender) {
    case 'github': {
      const event = header('x-github-event');
      const action = text(jsonObject(body)?.action);
      return {
        ...none,
        deliveryId: header('x-github-delivery'),
        deliveryIdPath: 'headers.x-github-delivery',
        event,
        eventDetail: event && action ? `${event}.${action}` : null,
      };
    }
    case 'stripe': {
      const json = jsonObject(body);
      return { ...none, deliveryId: text(json?.id), deliveryIdPath: 'body.id', event: text(json?.type) };
    }
    case 'slack': {
      const json = jsonObject(body);
      if (json?.type === 'url_verification')
        return {
          ...none,
          deliveryIdPath: 'body.event_id',
          event: 'url_verification',
          challenge: text(json.challenge) ?? '',
        };
      const inner = json?.event;
      const innerType =
        inner && typeof inner === 'object' ? text((inner as Record<string, unknown>).type) : null;
      return {
        ...none,
        // A retry (`X-Slack-Retry-Num`) carries the first attempt's event_id: the same key.
        deliveryId: text(json?.event_id),
        deliveryIdPath: 'body.event_id',
        event: innerType ?? text(json?.type),
      };
    }
    case 'shopify':
      return {
        ...none,
        deliveryId: header('x-shopify-webhook-id'),
        deliveryIdPath: 'headers.x-shopify-webhook-id',
        event: header('x-shopify-topic'),
      };
  }
}

/**
 * Whether a delivery's event passes the webhook's filter: empty lets everything through; an entry
 * matches the event or GitHub's `<event>.<action>` exactly, or ends in `*` to match a prefix
 * (`invoice.*`, `orders/*`).
 */
export function eventPassesFilter(
  filter: readonly string[],
  delivery: Pick<SenderDelivery, 'event' | 'eventDetail'>,
) {
  if (filter.length === 0) return true;
  const names = [delivery.event, delivery.eventDetail].filter((name): name is string => name !== null);
  return filter.some((entry) =>
    entry.endsWith('*') ? names.some((name) => name.startsWith(entry.slice(0, -1))) : names.includes(entry),
  );
}

/**
 * The headers a sender would put on a delivery of `body`, signed with `secret`: for "Send test",
 * so a test goes through the same verification as a real delivery. The event rides in the header
 * each sender uses for it (GitHub, Shopify); Stripe and Slack name it in the body.
 */
export function signSenderRequest(
  sender: WebhookSenderPreset,
  secret: string,
  body: Buffer,
  options: { nowSeconds: number; deliveryId: string; event?: string | undefined },
): Record<string, string> {
  const { nowSeconds, deliveryId, event } = options;
  const base = { 'content-type': 'application/json' };
  switch (sender) {
    case 'github':
      return {
        ...base,
        'x-github-delivery': deliveryId,
        'x-github-event': event ?? 'ping',
        'x-hub-signature-256': `sha256=${hmac(secret, body).toString('hex')}`,
      };
    case 'stripe':
      return {
        ...base,
        'stripe-signature': `t=${nowSeconds},v1=${hmac(secret, `${nowSeconds}.`, body).toString('hex')}`,
      };
    case 'slack':
      return {
        ...base,
        'x-slack-request-timestamp': String(nowSeconds),
        'x-slack-signature': `v0=${hmac(secret, `v0:${nowSeconds}:`, body).toString('hex')}`,
      };
    case 'shopify':
      return {
        ...base,
        'x-shopify-webhook-id': deliveryId,
        'x-shopify-topic': event ?? 'shop/update',
        'x-shopify-hmac-sha256': hmac(secret, body).toString('base64'),
      };
  }
}

/** What a sender preset's call comes to before the pipeline (shared by the route and "Send test"). */
export type SenderCallCheck =
  | { kind: 'rejected'; reason: string }
  /** Slack's `url_verification`: answer 200 with the challenge, start nothing. */
  | { kind: 'challenge'; challenge: string; delivery: SenderDelivery }
  /** An event outside the webhook's filter: answer 200 `ignored`, start nothing. */
  | { kind: 'ignored'; delivery: SenderDelivery }
  | { kind: 'run'; delivery: SenderDelivery };

/** Signature first (nothing is read from an unverified call), then the handshake, then the filter. */
export function checkSenderCall(
  sender: WebhookSenderPreset,
  options: {
    headers: RequestHeaders;
    body: Buffer;
    secrets: readonly string[];
    eventFilter: readonly string[];
    nowSeconds?: number | undefined;
  },
): SenderCallCheck {
  const check = verifySenderSignature(sender, options);
  if (!check.ok) return { kind: 'rejected', reason: check.reason };
  const delivery = readSenderDelivery(sender, options.headers, options.body);
  if (delivery.challenge !== null) return { kind: 'challenge', challenge: delivery.challenge, delivery };
  if (!eventPassesFilter(options.eventFilter, delivery)) return { kind: 'ignored', delivery };
  return { kind: 'run', delivery };
}
