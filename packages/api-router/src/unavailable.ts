/**
 * "The database is unreachable" as an answer: 503 with Retry-After instead of a 500. A Postgres
 * restart, failover or a full connection table is an outage the client should wait out and retry,
 * not a bug of ours; load balancers and SDKs treat 503 that way. The tRPC error formatter and every
 * plain route's error path (in the API app) ask `isDatabaseUnavailable`.
 */

/** What clients are told to wait before retrying: about as long as a Postgres restart takes. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export const DATABASE_UNAVAILABLE_MESSAGE = 'The database is unavailable right now; retry shortly.';

/** Socket-level failures (Node) and postgres.js's own connection error codes. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * SQLSTATEs meaning the server cannot serve us right now: class 08 (connection exception), 57P01
 * admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now (starting up or shutting down),
 * 53300 too many connections.
 */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300'
  );
}

/** True when `error` (or anything in its `cause` chain: tRPC and drizzle wrap it) says Postgres is out of reach. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (
    let e: unknown = error;
    e && typeof e === 'object' && !seen.has(e);
    e = (e as { cause?: unknown }).cause
  ) {
    seen.add(e);
    // An outbound HTTP call (a provider, an http node) failing the same way is not our database.
    if (e instanceof TypeError && e.message === 'fetch failed') return false;
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (CONNECTION_ERROR_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && isUnavailableSqlState(code)) return true;
  }
  return false;
}
