/**
 * Random JSON for property tests, drawn from a `SeededRandom` so a failing case replays: any JSON
 * value, a value shaped by a JSON Schema (the subset `z.toJSONSchema` emits: objects, arrays,
 * scalars, enums, unions, records), and random JSON Schemas for code that reads schemas.
 */
import type { SeededRandom } from './seeded-random.ts';

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const WORDS = ['a', 'query', 'fallback', 'id', 'model', 'x y', 'ünï', '', '{{input.q}}', 'mock'];

export function randomString(random: SeededRandom): string {
  return Array.from({ length: random.int(0, 3) }, () => random.pick(WORDS)).join(random.pick(['', ' ', '-']));
}

/** Any JSON value, nesting at most `depth` levels (arrays of id-less objects included). */
export function randomJson(random: SeededRandom, depth = 3): unknown {
  const kind = random.int(0, depth > 0 ? 6 : 3);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return random.next() < 0.5;
    case 2:
      return random.int(-1000, 1000) / random.pick([1, 10]);
    case 3:
      return randomString(random);
    case 4:
    case 5:
      return Array.from({ length: random.int(0, 4) }, () => randomJson(random, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = random.int(0, 4); i > 0; i--)
        out[random.pick(WORDS) || 'k'] = randomJson(random, depth - 1);
      return out;
    }
  }
}

/** A value shaped like `schema` (types, properties, items, enums), not necessarily within its bounds. */
export function randomInstance(schema: unknown, random: SeededRandom, depth = 4): unknown {
  if (!isObject(schema) || depth < 0) return randomJson(random, Math.max(depth, 0));
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return random.pick(schema.enum);
  const options = [schema.anyOf, schema.oneOf].find(Array.isArray) as unknown[] | undefined;
  if (options && options.length > 0) return randomInstance(random.pick(options), random, depth);
  const types =
    typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : [];
  switch (random.pick(types.length > 0 ? types : ['any'])) {
    case 'null':
      return null;
    case 'boolean':
      return random.next() < 0.5;
    case 'integer':
      return random.int(0, 100);
    case 'number':
      return random.int(0, 2000) / 1000;
    case 'string':
      return randomString(random);
    case 'array':
      return Array.from({ length: random.int(0, 4) }, () => randomInstance(schema.items, random, depth - 1));
    case 'object': {
      const out: Record<string, unknown> = {};
      const properties = isObject(schema.properties) ? schema.properties : {};
      const required = new Set(Array.isArray(schema.required) ? schema.required : []);
      for (const [key, sub] of Object.entries(properties))
        if (required.has(key) || random.next() < 0.6) out[key] = randomInstance(sub, random, depth - 1);
      if (isObject(schema.additionalProperties))
        for (let i = random.int(0, 2); i > 0; i--)
          out[`${random.pick(WORDS)}${i}`] = randomInstance(schema.additionalProperties, random, depth - 1);
      return out;
    }
    default:
      return randomJson(random, Math.min(depth, 3));
  }
}

const FORMATS = ['email', 'uri', 'date', 'date-time', 'uuid', 'ipv4', 'hostname', 'time'];

/**
 * A random JSON Schema whose keywords can all be met at once (ranges with low ≤ high, lengths and
 * item counts that fit), sometimes with `examples`, `default`, `$ref`s, unions and `allOf`.
 */
export function randomSchema(random: SeededRandom, depth = 3, root = true): Schema {
  const schema = randomSchemaBody(random, depth, root);
  if (random.next() < 0.15) schema.description = randomString(random);
  // Defaults and examples that may not fit the schema: a builder must check before using them.
  if (random.next() < 0.15) schema.default = randomJson(random, 1);
  if (random.next() < 0.1)
    schema.examples = [randomJson(random, 1), ...(Array.isArray(schema.examples) ? schema.examples : [])];
  return schema;
}

function randomSchemaBody(random: SeededRandom, depth: number, root: boolean): Schema {
  const kind = random.int(0, depth > 0 ? 11 : 6);
  switch (kind) {
    case 0: {
      const schema: Schema = { type: 'string' };
      const min = random.pick([undefined, 0, 1, 3, 20]);
      if (min !== undefined) schema.minLength = min;
      if (random.next() < 0.4) schema.maxLength = (min ?? 0) + random.int(0, 10);
      // A format's example has its own length: formats come without length bounds.
      if (random.next() < 0.3) schema.format = random.pick(FORMATS);
      if (schema.format) {
        delete schema.minLength;
        delete schema.maxLength;
      }
      if (random.next() < 0.2) {
        // A pattern needs an example to be met; the builder cannot invent one.
        schema.pattern = '^[A-Z]{2}-\\d{3}$';
        schema.examples = ['AB-123'];
        delete schema.maxLength;
        delete schema.minLength;
        delete schema.format;
      }
      return schema;
    }
    case 1:
    case 2: {
      const schema: Schema = { type: random.pick(['number', 'integer']) };
      const low = random.pick([undefined, -50, 0, 1, 7, 1000]);
      if (low !== undefined) schema[random.pick(['minimum', 'exclusiveMinimum'])] = low;
      // Wide enough for a multiple of the step to fit between exclusive bounds.
      if (random.next() < 0.5)
        schema[random.pick(['maximum', 'exclusiveMaximum'])] = (low ?? -100) + random.int(12, 40);
      if (random.next() < 0.3) schema.multipleOf = random.pick([1, 2, 5]);
      return schema;
    }
    case 3:
      return { type: 'boolean' };
    case 4:
      return {
        enum: [...new Set(Array.from({ length: random.int(1, 4) }, () => randomString(random) || 'v'))],
      };
    case 5:
      return { type: ['string', 'null'], minLength: random.int(0, 2) };
    case 6:
      return { const: randomJson(random, 1) };
    case 7:
    case 8: {
      const properties: Schema = {};
      const required: string[] = [];
      for (let i = random.int(0, 4); i > 0; i--) {
        const key = `p${i}${random.pick(['', '_x', 'Name'])}`;
        properties[key] = randomSchema(random, depth - 1, false);
        if (random.next() < 0.6) required.push(key);
      }
      const schema: Schema = { type: 'object', properties, required };
      if (random.next() < 0.3) schema.additionalProperties = false;
      else if (random.next() < 0.2) schema.minProperties = random.int(0, 6);
      return schema;
    }
    case 9: {
      const min = random.int(0, 3);
      const schema: Schema = { type: 'array', items: randomSchema(random, depth - 1, false), minItems: min };
      if (random.next() < 0.5) schema.maxItems = min + random.int(0, 3);
      return schema;
    }
    case 10: {
      const inner = randomSchema(random, depth - 1, false);
      // `$ref`s point into the root's `$defs`, so only the root has them.
      if (!root || random.next() < 0.5) return { anyOf: [inner, { type: 'null' }] };
      return {
        $defs: { Part: inner },
        type: 'object',
        properties: { part: { $ref: '#/$defs/Part' } },
        required: ['part'],
      };
    }
    default:
      return {
        allOf: [
          { type: 'object', properties: { a: { type: 'string', minLength: 2 } }, required: ['a'] },
          { type: 'object', properties: { b: randomSchema(random, depth - 1, false) }, required: ['b'] },
        ],
      };
  }
}
