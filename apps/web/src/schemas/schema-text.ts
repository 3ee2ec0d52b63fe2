/**
 * The rules of the input/output schema editor: what the typed text means (no schema, a schema, or
 * not JSON at all), and how a sample value is checked against the schema.
 *
 * Samples are checked with the engine's ajv validator, the same one every trigger uses. The engine
 * caches compiled schemas under a `node:crypto` hash, which a browser bundle does not have; there the
 * call throws and the check falls back to the form's own rules (`checkValue`: required values,
 * lengths, ranges, choices) plus the JSON types, and says so. The server checks with ajv either way.
 */
import { validateAgainstSchema } from '@swarm/engine';
import { checkValue, childPath, describeSchema, type FieldSpec } from '../schema-form/json-schema.ts';

export type JsonSchema = Record<string, unknown>;

export type SchemaText =
  | { state: 'none' }
  | { state: 'schema'; schema: JsonSchema }
  | { state: 'invalid'; message: string };

/** Empty text removes the schema; anything else must be a JSON object. */
export function parseSchemaText(text: string): SchemaText {
  if (text.trim() === '') return { state: 'none' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { state: 'invalid', message: error instanceof SyntaxError ? error.message : 'Invalid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { state: 'invalid', message: 'A JSON Schema is an object, like {"type": "object"}' };
  return { state: 'schema', schema: parsed as JsonSchema };
}

export const formatSchema = (schema: JsonSchema | undefined) =>
  schema ? JSON.stringify(schema, null, 2) : '';

/** A schema to start from: an object with one required text field. */
export const STARTER_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { query: { type: 'string', minLength: 1, description: 'What to ask' } },
  required: ['query'],
};

export interface SampleIssue {
  path: string;
  message: string;
}

export interface SampleCheck {
  issues: SampleIssue[];
  /** `ajv`: the server's validator; `basic`: the form's rules (ajv could not run here). */
  checker: 'ajv' | 'basic';
}

type Validate = typeof validateAgainstSchema;

/** Checks `sample` against `schema`; paths start with `prefix` (`input.query`). */
export function checkSample(
  schema: JsonSchema,
  sample: unknown,
  prefix: string,
  validate: Validate = validateAgainstSchema,
): SampleCheck {
  try {
    return { issues: validate(schema, sample, prefix, 'schema'), checker: 'ajv' };
  } catch {
    return { issues: basicCheck(describeSchema(schema), sample, prefix), checker: 'basic' };
  }
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const expectedType: Partial<Record<FieldSpec['kind'], (value: unknown) => boolean>> = {
  object: (v) => jsonType(v) === 'object',
  record: (v) => jsonType(v) === 'object',
  array: Array.isArray,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  boolean: (v) => typeof v === 'boolean',
};

const typeName: Partial<Record<FieldSpec['kind'], string>> = {
  object: 'object',
  record: 'object',
  array: 'array',
  string: 'string',
  number: 'number',
  boolean: 'boolean',
};

/** Wrong JSON types (worded like ajv: "must be string"), then the form's own value rules. */
function basicCheck(spec: FieldSpec, value: unknown, prefix: string): SampleIssue[] {
  const issues: SampleIssue[] = [];
  const visit = (current: FieldSpec, currentValue: unknown, at: string) => {
    if (currentValue === undefined || (currentValue === null && current.nullable)) return;
    const matches = expectedType[current.kind];
    if (matches && !matches(currentValue)) {
      const name = current.kind === 'number' && current.integer ? 'integer' : typeName[current.kind];
      issues.push({ path: at, message: `must be ${name}` });
      return;
    }
    if (current.kind === 'object' && jsonType(currentValue) === 'object') {
      const object = currentValue as Record<string, unknown>;
      for (const property of current.properties)
        visit(property.spec, object[property.name], childPath(at, property.name));
    }
    if (current.kind === 'array' && Array.isArray(currentValue))
      currentValue.forEach((item, i) => {
        visit(current.item, item, childPath(at, i));
      });
  };
  visit(spec, value, prefix);
  const wrongType = new Set(issues.map((issue) => issue.path));
  const rules = checkValue(spec, value, prefix).filter((issue) => !wrongType.has(issue.path));
  return [...issues, ...rules];
}
