/**
 * The one translation of coded domain errors (thrown by packages) into answers: the HTTP status a
 * plain route sends and the tRPC code a procedure fails with. Both tRPC and the API app's plain
 * routes read this table, so a code means the same thing on every path.
 */
import type { DomainError, DomainErrorCode } from '@swarm/engine';
import type { TRPCError } from '@trpc/server';

export interface DomainErrorAnswer {
  /** The status a plain HTTP route answers with. */
  httpStatus: number;
  /** The tRPC error code (tRPC gives each the same HTTP status as `httpStatus`). */
  trpcCode: TRPCError['code'];
}

export const DOMAIN_ERROR_ANSWERS: Record<DomainErrorCode, DomainErrorAnswer> = {
  BAD_REQUEST: { httpStatus: 400, trpcCode: 'BAD_REQUEST' },
  UNAUTHORIZED: { httpStatus: 401, trpcCode: 'UNAUTHORIZED' },
  NOT_FOUND: { httpStatus: 404, trpcCode: 'NOT_FOUND' },
  CONFLICT: { httpStatus: 409, trpcCode: 'CONFLICT' },
  TOO_MANY_REQUESTS: { httpStatus: 429, trpcCode: 'TOO_MANY_REQUESTS' },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, trpcCode: 'PAYLOAD_TOO_LARGE' },
};

/** A domain error as a plain route's JSON body: `{ error: { message, code, issues } }`. */
export function domainErrorBody(error: DomainError) {
  return { error: { message: error.message, code: error.code, issues: error.issues } };
}
