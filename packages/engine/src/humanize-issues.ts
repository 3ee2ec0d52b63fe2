/**
 * Validation problems in plain English. ajv and zod word their defaults for developers ("must NOT
 * have fewer than 1 characters", "Too big: expected number to be <=2"); people filling a form read
 * "required" and "at most 2". Browser-safe: no imports beyond types, so the editor shows the same
 * words the server sends. Phrases have no subject — the field they sit under is the subject; use
 * `labelIssue` where there is no field to sit under ("Query is required").
 */

/** The parts of an ajv `ErrorObject` the wording needs (kept structural so ajv stays optional). */
export interface AjvErrorLike {
  keyword: string;
  params: Record<string, unknown> | object;
  message?: string;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'empty (null)',
};

const FORMAT_NAMES: Record<string, string> = {
  email: 'an email address',
  uri: 'a URL',
  url: 'a URL',
  'uri-reference': 'a URL',
  date: 'a date (YYYY-MM-DD)',
  time: 'a time (HH:MM:SS)',
  'date-time': 'a date and time',
  datetime: 'a date and time',
  uuid: 'a UUID',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  hostname: 'a host name',
  regex: 'a regular expression',
};

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

function typeName(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map((t) => TYPE_NAMES[String(t)] ?? String(t)).join(' or ');
}

const quoteOptions = (values: unknown): string =>
  (Array.isArray(values) ? values : [values]).map((v) => JSON.stringify(v)).join(', ');

/** One ajv error as a phrase: `minLength` 1 → "required", `maximum` 10 → "must be at most 10". */
export function describeAjvError(error: AjvErrorLike): string {
  const p = error.params as Record<string, unknown>;
  const n = typeof p.limit === 'number' ? p.limit : Number(p.limit);
  switch (error.keyword) {
    case 'required':
    case 'dependentRequired':
    case 'dependencies':
      return 'required';
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not allowed';
    case 'type':
      return `must be ${typeName(p.type)}`;
    case 'minLength':
      return n <= 1 ? 'required' : `at least ${plural(n, 'character')}`;
    case 'maxLength':
      return `at most ${plural(n, 'character')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words: Record<string, string> = {
        '>=': 'at least',
        '<=': 'at most',
        '>': 'more than',
        '<': 'less than',
      };
      return `must be ${words[String(p.comparison)] ?? String(p.comparison)} ${n}`;
    }
    case 'multipleOf':
      return `must be a multiple of ${String(p.multipleOf)}`;
    case 'pattern':
      return `must match the pattern ${String(p.pattern)}`;
    case 'format':
      return `must be ${FORMAT_NAMES[String(p.format)] ?? `a valid ${String(p.format)}`}`;
    case 'enum':
      return `must be one of ${quoteOptions(p.allowedValues)}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'minItems':
      return n === 1 ? 'needs at least 1 item' : `needs at least ${plural(n, 'item')}`;
    case 'maxItems':
      return `at most ${plural(n, 'item')}`;
    case 'uniqueItems':
      return `items ${String(p.j)} and ${String(p.i)} are the same; each must be different`;
    case 'minProperties':
      return `needs at least ${plural(n, 'field')}`;
    case 'maxProperties':
      return `at most ${plural(n, 'field')}`;
    case 'propertyNames':
      return `has a field name that is not allowed: ${JSON.stringify(p.propertyName)}`;
    case 'anyOf':
    case 'oneOf':
      return 'does not match any of the allowed shapes';
    case 'not':
      return 'is a value that is not allowed here';
    case 'contains':
      return 'needs at least one matching item';
    default:
      return error.message ?? 'is invalid';
  }
}

/** The parts of a zod 4 issue the wording needs (as passed to a per-parse `error` map). */
export interface ZodIssueLike {
  code?: string;
  input?: unknown;
  expected?: unknown;
  origin?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: boolean;
  values?: unknown[];
  format?: unknown;
  keys?: unknown[];
  divisor?: unknown;
}

/**
 * A zod issue as a phrase, or undefined to keep zod's own words. Pass it as a per-parse error map
 * (`schema.safeParse(value, { error: describeZodIssue })`): messages a schema sets itself
 * (`.min(1, 'required')`) still win, only zod's defaults are replaced.
 */
export function describeZodIssue(issue: ZodIssueLike): string | undefined {
  const limit = (value: unknown) => (typeof value === 'bigint' ? Number(value) : Number(value));
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `must be ${typeName(issue.expected)}`;
    case 'too_small': {
      const n = limit(issue.minimum);
      if (issue.origin === 'string') return n <= 1 ? 'required' : `at least ${plural(n, 'character')}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `needs at least ${plural(n, 'item')}`;
      return `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${n}`;
    }
    case 'too_big': {
      const n = limit(issue.maximum);
      if (issue.origin === 'string') return `at most ${plural(n, 'character')}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `at most ${plural(n, 'item')}`;
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${n}`;
    }
    case 'invalid_value':
      return issue.values && issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${quoteOptions(issue.values ?? [])}`;
    case 'invalid_format':
      return `must be ${FORMAT_NAMES[String(issue.format)] ?? `a valid ${String(issue.format)}`}`;
    case 'unrecognized_keys': {
      const keys = (issue.keys ?? []).map((k) => JSON.stringify(k)).join(', ');
      return (issue.keys ?? []).length === 1 ? `unknown field ${keys}` : `unknown fields ${keys}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return 'does not match any of the allowed shapes';
    default:
      return undefined;
  }
}

/**
 * A phrase with its field's name in front, for places with no field to sit under:
 * "Query is required", "Depth must be at most 5", "Name: at most 200 characters".
 */
export function labelIssue(label: string, message: string): string {
  if (message === 'required') return `${label} is required`;
  if (/^(must|is|needs|has|does)\b/.test(message)) return `${label} ${message}`;
  return `${label}: ${message}`;
}
