/**
 * Coded domain errors. Packages throw these; the API maps each `code` to a tRPC error code in one
 * place, so no package needs to know about HTTP or tRPC.
 */

export type DomainErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'PAYLOAD_TOO_LARGE';

/** One problem with an input, located by its path (`definition.edges[3].target`). */
export interface ValidationIssue {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly issues: ValidationIssue[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** One line for a list of issues: the first in full, then how many more. */
export function describeIssues(issues: ValidationIssue[], fallback = 'invalid input'): string {
  const first = issues[0];
  if (!first) return fallback;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${first.path}: ${first.message}${more}`;
}

export class WorkflowValidationError extends DomainError {
  constructor(issues: ValidationIssue[]) {
    super('BAD_REQUEST', describeIssues(issues, 'invalid workflow'), issues);
  }
}

/** Formats a path of keys and indexes the way users read it: `definition.nodes[2].config.model`. */
export function formatPath(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}
