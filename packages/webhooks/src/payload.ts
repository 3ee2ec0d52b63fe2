/**
 * What a verified webhook body becomes, and what of a call is kept in its log.
 *
 * Bodies by content type (after the signature was checked over the raw bytes):
 * - `application/json`, any `…+json`, or no content type: JSON (depth-bounded, `__proto__` /
 *   `constructor` / `prototype` keys refused); an empty body is `{}`;
 * - `application/x-www-form-urlencoded`: an object of the fields (a repeated field: an array) —
 *   unless the body starts with `{` or `[`: that is JSON sent with `curl -d`, whose default
 *   content type this is, and is read as JSON;
 * - `text/*`: `{ body: "<the text>" }`;
 * - anything else: 415 (there is no way to hand bytes to a workflow input yet).
 *
 * Logs keep the headers (bounded, with the signature headers of every scheme, `authorization`,
 * `cookie` and the like redacted) and the first 64 KiB of the body.
 */
import {
  checkExpressionSyntax,
  ExpressionError,
  findUnsafeJson,
  jsonTextDepth,
  MAX_JSON_DEPTH,
  type ValidationIssue,
} from '@swarm/engine';
import type { ExpressionPool } from '@swarm/engine/server';
import type { RequestHeaders } from './signature.ts';

/** How much of a body a log row keeps (and a replay can resend). */
export const WEBHOOK_LOG_BODY_BYTES = 64 * 1024;
const MAX_LOGGED_HEADERS = 50;
const MAX_LOGGED_HEADER_LENGTH = 1024;
const REDACTED_HEADERS = new Set([
  'webhook-signature',
  'x-webhook-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'stripe-signature',
  'x-slack-signature',
  'x-shopify-hmac-sha256',
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-api-key',
]);
export const REDACTED = '[redacted]';

/** The headers as logged and as a mapping sees them (`$headers`): bounded, secrets redacted. */
export function redactHeaders(headers: RequestHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue === undefined) continue;
    if (count++ >= MAX_LOGGED_HEADERS) break;
    const name = rawName.toLowerCase();
    const value = Array.isArray(rawValue) ? rawValue.join(', ') : rawValue;
    out[name] = REDACTED_HEADERS.has(name) ? REDACTED : value.slice(0, MAX_LOGGED_HEADER_LENGTH);
  }
  return out;
}

/** The body as a log row keeps it: text up to the bound, and whether it was cut. */
export function boundedBody(body: Buffer): { body: string | null; bodyTruncated: boolean } {
  if (body.length === 0) return { body: null, bodyTruncated: false };
  if (body.length <= WEBHOOK_LOG_BODY_BYTES) return { body: body.toString('utf8'), bodyTruncated: false };
  return { body: body.subarray(0, WEBHOOK_LOG_BODY_BYTES).toString('utf8'), bodyTruncated: true };
}

/** A body the workflow cannot take: 400 (bad JSON, unsafe keys) or 415 (unsupported type). */
export class WebhookPayloadError extends Error {
  constructor(
    readonly status: 400 | 415,
    message: string,
    readonly issues: ValidationIssue[] = [{ path: 'body', message }],
  ) {
    super(message);
    this.name = 'WebhookPayloadError';
  }
}

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function decodeText(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new WebhookPayloadError(400, 'body is not valid UTF-8 text');
  }
}

function assertSafe(value: unknown): unknown {
  const unsafe = findUnsafeJson(value, ['body']);
  if (unsafe.length > 0)
    throw new WebhookPayloadError(400, `${unsafe[0]!.path}: ${unsafe[0]!.message}`, unsafe);
  return value;
}

function looksLikeJson(body: Buffer): boolean {
  const first = body.toString('latin1', 0, Math.min(body.length, 64)).trimStart()[0];
  return first === '{' || first === '[';
}

/** The body as a value (see the header for the rules per content type). */
export function parseWebhookBody(body: Buffer, contentType: string | undefined): unknown {
  const type = mediaType(contentType);
  if (body.length === 0) return {};
  const form = type === 'application/x-www-form-urlencoded';
  if (type === '' || type === 'application/json' || type.endsWith('+json') || (form && looksLikeJson(body))) {
    const text = decodeText(body);
    if (jsonTextDepth(text) > MAX_JSON_DEPTH)
      throw new WebhookPayloadError(400, `body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new WebhookPayloadError(400, 'body is not valid JSON');
    }
    return assertSafe(value);
  }
  if (form) {
    const fields: Record<string, string | string[]> = {};
    for (const [key, value] of new URLSearchParams(decodeText(body))) {
      const existing = Object.hasOwn(fields, key) ? fields[key] : undefined;
      // defineProperty: a `__proto__` field becomes an own key (then refused), never the prototype.
      const next =
        existing === undefined ? value : Array.isArray(existing) ? [...existing, value] : [existing, value];
      Object.defineProperty(fields, key, {
        value: next,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return assertSafe(fields);
  }
  if (type.startsWith('text/')) return { body: decodeText(body) };
  throw new WebhookPayloadError(
    415,
    `content type ${type} is not supported: send application/json, application/x-www-form-urlencoded or text/*`,
  );
}

/**
 * The run input from a body through the webhook's JSONata mapping (`$` = the body, `$headers` and
 * `$query` bound), evaluated in the expression pool (worker processes with a hard deadline, heap and
 * size caps: a mapping cannot stall the API). No mapping: the body itself.
 */
export async function mapWebhookInput(
  expressions: ExpressionPool,
  mapping: string | null,
  body: unknown,
  context: { headers: Record<string, string>; query: Record<string, unknown>; ownerId: string },
): Promise<unknown> {
  if (mapping === null || mapping.trim() === '') return body;
  const problem = checkExpressionSyntax(mapping);
  if (problem !== null)
    throw new WebhookPayloadError(400, `mapping: ${problem}`, [{ path: 'mapping', message: problem }]);
  let result: unknown;
  try {
    result = await expressions.evaluate(mapping, body, {
      bindings: { headers: context.headers, query: context.query },
      // Counted against the owner's share of the pool: one user's mappings cannot hold every worker.
      tenant: context.ownerId,
    });
  } catch (error) {
    const message = mappingFailure(error);
    throw new WebhookPayloadError(400, `mapping: ${message}`, [{ path: 'mapping', message }]);
  }
  // No match (or null) is no input fields.
  return result === null ? {} : result;
}

/** What went wrong in a mapping, in the words a sender's log can show. */
function mappingFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return error instanceof ExpressionError
    ? message.replace(/^expression failed: /, '')
    : `the mapping failed: ${message}`;
}
