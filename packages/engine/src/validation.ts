/** Parsing untrusted input at a package boundary: zod, then one coded error naming every failing path. */
import type { z } from 'zod';
import { DomainError, describeIssues, formatPath, type ValidationIssue } from './errors.ts';
import { describeZodIssue } from './humanize-issues.ts';

/** A BAD_REQUEST whose message leads with the first issue (`policy.chain[0].model: required`). */
export function invalidInput(issues: ValidationIssue[]): DomainError {
  return new DomainError('BAD_REQUEST', describeIssues(issues), issues);
}

/** Parses `input` with `schema`, or throws `invalidInput` with paths under `prefix`. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, prefix = ''): z.output<T> {
  // zod's default wording is replaced by plain English; messages a schema sets itself still win.
  const parsed = schema.safeParse(input, { error: describeZodIssue });
  if (parsed.success) return parsed.data;
  throw invalidInput(
    parsed.error.issues.map((issue) => ({
      path: formatPath(issue.path, prefix) || 'input',
      message: issue.message,
    })),
  );
}
