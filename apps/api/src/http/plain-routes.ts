/**
 * What every plain (non-tRPC) JSON route of the API shares: who is asking (a bearer token or the
 * session cookie, resolved by the same auth service as tRPC) and how a failure is answered
 * (domain errors by the shared table, a database outage as 503, anything else as a logged 500).
 */
import {
  type AuthService,
  DOMAIN_ERROR_ANSWERS,
  domainErrorBody,
  isDatabaseUnavailable,
} from '@swarm/api-router';
import type { PublicUser } from '@swarm/db';
import { DomainError } from '@swarm/engine';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestToken } from '../auth/cookies.ts';
import { sendDatabaseUnavailable } from './unavailable.ts';

/** The signed-in user of the request, or an UNAUTHORIZED domain error. */
export async function authenticate(auth: AuthService, req: FastifyRequest): Promise<PublicUser> {
  const token = requestToken(req);
  const resolved = token ? await auth.resolveToken(token) : null;
  if (!resolved) throw new DomainError('UNAUTHORIZED', 'Sign in or send an API token first.');
  return resolved.user;
}

/** Answers `error` in the plain routes' shape; `failure` names the route in the server log. */
export function sendError(req: FastifyRequest, reply: FastifyReply, error: unknown, failure: string) {
  if (error instanceof DomainError)
    return reply.code(DOMAIN_ERROR_ANSWERS[error.code].httpStatus).send(domainErrorBody(error));
  if (isDatabaseUnavailable(error)) {
    req.log.warn({ err: error }, 'database unavailable');
    return sendDatabaseUnavailable(reply);
  }
  req.log.error({ err: error }, failure);
  return reply.code(500).send({
    error: {
      message: 'Something went wrong on our side; the details are in the server log.',
      code: 'INTERNAL',
    },
  });
}
