/**
 * Reads the JSON Schema subset that zod's `z.toJSONSchema` emits (and that people write for
 * workflow inputs) into field descriptions a form can render: objects, strings, numbers, integers,
 * booleans, enums, arrays of objects or scalars, string records, optional and nullable values,
 * defaults and descriptions. Anything else becomes a raw JSON field, so every schema gets a form.
 *
 * Also the value rules the form follows: what a new array item starts as, what an emptied field
 * becomes, and where an issue path (`config.fallback[0].model`, `input.query`) is shown.
 */
import { describeAjvError, type SchemaExample, schemaExample } from '@swarm/engine';

export type JsonSchema = Record<string, unknown>;
export type Scalar = string | number | boolean;

interface FieldBase {
  title: string | undefined;
  description: string | undefined;
  default: unknown;
  /** `null` is an accepted value. */
  nullable: boolean;
}

export type FieldSpec = FieldBase &
  (
    | { kind: 'object'; properties: PropertySpec[] }
    | {
        kind: 'string';
        multiline: boolean;
        inputType: 'text' | 'email' | 'url' | 'date' | 'datetime-local';
        minLength: number | undefined;
        maxLength: number | undefined;
        pattern: string | undefined;
      }
    | { kind: 'number'; integer: boolean; minimum: number | undefined; maximum: number | undefined }
    | { kind: 'boolean' }
    | { kind: 'enum'; options: Scalar[] }
    /** A value that may be a string or a number (`anyOf` of scalars): typed as text, digits become numbers. */
    | { kind: 'scalar'; allowsString: boolean; allowsNumber: boolean; integer: boolean }
    | { kind: 'array'; item: FieldSpec; minItems: number | undefined; maxItems: number | undefined }
    /** An object of string values under free keys (`z.record(z.string(), z.string())`). */
    | { kind: 'record'; value: FieldSpec }
    | { kind: 'json' }
  );

export interface PropertySpec {
  name: string;
  required: boolean;
  spec: FieldSpec;
}

const MAX_DEPTH = 12;

/** A plain object (not an array, not null). */
export const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** Follows a local `$ref` (`#/$defs/Name`, `#/definitions/Name`) against the root schema. */
function resolveRef(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
    const ref = current.$ref as string;
    if (!ref.startsWith('#')) return { ...current, $ref: undefined };
    const parts = ref
      .slice(1)
      .split('/')
      .filter(Boolean)
      .map((part) => decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~'));
    let target: unknown = root;
    for (const part of parts) target = isObject(target) ? target[part] : undefined;
    if (!isObject(target)) return {};
    // Siblings of $ref (a description on the use site) win over the referenced schema's own.
    const { $ref: _ref, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

/** The schema's types as a list (`type: ["string", "null"]` → both). */
function typesOf(schema: JsonSchema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type.filter((t): t is string => typeof t === 'string');
  return [];
}

const isNullSchema = (schema: unknown) =>
  isObject(schema) &&
  (schema.type === 'null' ||
    (Array.isArray(schema.enum) && schema.enum.length === 1 && schema.enum[0] === null));

export function isScalar(value: unknown): value is Scalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Turns one schema into a field description. `name` helps pick a textarea for prompts. */
export function describeSchema(schema: unknown, root: unknown = schema, name = '', depth = 0): FieldSpec {
  const rootSchema = isObject(root) ? root : {};
  const json = (base: FieldBase): FieldSpec => ({ ...base, kind: 'json' });
  if (!isObject(schema))
    return json({ title: undefined, description: undefined, default: undefined, nullable: false });
  const resolved = resolveRef(schema, rootSchema);
  let nullable = false;
  let current = resolved;

  // `anyOf: [X, { type: "null" }]` (zod's nullable) is X, nullable.
  const union = (
    Array.isArray(current.anyOf) ? current.anyOf : Array.isArray(current.oneOf) ? current.oneOf : null
  ) as unknown[] | null;
  if (union) {
    const options = union.filter(isObject).map((option) => resolveRef(option, rootSchema));
    const nonNull = options.filter((option) => !isNullSchema(option));
    if (nonNull.length < options.length) nullable = true;
    const { anyOf: _a, oneOf: _o, ...outer } = current;
    if (nonNull.length === 1) {
      current = { ...nonNull[0], ...outer };
    } else {
      const base: FieldBase = {
        title: text(outer.title),
        description: text(outer.description),
        default: outer.default,
        nullable,
      };
      // A union of scalar types (string | integer, as in `fallbackOn`) is one text field.
      const scalarTypes = nonNull.map((option) => {
        const types = typesOf(option);
        if (Array.isArray(option.enum) || option.const !== undefined) return 'enum';
        return types.length === 1 ? types[0] : 'other';
      });
      if (
        nonNull.length > 1 &&
        scalarTypes.every((t) => t === 'string' || t === 'number' || t === 'integer')
      ) {
        return {
          ...base,
          kind: 'scalar',
          allowsString: scalarTypes.includes('string'),
          allowsNumber: scalarTypes.includes('number') || scalarTypes.includes('integer'),
          integer: !scalarTypes.includes('number'),
        };
      }
      // A union of constants is an enum.
      const constants = nonNull.flatMap((option) =>
        option.const !== undefined ? [option.const] : Array.isArray(option.enum) ? option.enum : [undefined],
      );
      if (constants.length > 0 && constants.every(isScalar))
        return { ...base, kind: 'enum', options: constants };
      return json(base);
    }
  }

  const types = typesOf(current);
  if (types.includes('null')) nullable = true;
  const nonNullTypes = types.filter((t) => t !== 'null');
  const base: FieldBase = {
    title: text(current.title),
    description: text(current.description),
    default: current.default,
    nullable,
  };

  if (current.const !== undefined && isScalar(current.const))
    return { ...base, kind: 'enum', options: [current.const] };
  if (Array.isArray(current.enum)) {
    const options = current.enum.filter((option) => option !== null);
    if (options.length < current.enum.length) base.nullable = true;
    return options.every(isScalar) && options.length > 0 ? { ...base, kind: 'enum', options } : json(base);
  }
  if (depth > MAX_DEPTH || nonNullTypes.length > 1) return json(base);
  const type = nonNullTypes[0] ?? (isObject(current.properties) ? 'object' : undefined);

  switch (type) {
    case 'string': {
      const maxLength = num(current.maxLength);
      const format = text(current.format);
      const inputType =
        format === 'email'
          ? 'email'
          : format === 'uri' || format === 'url'
            ? 'url'
            : format === 'date'
              ? 'date'
              : 'text';
      const long = maxLength === undefined || maxLength > 500;
      return {
        ...base,
        kind: 'string',
        multiline: long && /prompt|template|message|content|body|text|instructions|notes/i.test(name),
        inputType,
        minLength: num(current.minLength),
        maxLength,
        pattern: text(current.pattern),
      };
    }
    case 'number':
    case 'integer': {
      const exclusiveMin = num(current.exclusiveMinimum);
      const exclusiveMax = num(current.exclusiveMaximum);
      return {
        ...base,
        kind: 'number',
        integer: type === 'integer',
        minimum: num(current.minimum) ?? exclusiveMin,
        maximum: num(current.maximum) ?? exclusiveMax,
      };
    }
    case 'boolean':
      return { ...base, kind: 'boolean' };
    case 'array': {
      if (!isObject(current.items)) return json(base);
      const item = describeSchema(current.items, rootSchema, name, depth + 1);
      if (item.kind === 'json' || item.kind === 'array' || item.kind === 'record') return json(base);
      return {
        ...base,
        kind: 'array',
        item,
        minItems: num(current.minItems),
        maxItems: num(current.maxItems),
      };
    }
    case 'object': {
      const properties = isObject(current.properties) ? current.properties : {};
      const names = Object.keys(properties);
      const additional = current.additionalProperties;
      if (names.length === 0 && isObject(additional)) {
        const value = describeSchema(additional, rootSchema, name, depth + 1);
        return value.kind === 'string' ||
          value.kind === 'number' ||
          value.kind === 'boolean' ||
          value.kind === 'enum'
          ? { ...base, kind: 'record', value }
          : json(base);
      }
      // A free-form object (`z.record(z.string(), z.unknown())`, `{ type: "object" }` alone) has no fields to draw.
      if (names.length === 0 && additional !== false && current.properties === undefined) return json(base);
      const required = new Set(
        Array.isArray(current.required) ? current.required.filter((r) => typeof r === 'string') : [],
      );
      return {
        ...base,
        kind: 'object',
        properties: names.map((propertyName) => ({
          name: propertyName,
          required: required.has(propertyName),
          spec: describeSchema(properties[propertyName], rootSchema, propertyName, depth + 1),
        })),
      };
    }
    default:
      return json(base);
  }
}

/** "systemPrompt" → "System prompt", "latencyThresholdMs" → "Latency threshold (ms)", "max_tokens" → "Max tokens". */
export function humanizeName(name: string): string {
  const unit = /^(.*?)(Ms|Seconds|Micros|Bytes)$/.exec(name);
  const stem = unit?.[1] ? unit[1] : name;
  const words = stem
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  const unitLabel = unit?.[1] ? ` (${unit[2]!.toLowerCase()})` : '';
  return `${label}${unitLabel}`;
}

/** The label a field is shown with: its title, or its property name made readable. */
export function fieldLabel(spec: FieldSpec, name: string): string {
  return spec.title ?? humanizeName(name);
}

/**
 * What a new value of this field starts as (a new array item, a new form): the schema default,
 * otherwise an object with its required fields filled in, the first option of a required choice,
 * and nothing for the rest (empty optional fields stay absent).
 */
export function initialValue(spec: FieldSpec): unknown {
  if (spec.default !== undefined) return structuredClone(spec.default);
  switch (spec.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const property of spec.properties) {
        if (!property.required && property.spec.default === undefined) continue;
        const value = property.required ? requiredStart(property.spec) : initialValue(property.spec);
        if (value !== undefined) out[property.name] = value;
      }
      return out;
    }
    case 'array':
      return [];
    default:
      return undefined;
  }
}

function requiredStart(spec: FieldSpec): unknown {
  const value = initialValue(spec);
  if (value !== undefined) return value;
  switch (spec.kind) {
    case 'enum':
      return spec.options[0];
    case 'boolean':
      return false;
    case 'string':
      return '';
    case 'record':
      return {};
    default:
      return undefined;
  }
}

/**
 * What a new run input starts as — the run form, a new schedule, a webhook's sample body: the
 * engine's example for the input schema (its `examples`, defaults, else values that meet each
 * keyword), with the issues it still has against the schema (none unless the schema has a
 * `pattern` without an example), so nobody is shown a body the server would refuse unannounced.
 */
export function exampleInput(inputSchema: JsonSchema | undefined): SchemaExample {
  return inputSchema ? schemaExample(inputSchema) : { value: {}, issues: [] };
}

/** Text typed into a number field: a number, nothing (empty), or why it is not one. */
export function parseNumberInput(
  input: string,
  integer: boolean,
): { value: number | undefined } | { error: string } {
  const trimmed = input.trim();
  if (trimmed === '') return { value: undefined };
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return { error: 'not a number' };
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return { error: 'not a number' };
  if (integer && !Number.isInteger(value)) return { error: 'must be a whole number' };
  return { value };
}

/** Text typed into a string-or-number field: digits become a number when numbers are allowed. */
export function parseScalarInput(
  input: string,
  spec: { allowsString: boolean; allowsNumber: boolean; integer: boolean },
): Scalar | undefined {
  if (input === '') return undefined;
  if (spec.allowsNumber) {
    const pattern = spec.integer ? /^-?\d+$/ : /^-?(\d+\.?\d*|\.\d+)$/;
    if (pattern.test(input.trim()) || !spec.allowsString) {
      const value = Number(input.trim());
      if (Number.isFinite(value)) return value;
    }
  }
  return input;
}

/** `config` + `model` → `config.model`; `config.fallback` + 0 → `config.fallback[0]` (the API's issue paths). */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/** `config.fallback[0].model` below `config` → `fallback[0].model`. */
export function relativePath(path: string, root: string): string {
  if (!root) return path;
  if (path === root) return '';
  if (path.startsWith(`${root}.`)) return path.slice(root.length + 1);
  if (path.startsWith(`${root}[`)) return path.slice(root.length);
  return path;
}

/** Sets `key` of an object value; `undefined` removes it. Never mutates `value`. */
export function setProperty(value: unknown, key: string, next: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = isObject(value) ? { ...value } : {};
  if (next === undefined) delete out[key];
  else out[key] = next;
  return out;
}

/**
 * Every path the form shows a field for, given the current value (array items count), and the
 * paths of raw JSON fields (which also show the issues of anything inside them). Issues at other
 * paths are listed above the form, so none is ever hidden.
 */
export function fieldPaths(
  spec: FieldSpec,
  value: unknown,
  path: string,
): { fields: Set<string>; jsonFields: string[] } {
  const fields = new Set<string>();
  const jsonFields: string[] = [];
  const visit = (current: FieldSpec, currentValue: unknown, at: string) => {
    fields.add(at);
    switch (current.kind) {
      case 'object':
        for (const property of current.properties) {
          visit(
            property.spec,
            isObject(currentValue) ? currentValue[property.name] : undefined,
            childPath(at, property.name),
          );
        }
        break;
      case 'array':
        if (Array.isArray(currentValue)) {
          for (const [i, item] of currentValue.entries()) visit(current.item, item, childPath(at, i));
        }
        break;
      case 'record':
        if (isObject(currentValue))
          for (const key of Object.keys(currentValue)) fields.add(childPath(at, key));
        break;
      case 'json':
        jsonFields.push(at);
        break;
    }
  };
  visit(spec, value, path);
  return { fields, jsonFields };
}

/**
 * Issues the fields of the form will not show by themselves: paths without a field, and the
 * root's own (a form has no single place for "input: must be object").
 */
export function unplacedIssues<T extends { path: string }>(
  issues: T[],
  spec: FieldSpec,
  value: unknown,
  path: string,
): T[] {
  const { fields, jsonFields } = fieldPaths(spec, value, path);
  const insideJson = (issuePath: string) =>
    jsonFields.some(
      (json) =>
        issuePath === json ||
        issuePath.startsWith(json ? `${json}.` : '') ||
        issuePath.startsWith(`${json}[`),
    );
  return issues.filter((issue) => {
    if (insideJson(issue.path)) return false;
    return issue.path === path || !fields.has(issue.path);
  });
}

/**
 * The problems a form can see by itself, before asking the server: required values missing,
 * strings too short or long, numbers out of range or not whole, unknown choices, too many items.
 * Messages are the engine's humanizer's (`describeAjvError`, the words the server sends), so the
 * same problem reported by both shows once.
 */
export function checkValue(
  spec: FieldSpec,
  value: unknown,
  path: string,
): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const visit = (current: FieldSpec, currentValue: unknown, at: string) => {
    if (currentValue === undefined || (currentValue === null && current.nullable)) return;
    switch (current.kind) {
      case 'object':
        if (!isObject(currentValue)) return;
        for (const property of current.properties) {
          const child = currentValue[property.name];
          const where = childPath(at, property.name);
          const emptyString =
            child === '' && property.spec.kind === 'string' && (property.spec.minLength ?? 0) > 0;
          if (property.required && (child === undefined || emptyString))
            issues.push({ path: where, message: 'required' });
          else visit(property.spec, child, where);
        }
        return;
      case 'string':
        if (typeof currentValue !== 'string') return;
        if (current.minLength !== undefined && currentValue.length < current.minLength)
          issues.push({ path: at, message: say('minLength', { limit: current.minLength }) });
        else if (current.maxLength !== undefined && currentValue.length > current.maxLength)
          issues.push({ path: at, message: say('maxLength', { limit: current.maxLength }) });
        return;
      case 'number':
        if (typeof currentValue !== 'number') return;
        if (current.integer && !Number.isInteger(currentValue))
          issues.push({ path: at, message: say('type', { type: 'integer' }) });
        else if (current.minimum !== undefined && currentValue < current.minimum)
          issues.push({ path: at, message: say('minimum', { comparison: '>=', limit: current.minimum }) });
        else if (current.maximum !== undefined && currentValue > current.maximum)
          issues.push({ path: at, message: say('maximum', { comparison: '<=', limit: current.maximum }) });
        return;
      case 'enum':
        if (!current.options.includes(currentValue as Scalar))
          issues.push({ path: at, message: say('enum', { allowedValues: current.options }) });
        return;
      case 'array':
        if (!Array.isArray(currentValue)) return;
        if (current.maxItems !== undefined && currentValue.length > current.maxItems)
          issues.push({ path: at, message: say('maxItems', { limit: current.maxItems }) });
        for (const [i, item] of currentValue.entries()) visit(current.item, item, childPath(at, i));
        return;
      default:
        return;
    }
  };
  visit(spec, value, path);
  return issues;
}

/** A problem worded as the server words the matching JSON Schema keyword. */
const say = (keyword: string, params: Record<string, unknown>) => describeAjvError({ keyword, params });
