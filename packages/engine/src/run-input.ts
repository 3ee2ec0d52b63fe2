/**
 * Checks run input and output against the workflow's JSON Schemas (ajv with formats). Every trigger
 * validates input before a run exists; the executor checks again, and checks the output at the end.
 * Compiled validators are cached by the schema's text: the same version's schema is compiled
 * once per process, however many runs and webhooks use it.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { WorkflowDefinition } from './definition.ts';
import { formatPath, type ValidationIssue } from './errors.ts';
import { describeAjvError } from './humanize-issues.ts';
import { unsafeRegExpReason } from './regex-screen.ts';
import { invalidInput } from './validation.ts';

// ajv-formats is CommonJS with `exports.default`; depending on the loader the default import is the
// plugin itself or the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;

/** Schema `pattern`s and `patternProperties` keys are user regexes: screened like JSONata's. */
const screenedRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const reason = unsafeRegExpReason(pattern);
    if (reason !== null) throw new Error(reason);
    return new RegExp(pattern, flags);
  },
  { code: 'new RegExp' },
);

const ajv = new Ajv({
  allErrors: true,
  strict: false,
  validateSchema: true,
  code: { regExp: screenedRegExp },
});
addFormats(ajv);

const CACHE_LIMIT = 500;
const cache = new Map<string, ValidateFunction | string>();

/** A compiled validator for a schema, or the reason it does not compile. */
export function compileJsonSchema(schema: Record<string, unknown>): ValidateFunction | string {
  // The schema's own text is the key: no hashing, so this also runs in the browser (no node:crypto).
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh recency so the bounded cache drops the least recently used schema first.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  let compiled: ValidateFunction | string;
  try {
    // `$id`s would collide across users' schemas in one ajv instance; they are not needed here.
    const { $id: _ignored, ...anonymous } = schema;
    compiled = ajv.compile(anonymous);
  } catch (err) {
    compiled = `not a valid JSON Schema: ${(err as Error).message}`;
  }
  cache.set(key, compiled);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return compiled;
}

function pointerToPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function toIssue(error: ErrorObject, prefix: string): ValidationIssue {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const message = describeAjvError(error);
  if (error.keyword === 'required' && typeof params.missingProperty === 'string')
    return { path: formatPath([...path, params.missingProperty], prefix), message };
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string')
    return { path: formatPath([...path, params.additionalProperty], prefix), message };
  return { path: formatPath(path, prefix), message };
}

/** Checks `value` against `schema`; issues are located under `prefix` (`input.query: must be text`). */
export function validateAgainstSchema(
  schema: Record<string, unknown> | undefined,
  value: unknown,
  prefix: string,
  schemaPath: string,
): ValidationIssue[] {
  if (!schema) return [];
  const validate = compileJsonSchema(schema);
  if (typeof validate === 'string') return [{ path: schemaPath, message: validate }];
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 50).map((error) => toIssue(error, prefix));
}

/** Issues with a run input under the workflow's `inputSchema` (none when it has no schema). */
export function validateRunInput(definition: WorkflowDefinition, input: unknown): ValidationIssue[] {
  return validateAgainstSchema(definition.inputSchema, input, 'input', 'definition.inputSchema');
}

/** Like `validateRunInput`, but throws a BAD_REQUEST `DomainError` naming every failing path. */
export function assertRunInput(definition: WorkflowDefinition, input: unknown): void {
  const issues = validateRunInput(definition, input);
  if (issues.length > 0) throw invalidInput(issues);
}

/** Issues with a run's output under the workflow's `outputSchema`. */
export function validateRunOutput(definition: WorkflowDefinition, output: unknown): ValidationIssue[] {
  return validateAgainstSchema(definition.outputSchema, output, 'output', 'definition.outputSchema');
}
