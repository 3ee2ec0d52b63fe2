/**
 * How a failed provider call becomes a `ProviderError` with one of the classes fallback and the
 * circuit breakers act on. Each adapter pulls the facts out of its SDK's error (HTTP status,
 * the provider's error code/type/status strings, message, headers) and this module decides, so
 * the three providers are sorted by the same rules:
 *
 *   context-length message or code          → context_window (checked first: it arrives as a 400)
 *   content-filter code or message          → content_policy
 *   429 / rate-limit code                   → rate_limit
 *   529, 503 / overloaded code              → overloaded
 *   408, 504 / timeout code                 → timeout
 *   other 5xx / server-error code           → server
 *   401, 402, 403 / auth or billing code    → auth (the account must be fixed, not the request)
 *   other 4xx                               → invalid_request
 *   an error event inside a 200 stream with no recognisable code → server (the provider failed
 *   while answering; the request itself was accepted)
 *
 * A body that can't be parsed (truncated JSON, an HTML page from a proxy, a stream that stops
 * before its final event) is classed `server`: the request was fine and the fault is upstream and
 * usually transient, so it should be retried and counted against the provider's breaker —
 * `invalid_request` would wrongly stop fallback, and `unknown` would hide a provider fault.
 */
import { type ErrorClass, type ProviderId, redactSecrets } from '@swarm/engine';
import { ProviderError, type Usage } from '../types.ts';

export const PROVIDER_LABELS: Record<ProviderId, string> = {
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Gemini',
  mock: 'Mock',
  'openai-compatible': 'OpenAI-compatible',
};

export interface FailureFacts {
  status?: number | undefined;
  /** The provider's machine-readable names for the failure: code, type, gRPC status, reason. */
  codes?: ReadonlyArray<string | null | undefined> | undefined;
  message?: string | undefined;
}

const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length']);
const CONTEXT_MESSAGE =
  /maximum context length|context[_ ]length[_ ]exceeded|prompt is too long|exceed(?:s|ed)? (?:the )?context (?:limit|window)|input token count .*exceeds the maximum|exceeds the maximum number of tokens/i;
const CONTENT_CODES = new Set(['content_policy_violation', 'content_filter']);
const CONTENT_MESSAGE = /safety system|content (?:management )?policy|flagged as potentially violating/i;
const RATE_CODES = new Set(['rate_limit_error', 'rate_limit_exceeded', 'resource_exhausted']);
const OVERLOADED_CODES = new Set(['overloaded_error', 'unavailable', 'service_unavailable']);
const TIMEOUT_CODES = new Set(['timeout_error', 'deadline_exceeded', 'request_timeout']);
const SERVER_CODES = new Set(['api_error', 'server_error', 'internal', 'internal_error', 'unknown']);
const AUTH_CODES = new Set([
  'authentication_error',
  'permission_error',
  'billing_error',
  'invalid_api_key',
  'api_key_invalid',
  'unauthenticated',
  'permission_denied',
]);
// OpenAI answers an exhausted balance with a 429; waiting won't help, so it is an account problem.
const QUOTA_CODES = new Set(['insufficient_quota']);
const AUTH_MESSAGE = /api key not valid|invalid api key|incorrect api key/i;
const INVALID_CODES = new Set([
  'invalid_request_error',
  'invalid_argument',
  'not_found_error',
  'failed_precondition',
]);

export function classifyFailure(facts: FailureFacts): ErrorClass {
  const codes = new Set(
    (facts.codes ?? []).filter((c): c is string => typeof c === 'string').map((c) => c.toLowerCase()),
  );
  const has = (set: ReadonlySet<string>) => [...codes].some((c) => set.has(c));
  const message = facts.message ?? '';
  const status = facts.status;

  if (has(CONTEXT_CODES) || CONTEXT_MESSAGE.test(message)) return 'context_window';
  if (has(CONTENT_CODES) || CONTENT_MESSAGE.test(message)) return 'content_policy';
  if (has(QUOTA_CODES)) return 'auth';
  if (status === 429 || has(RATE_CODES)) return 'rate_limit';
  if (status === 529 || status === 503 || has(OVERLOADED_CODES)) return 'overloaded';
  if (status === 408 || status === 504 || has(TIMEOUT_CODES)) return 'timeout';
  if ((status !== undefined && status >= 500) || has(SERVER_CODES)) return 'server';
  if (status === 401 || status === 402 || status === 403 || has(AUTH_CODES) || AUTH_MESSAGE.test(message)) {
    return 'auth';
  }
  if ((status !== undefined && status >= 400) || has(INVALID_CODES)) return 'invalid_request';
  return 'server';
}

/**
 * The wait a provider asked for, in milliseconds: `retry-after-ms` (OpenAI's precise variant)
 * first, then `Retry-After` as delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Undefined when
 * absent or unparseable; a date in the past is 0.
 */
export function parseRetryAfter(
  headers: Headers | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP-date always names its day and month; this keeps `Date.parse` from reading "-3" as a year.
  if (!/[a-z]{3}/i.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** A protobuf Duration as JSON (`"27s"`, `"1.5s"`), as in Google's `RetryInfo.retryDelay`. */
export function parseDurationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Math.ceil(Number(match[1]) * 1000) : undefined;
}

/** Node's fetch (undici) reports refused/reset/unresolvable connections as a TypeError with a coded cause. */
export function isConnectionFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return true;
    if (e instanceof TypeError && /fetch failed|failed to fetch|network/i.test(e.message)) return true;
  }
  return false;
}

/** A body or event that isn't the documented protocol (see the header: classed `server`). */
export function isMalformedBody(error: unknown): boolean {
  return error instanceof SyntaxError;
}

export function providerError(init: {
  provider: ProviderId;
  model: string;
  errorClass: ErrorClass;
  detail: string;
  status?: number | undefined;
  retryAfterMs?: number | undefined;
  usage?: Usage | undefined;
  cause?: unknown;
}): ProviderError {
  const where = `${PROVIDER_LABELS[init.provider]} ${init.model}`;
  const status = init.status === undefined ? '' : ` ${init.status}`;
  return new ProviderError({
    provider: init.provider,
    model: init.model,
    errorClass: init.errorClass,
    message: `${where}: ${init.errorClass}${status} — ${init.detail}`,
    status: init.status,
    retryAfterMs: init.retryAfterMs,
    usage: init.usage,
    cause: init.cause,
  });
}

/** What to say about a failure that isn't an HTTP answer (network, malformed body, anything else). */
export function transportFailure(
  error: unknown,
  context: { provider: ProviderId; model: string; usage?: Usage | undefined },
): ProviderError {
  const reason = error instanceof Error ? error.message : String(error);
  if (isMalformedBody(error)) {
    return providerError({
      ...context,
      errorClass: 'server',
      detail: `the response could not be parsed (${reason}); the provider or a proxy sent a broken body`,
      cause: error,
    });
  }
  if (isConnectionFailure(error)) {
    return providerError({
      ...context,
      errorClass: 'network',
      detail: `could not reach the provider (${reason}); check the network and the base URL`,
      cause: error,
    });
  }
  return providerError({ ...context, errorClass: 'unknown', detail: reason, cause: error });
}

/** A stream that closed without its final event: the answer is incomplete, so it isn't returned. */
/** A whole (non-streamed) answer missing what every complete answer carries. */
export function incompleteAnswer(context: {
  provider: ProviderId;
  model: string;
  usage?: Usage | undefined;
  missing: string;
}): ProviderError {
  const { missing, ...rest } = context;
  return providerError({ ...rest, errorClass: 'server', detail: `the answer was incomplete: ${missing}` });
}

export function truncatedStream(context: {
  provider: ProviderId;
  model: string;
  usage?: Usage | undefined;
}): ProviderError {
  return providerError({
    ...context,
    errorClass: 'server',
    detail: 'the response stream ended before the answer was complete',
  });
}

/**
 * The error as it may leave the adapter: the key in use (and anything credential-shaped) replaced
 * in its message, and its cause — the SDK's error, whose message and parsed body are the
 * provider's raw answer — swapped for a plain error with the redacted message and the same name,
 * so a logger or anything else that walks causes can't show the key either. Providers and gateways
 * do echo keys back ("Incorrect API key provided: sk-…").
 */
export function withoutSecrets(
  error: ProviderError,
  secrets: ReadonlyArray<string | null | undefined>,
): ProviderError {
  const cause = error.cause;
  return new ProviderError({
    provider: error.provider,
    model: error.model,
    errorClass: error.errorClass,
    message: redactSecrets(error.message, secrets),
    status: error.status,
    retryAfterMs: error.retryAfterMs,
    usage: error.usage,
    cause:
      cause instanceof Error
        ? Object.assign(new Error(redactSecrets(cause.message, secrets)), { name: cause.name })
        : cause === undefined
          ? undefined
          : redactSecrets(String(cause), secrets),
  });
}
