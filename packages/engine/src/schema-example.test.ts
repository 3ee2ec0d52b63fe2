import { describe, expect, it } from 'vitest';
import { sampleWorkflowDefinition } from './sample-workflow.ts';
import { exampleFromSchema, schemaExample } from './schema-example.ts';
import { randomSchema } from './testing/random-json.ts';
import { testRandom } from './testing/seeded-random.ts';

describe('schemaExample', () => {
  it("the sample workflow's input schema gets an example it accepts (not an empty query)", () => {
    const schema = sampleWorkflowDefinition().inputSchema!;
    const { value, issues } = schemaExample(schema);
    expect(issues).toEqual([]);
    expect(value).toMatchObject({ query: expect.stringMatching(/.+/) });
  });

  it('prefers examples, then default, then const/enum — each only when it fits', () => {
    expect(exampleFromSchema({ type: 'string', examples: ['first', 'second'], default: 'd' })).toBe('first');
    expect(exampleFromSchema({ type: 'string', minLength: 3, examples: ['no'], default: 'yes' })).toBe('yes');
    expect(exampleFromSchema({ type: 'integer', minimum: 5, default: 1 })).toBe(5);
    expect(exampleFromSchema({ enum: ['b', 'c'] })).toBe('b');
    expect(exampleFromSchema({ const: { a: 1 } })).toEqual({ a: 1 });
  });

  it('meets lengths, ranges, formats, item counts and required properties', () => {
    const schema = {
      type: 'object',
      required: ['name', 'count', 'email', 'tags', 'when', 'ratio'],
      properties: {
        name: { type: 'string', minLength: 30, maxLength: 31 },
        count: { type: 'integer', exclusiveMinimum: 10, multipleOf: 4 },
        ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        email: { type: 'string', format: 'email' },
        tags: { type: 'array', items: { type: 'string', maxLength: 2 }, minItems: 2, uniqueItems: true },
        when: { type: 'string', format: 'date-time' },
        optional: { type: 'string' },
      },
      additionalProperties: false,
    };
    const { value, issues } = schemaExample(schema);
    expect(issues).toEqual([]);
    expect(value).not.toHaveProperty('optional');
    expect((value as { count: number }).count).toBe(12);
  });

  it('says when the example does not pass (a pattern it cannot invent)', () => {
    const { issues } = schemaExample({
      type: 'object',
      properties: { code: { type: 'string', pattern: '^[0-9]{4}$' } },
      required: ['code'],
    });
    expect(issues.map((i) => i.path)).toEqual(['input.code']);
  });

  it('property: the example of a generated schema passes that schema', () => {
    const random = testRandom();
    for (let i = 0; i < 400; i++) {
      const schema = randomSchema(random);
      const { value, issues } = schemaExample(schema);
      expect({ schema, value, issues }).toEqual({ schema, value, issues: [] });
    }
  });
});
