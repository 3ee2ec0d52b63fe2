/**
 * An example value for a JSON Schema: what the webhook panel's `curl` body, "send test", the
 * schedule form and the run form start from. Per (sub)schema: its first `examples` entry, else its
 * `default`, `const` or first `enum` value — each used only when it passes that schema — else a
 * value built to satisfy the keywords (lengths, ranges, formats, required properties, item
 * counts). The result is checked against the whole schema, so a caller knows before showing it
 * whether the example would be accepted (a `pattern` cannot always be satisfied by construction).
 * Browser-safe: ajv only.
 */
import type { ValidationIssue } from './errors.ts';
import { compileJsonSchema, validateAgainstSchema } from './run-input.ts';

type Schema = Record<string, unknown>;

export interface SchemaExample {
  value: unknown;
  /** Why `value` does not pass the schema; empty when it does. */
  issues: ValidationIssue[];
}

const MAX_DEPTH = 16;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

const FORMAT_EXAMPLES: Record<string, string> = {
  email: 'user@example.com',
  'idn-email': 'user@example.com',
  uri: 'https://example.com',
  url: 'https://example.com',
  'uri-reference': 'https://example.com',
  iri: 'https://example.com',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  date: '2026-01-01',
  time: '12:00:00Z',
  'date-time': '2026-01-01T12:00:00Z',
  duration: 'P1D',
  uuid: '00000000-0000-4000-8000-000000000000',
  regex: '.*',
  'json-pointer': '/example',
};

class ExampleBuilder {
  constructor(private readonly root: Schema) {}

  /** Follows local `$ref`s (`#/$defs/Name`); siblings of the `$ref` win. */
  private resolve(schema: Schema): Schema {
    let current = schema;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
      const ref = current.$ref as string;
      if (!ref.startsWith('#')) return {};
      let target: unknown = this.root;
      for (const part of ref.slice(1).split('/').filter(Boolean)) {
        const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~');
        target = isObject(target) ? target[key] : undefined;
      }
      if (!isObject(target)) return {};
      const { $ref: _ref, ...siblings } = current;
      current = { ...target, ...siblings };
    }
    return current;
  }

  /** Whether `value` passes `schema` (with the root's definitions in reach of its `$ref`s). */
  private passes(schema: Schema, value: unknown): boolean {
    const withDefinitions: Schema = { ...schema };
    if (this.root.$defs !== undefined) withDefinitions.$defs = this.root.$defs;
    if (this.root.definitions !== undefined) withDefinitions.definitions = this.root.definitions;
    const validate = compileJsonSchema(withDefinitions);
    return typeof validate === 'string' ? false : validate(value) === true;
  }

  build(input: unknown, depth: number, name: string): unknown {
    if (input === false) return null;
    if (!isObject(input)) return {};
    const schema = this.resolve(input);
    const given = [
      ...(Array.isArray(schema.examples) ? schema.examples : []),
      ...(schema.default !== undefined ? [schema.default] : []),
      ...(schema.const !== undefined ? [schema.const] : []),
      ...(Array.isArray(schema.enum) ? schema.enum : []),
    ];
    for (const candidate of given) if (this.passes(schema, candidate)) return structuredClone(candidate);
    if (given.length > 0 && (schema.const !== undefined || Array.isArray(schema.enum)))
      return structuredClone(schema.const ?? (schema.enum as unknown[])[0]);
    if (depth > MAX_DEPTH) return null;

    const options = [schema.anyOf, schema.oneOf].find(Array.isArray) as unknown[] | undefined;
    if (options) {
      const { anyOf: _a, oneOf: _o, ...outer } = schema;
      let first: unknown;
      for (const [i, option] of options.entries()) {
        const merged = isObject(option) ? { ...outer, ...this.resolve(option) } : outer;
        const value = this.build(merged, depth + 1, name);
        if (i === 0) first = value;
        if (this.passes(schema, value)) return value;
      }
      return first;
    }
    if (Array.isArray(schema.allOf)) {
      const { allOf, ...outer } = schema;
      const merged = allOf
        .filter(isObject)
        .map((part) => this.resolve(part))
        .reduce<Schema>((all, part) => mergeSchemas(all, part), outer);
      return this.build(merged, depth + 1, name);
    }

    const types =
      typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? schema.type : [];
    const type =
      types.find((t) => t !== 'null') ??
      types[0] ??
      (isObject(schema.properties) || Array.isArray(schema.required)
        ? 'object'
        : schema.items !== undefined || schema.prefixItems !== undefined
          ? 'array'
          : schema.minLength !== undefined || schema.pattern !== undefined || schema.format !== undefined
            ? 'string'
            : schema.minimum !== undefined || schema.maximum !== undefined
              ? 'number'
              : 'object');
    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return true;
      case 'string':
        return stringExample(schema, name);
      case 'number':
      case 'integer':
        return numberExample(schema, type === 'integer');
      case 'array':
        return this.arrayExample(schema, depth, name);
      default:
        return this.objectExample(schema, depth);
    }
  }

  private objectExample(schema: Schema, depth: number): Record<string, unknown> {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required)
      ? schema.required.filter((r): r is string => typeof r === 'string')
      : [];
    // Required properties, and optional ones that bring their own example or default.
    const names = new Set(required);
    for (const [key, sub] of Object.entries(properties)) {
      if (isObject(sub) && (Array.isArray(sub.examples) || sub.default !== undefined)) names.add(key);
    }
    const minProperties = num(schema.minProperties) ?? 0;
    for (const key of Object.keys(properties)) {
      if (names.size >= minProperties) break;
      names.add(key);
    }
    const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : {};
    for (let i = 1; names.size < minProperties && i < 1000; i++)
      if (!Object.hasOwn(properties, `key${i}`)) names.add(`key${i}`);
    const out: Record<string, unknown> = {};
    for (const key of names) {
      const sub = Object.hasOwn(properties, key) ? properties[key] : extra;
      out[key] = this.build(sub, depth + 1, key);
    }
    return out;
  }

  private arrayExample(schema: Schema, depth: number, name: string): unknown[] {
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    const items = schema.items;
    const count = Math.max(num(schema.minItems) ?? 0, items === false ? prefix.length : 0);
    const length = Math.max(count, Math.min(prefix.length, num(schema.maxItems) ?? prefix.length));
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) {
      const sub = i < prefix.length ? prefix[i] : items;
      let value = this.build(sub ?? {}, depth + 1, name);
      // Distinct items for `uniqueItems`: vary strings and numbers by position.
      if (schema.uniqueItems === true && i > 0) {
        const suffix = String(i);
        // Same length where possible, so length bounds still hold.
        if (typeof value === 'string')
          value =
            value.length >= suffix.length
              ? value.slice(0, value.length - suffix.length) + suffix
              : value + suffix;
        else if (typeof value === 'number') value = value + i * (num((sub as Schema)?.multipleOf) ?? 1);
      }
      out.push(value);
    }
    return out;
  }
}

/** Two schemas that must both hold, combined keyword by keyword (the common cases of `allOf`). */
function mergeSchemas(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a, ...b };
  if (isObject(a.properties) && isObject(b.properties)) out.properties = { ...a.properties, ...b.properties };
  if (Array.isArray(a.required) && Array.isArray(b.required))
    out.required = [...new Set([...a.required, ...b.required])];
  for (const key of ['minLength', 'minimum', 'minItems', 'minProperties'] as const)
    if (num(a[key]) !== undefined && num(b[key]) !== undefined)
      out[key] = Math.max(a[key] as number, b[key] as number);
  for (const key of ['maxLength', 'maximum', 'maxItems', 'maxProperties'] as const)
    if (num(a[key]) !== undefined && num(b[key]) !== undefined)
      out[key] = Math.min(a[key] as number, b[key] as number);
  return out;
}

function stringExample(schema: Schema, name: string): string {
  const format = typeof schema.format === 'string' ? FORMAT_EXAMPLES[schema.format] : undefined;
  let value = format ?? (name ? `example ${name}` : 'example');
  const min = num(schema.minLength) ?? 0;
  const max = num(schema.maxLength);
  // Lengths count code points, as JSON Schema does; the examples are ASCII.
  if (value.length < min) value = value.padEnd(min, 'x');
  if (max !== undefined && value.length > max) value = (format ?? 'example').slice(0, max).padEnd(min, 'x');
  if (max !== undefined && value.length > max)
    value = 'x'.repeat(Math.max(min, 0)).slice(0, Math.max(max, min));
  return value;
}

function numberExample(schema: Schema, integer: boolean): number {
  const multipleOf = num(schema.multipleOf);
  const step = multipleOf && multipleOf > 0 ? multipleOf : integer ? 1 : undefined;
  let low = num(schema.minimum);
  const exclusiveLow = num(schema.exclusiveMinimum);
  let high = num(schema.maximum);
  const exclusiveHigh = num(schema.exclusiveMaximum);
  const above = (limit: number) => (step ? (Math.floor(limit / step) + 1) * step : limit + 1);
  const below = (limit: number) => (step ? (Math.ceil(limit / step) - 1) * step : limit - 1);
  if (exclusiveLow !== undefined) low = Math.max(low ?? -Infinity, above(exclusiveLow));
  if (exclusiveHigh !== undefined) high = Math.min(high ?? Infinity, below(exclusiveHigh));
  let value = low !== undefined && low > 0 ? low : high !== undefined && high < 0 ? high : 0;
  if (low !== undefined && value < low) value = low;
  if (step) {
    // The first multiple of the step at or above the lower bound (or at or below the upper one).
    value =
      low !== undefined || high === undefined
        ? Math.ceil(value / step) * step
        : Math.floor(value / step) * step;
    if (high !== undefined && value > high) value = Math.floor(high / step) * step;
  }
  if (!step && exclusiveLow !== undefined && exclusiveHigh !== undefined && value >= exclusiveHigh)
    value = (exclusiveLow + exclusiveHigh) / 2;
  return integer ? Math.round(value) : value;
}

/** An example value for `schema` (see the module comment); not checked. */
export function exampleFromSchema(schema: Record<string, unknown>): unknown {
  return new ExampleBuilder(schema).build(schema, 0, '');
}

/** An example for `schema` and the issues it has against it (none in the common case). */
export function schemaExample(schema: Record<string, unknown>, prefix = 'input'): SchemaExample {
  const value = exampleFromSchema(schema);
  return { value, issues: validateAgainstSchema(schema, value, prefix, 'schema') };
}
