import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeAjvError, describeZodIssue, labelIssue } from '../src/humanize-issues.ts';
import { parseInput } from '../src/validation.ts';

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** The phrases real ajv errors become, for `value` under `schema`. */
function phrases(schema: Record<string, unknown>, value: unknown): string[] {
  const validate = ajv.compile(schema);
  expect(validate(value)).toBe(false);
  return (validate.errors ?? []).map(describeAjvError);
}

describe('describeAjvError', () => {
  it.each([
    ['required', { type: 'object', required: ['query'] }, {}, 'required'],
    ['additionalProperties', { type: 'object', additionalProperties: false }, { x: 1 }, 'is not allowed'],
    ['type string', { type: 'string' }, 3, 'must be text'],
    ['type integer', { type: 'integer' }, 1.5, 'must be a whole number'],
    ['type union', { type: ['string', 'number'] }, true, 'must be text or a number'],
    ['minLength 1', { type: 'string', minLength: 1 }, '', 'required'],
    ['minLength 3', { type: 'string', minLength: 3 }, 'ab', 'at least 3 characters'],
    ['maxLength 1', { type: 'string', maxLength: 1 }, 'ab', 'at most 1 character'],
    ['maxLength 200', { type: 'string', maxLength: 200 }, 'x'.repeat(201), 'at most 200 characters'],
    ['minimum', { minimum: 1 }, 0, 'must be at least 1'],
    ['maximum', { maximum: 5 }, 6, 'must be at most 5'],
    ['exclusiveMinimum', { exclusiveMinimum: 0 }, 0, 'must be more than 0'],
    ['exclusiveMaximum', { exclusiveMaximum: 10 }, 10, 'must be less than 10'],
    ['multipleOf', { multipleOf: 5 }, 7, 'must be a multiple of 5'],
    ['pattern', { type: 'string', pattern: '^[0-9]{5}$' }, 'abc', 'must match the pattern ^[0-9]{5}$'],
    ['format email', { type: 'string', format: 'email' }, 'nope', 'must be an email address'],
    ['format uri', { type: 'string', format: 'uri' }, 'nope', 'must be a URL'],
    ['format other', { type: 'string', format: 'ipv4' }, 'nope', 'must be an IPv4 address'],
    ['enum', { enum: ['low', 'high'] }, 'mid', 'must be one of "low", "high"'],
    ['const', { const: 'yes' }, 'no', 'must be "yes"'],
    ['minItems 1', { type: 'array', minItems: 1 }, [], 'needs at least 1 item'],
    ['minItems 2', { type: 'array', minItems: 2 }, [1], 'needs at least 2 items'],
    ['maxItems', { type: 'array', maxItems: 2 }, [1, 2, 3], 'at most 2 items'],
    [
      'uniqueItems',
      { type: 'array', uniqueItems: true },
      [1, 1],
      'items 0 and 1 are the same; each must be different',
    ],
    ['minProperties', { type: 'object', minProperties: 1 }, {}, 'needs at least 1 field'],
    ['maxProperties', { type: 'object', maxProperties: 1 }, { a: 1, b: 2 }, 'at most 1 field'],
    ['dependencies', { dependencies: { a: ['b'] } }, { a: 1 }, 'required'],
    ['not', { not: { type: 'string' } }, 'x', 'is a value that is not allowed here'],
    ['contains', { type: 'array', contains: { type: 'string' } }, [1], 'needs at least one matching item'],
  ])('%s', (_name, schema, value, expected) => {
    expect(phrases(schema, value)).toContain(expected);
  });

  it('words anyOf / oneOf and keeps ajv’s own message for keywords it does not know', () => {
    expect(phrases({ anyOf: [{ type: 'string' }, { type: 'number' }] }, true)).toContain(
      'does not match any of the allowed shapes',
    );
    expect(phrases({ oneOf: [{ type: 'string' }, { type: 'number' }] }, true)).toContain(
      'does not match any of the allowed shapes',
    );
    expect(describeAjvError({ keyword: 'somethingNew', params: {}, message: 'must be odd' })).toBe(
      'must be odd',
    );
    expect(describeAjvError({ keyword: 'somethingNew', params: {} })).toBe('is invalid');
  });
});

describe('describeZodIssue', () => {
  const issues = (schema: z.ZodType, value: unknown) => {
    const parsed = schema.safeParse(value, { error: describeZodIssue });
    expect(parsed.success).toBe(false);
    return parsed.error!.issues.map((issue) => issue.message);
  };

  it('replaces zod defaults with plain English', () => {
    expect(issues(z.object({ name: z.string() }), {})).toEqual(['required']);
    expect(issues(z.string(), 3)).toEqual(['must be text']);
    expect(issues(z.string().min(1), '')).toEqual(['required']);
    expect(issues(z.string().min(3), 'a')).toEqual(['at least 3 characters']);
    expect(issues(z.string().max(200), 'x'.repeat(664))).toEqual(['at most 200 characters']);
    expect(issues(z.number().max(2), 3)).toEqual(['must be at most 2']);
    expect(issues(z.number().gt(0), 0)).toEqual(['must be more than 0']);
    expect(issues(z.number().int(), 1.5)).toEqual(['must be a whole number']);
    expect(issues(z.array(z.string()).min(1), [])).toEqual(['needs at least 1 item']);
    expect(issues(z.array(z.string()).max(1), ['a', 'b'])).toEqual(['at most 1 item']);
    expect(issues(z.enum(['GET', 'POST']), 'PUT')).toEqual(['must be one of "GET", "POST"']);
    expect(issues(z.literal('x'), 'y')).toEqual(['must be "x"']);
    expect(issues(z.email(), 'nope')).toEqual(['must be an email address']);
    expect(issues(z.strictObject({}), { jitter: 1 })).toEqual(['unknown field "jitter"']);
    expect(issues(z.number().multipleOf(5), 7)).toEqual(['must be a multiple of 5']);
    expect(issues(z.union([z.string(), z.number()]), true)).toEqual([
      'does not match any of the allowed shapes',
    ]);
  });

  it('keeps messages a schema sets itself, and parseInput uses the plain words', () => {
    expect(issues(z.string().min(1, 'a name, please'), '')).toEqual(['a name, please']);
    expect(() => parseInput(z.object({ name: z.string().max(3) }), { name: 'long name' })).toThrow(
      'name: at most 3 characters',
    );
  });
});

describe('labelIssue', () => {
  it('puts the field’s name in front', () => {
    expect(labelIssue('Query', 'required')).toBe('Query is required');
    expect(labelIssue('Depth', 'must be at most 5')).toBe('Depth must be at most 5');
    expect(labelIssue('Name', 'at most 200 characters')).toBe('Name: at most 200 characters');
  });
});
