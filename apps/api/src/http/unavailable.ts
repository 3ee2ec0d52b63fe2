/**
 * The plain routes' answer to a database outage: 503 with Retry-After (see `isDatabaseUnavailable`
 * in `@swarm/api-router` for what counts as one, and why it is not a 500).
 */
import { DATABASE_RETRY_AFTER_SECONDS, DATABASE_UNAVAILABLE_MESSAGE } from '@swarm/api-router';
import type { FastifyReply } from 'fastify';

/**
 * Answers 503 + Retry-After, by default in the plain routes' error shape
 * (`{ error: { message, code } }`); webhooks pass their own (`{ error: message }`).
 */
export function sendDatabaseUnavailable(
  reply: FastifyReply,
  body: object = { error: { message: DATABASE_UNAVAILABLE_MESSAGE, code: 'SERVICE_UNAVAILABLE' } },
) {
  return reply.code(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).send(body);
}
