/**
 * The rules of the input/output schema editor: what the typed text means (no schema, a schema, or
 * not JSON at all), and how a sample value is checked against the schema.
 *
 * Samples are checked with the engine's ajv validator, the same one every trigger uses, so the
 * editor and the server never disagree about a sample.
 */
import { validateAgainstSchema } from '@swarm/engine';

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
}

/** Checks `sample` against `schema`; paths start with `prefix` (`input.query`). */
export function checkSample(schema: JsonSchema, sample: unknown, prefix: string): SampleCheck {
  return { issues: validateAgainstSchema(schema, sample, prefix, 'schema') };
}
