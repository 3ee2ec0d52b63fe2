import { describe, expect, test } from 'vitest';
import { checkSample, parseSchemaText, STARTER_SCHEMA } from './schema-text.ts';

describe('parseSchemaText', () => {
  test('empty text means no schema', () => {
    expect(parseSchemaText('  \n')).toEqual({ state: 'none' });
  });
  test('a JSON object is a schema', () => {
    expect(parseSchemaText('{"type":"object"}')).toEqual({ state: 'schema', schema: { type: 'object' } });
  });
  test('broken JSON and non-objects are refused with a reason', () => {
    const broken = parseSchemaText('{"type":');
    expect(broken.state).toBe('invalid');
    expect(parseSchemaText('[1]')).toEqual({
      state: 'invalid',
      message: expect.stringMatching(/is an object/),
    });
  });
});

const schema = {
  type: 'object',
  properties: {
    query: { type: 'string', minLength: 1 },
    count: { type: 'integer', minimum: 1 },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['query'],
};

describe('checkSample', () => {
  test('names the path of a missing required value and of a wrong type', () => {
    const result = checkSample(schema, { count: 'three' }, 'input');
    expect(result.issues).toEqual(
      expect.arrayContaining([
        { path: 'input.query', message: 'required' },
        { path: 'input.count', message: 'must be a whole number' },
      ]),
    );
  });
  test('a valid sample has no issues', () => {
    expect(checkSample(STARTER_SCHEMA, { query: 'hi' }, 'input').issues).toEqual([]);
  });
  test('a schema that does not compile is reported at `schema`', () => {
    const result = checkSample({ type: 'no-such-type' }, {}, 'input');
    expect(result.issues[0]?.path).toBe('schema');
  });
});
