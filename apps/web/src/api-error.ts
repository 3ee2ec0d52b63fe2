/**
 * Reads what the API says went wrong. Errors from the server are tRPC errors whose `data` carries
 * a `code` (BAD_REQUEST, UNAUTHORIZED, …) and, for bad input, `issues: [{ path, message }]`.
 */
import { TRPCClientError } from '@trpc/client';

export interface ApiIssue {
  path: string;
  message: string;
}

export interface ApiError {
  message: string;
  code: string | null;
  issues: ApiIssue[];
}

export function readApiError(error: unknown): ApiError {
  if (error instanceof TRPCClientError) {
    const data = (error.data ?? {}) as { code?: unknown; issues?: unknown };
    const issues = Array.isArray(data.issues) ? data.issues.filter(isIssue) : [];
    return {
      message: error.message || 'Something went wrong',
      code: typeof data.code === 'string' ? data.code : null,
      issues,
    };
  }
  if (error instanceof Error) return { message: error.message, code: null, issues: [] };
  return { message: 'Something went wrong', code: null, issues: [] };
}

function isIssue(value: unknown): value is ApiIssue {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ApiIssue).path === 'string' &&
    typeof (value as ApiIssue).message === 'string'
  );
}

export const isUnauthorized = (error: unknown) => readApiError(error).code === 'UNAUTHORIZED';

/** Issues keyed by their last path segment (`email`, `password`), for showing next to form fields. */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of readApiError(error).issues) {
    const field =
      issue.path
        .split(/[.[\]]/)
        .filter(Boolean)
        .pop() ?? '';
    if (field && !out[field]) out[field] = issue.message;
  }
  return out;
}
