/**
 * Guards for untrusted JSON values: bounded nesting depth and no keys that could reach an object
 * prototype when the value is later merged or spread. JSON.parse itself is safe, but user JSON is
 * copied around (templates, imports, node configs), and one careless spread is enough.
 */
import { formatPath, type ValidationIssue } from './errors.ts';

export const MAX_JSON_DEPTH = 64;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Walks a value iteratively (no recursion, so hostile depth cannot overflow the stack) and
 * reports the first over-deep path and every forbidden key, up to `limit` issues.
 */
export function findUnsafeJson(
  value: unknown,
  basePath: PropertyKey[] = [],
  maxDepth = MAX_JSON_DEPTH,
  limit = 20,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const stack: Array<{ value: unknown; path: PropertyKey[] }> = [{ value, path: basePath }];
  const baseDepth = basePath.length;
  while (stack.length > 0 && issues.length < limit) {
    const { value: current, path } = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (path.length - baseDepth >= maxDepth) {
      issues.push({ path: formatPath(path), message: `nested deeper than ${maxDepth} levels` });
      continue;
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, i] });
      continue;
    }
    for (const key of Object.keys(current)) {
      if (FORBIDDEN_KEYS.has(key)) {
        issues.push({ path: formatPath([...path, key]), message: `key "${key}" is not allowed` });
        continue;
      }
      stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  return issues;
}

/**
 * Measures the nesting depth of raw JSON text without parsing it, so a request body can be refused
 * before any recursive code (superjson, zod) sees it. Brackets inside strings are ignored.
 */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth++;
      if (depth > max) max = depth;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}
