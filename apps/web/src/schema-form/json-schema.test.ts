import { validateAgainstSchema } from '@swarm/engine';
import { createNodeRegistry } from '@swarm/engine/server';
import { describe, expect, test } from 'vitest';
import {
  checkValue,
  describeSchema,
  type FieldSpec,
  humanizeName,
  initialValue,
  parseNumberInput,
  parseScalarInput,
  unplacedIssues,
} from './json-schema.ts';

/** The node types' config schemas exactly as `nodeTypes.list` serves them. */
const configSchemas = Object.fromEntries(
  createNodeRegistry()
    .list()
    .map((t) => [t.type, t.configJsonSchema]),
);

function properties(spec: FieldSpec) {
  if (spec.kind !== 'object') throw new Error(`expected an object, got ${spec.kind}`);
  return Object.fromEntries(spec.properties.map((p) => [p.name, { required: p.required, spec: p.spec }]));
}

describe('describeSchema on the node types the server lists', () => {
  test('agent: required strings, a provider choice, numbers, a fallback list of objects, a routing enum', () => {
    const agent = properties(describeSchema(configSchemas.agent));
    expect(Object.keys(agent)).toEqual([
      'role',
      'provider',
      'model',
      'credential',
      'systemPrompt',
      'prompt',
      'temperature',
      'maxTokens',
      'fallback',
      'routing',
      'fallbackOn',
      'latencyThresholdMs',
      'useModelMap',
      'maxAttempts',
      'timeoutMs',
      'deadlineMs',
      'retry',
      'outputSchema',
      'tools',
      'maxTurns',
    ]);
    // The fallback policy knobs: a checkbox that starts ticked, bounded numbers, a retry group.
    expect(agent.useModelMap).toMatchObject({ required: false, spec: { kind: 'boolean', default: true } });
    expect(agent.maxAttempts).toMatchObject({
      spec: { kind: 'number', integer: true, minimum: 1, maximum: 50 },
    });
    expect(agent.timeoutMs).toMatchObject({ spec: { kind: 'number', minimum: 100, maximum: 600_000 } });
    expect(properties(agent.retry!.spec)).toMatchObject({
      retries: { required: false, spec: { kind: 'number', integer: true, minimum: 0, maximum: 10 } },
      maxTotalDelayMs: { required: false, spec: { kind: 'number' } },
    });
    expect(agent.role).toMatchObject({
      required: true,
      spec: { kind: 'string', multiline: false, maxLength: 100 },
    });
    expect(agent.role!.spec.description).toBe('What this agent does; costs are reported per role');
    expect(agent.provider).toMatchObject({
      required: true,
      spec: { kind: 'enum', options: ['openai', 'anthropic', 'gemini', 'mock', 'openai-compatible'] },
    });
    expect(agent.prompt).toMatchObject({ required: true, spec: { kind: 'string', multiline: true } });
    expect(agent.systemPrompt).toMatchObject({ required: false, spec: { kind: 'string', multiline: true } });
    expect(agent.temperature).toMatchObject({
      required: false,
      spec: { kind: 'number', integer: false, minimum: 0, maximum: 2 },
    });
    expect(agent.maxTokens).toMatchObject({ spec: { kind: 'number', integer: true, minimum: 1 } });
    const fallback = agent.fallback!.spec;
    expect(fallback).toMatchObject({ kind: 'array', maxItems: 10, item: { kind: 'object' } });
    if (fallback.kind !== 'array') throw new Error('unreachable');
    expect(properties(fallback.item)).toMatchObject({
      provider: { required: true, spec: { kind: 'enum' } },
      model: { required: true, spec: { kind: 'string' } },
    });
    expect(agent.routing).toMatchObject({
      spec: { kind: 'enum', options: ['ordered', 'cheapest', 'lowest-latency', 'load-balanced'] },
    });
    // string | integer items: one text field per item, digits become status codes.
    expect(agent.fallbackOn).toMatchObject({
      spec: {
        kind: 'array',
        item: { kind: 'scalar', allowsString: true, allowsNumber: true, integer: true },
      },
    });
    // A free-form JSON Schema object has no fields to draw: raw JSON.
    expect(agent.outputSchema!.spec.kind).toBe('json');
  });

  test('http: a method enum with a default, headers as a string record, any-JSON body, a boolean', () => {
    const http = properties(describeSchema(configSchemas.http));
    expect(http.method).toMatchObject({ required: false, spec: { kind: 'enum', default: 'GET' } });
    expect(http.url).toMatchObject({ required: true, spec: { kind: 'string' } });
    expect(http.headers).toMatchObject({ spec: { kind: 'record', value: { kind: 'string' } } });
    expect(http.body!.spec.kind).toBe('json');
    expect(http.allowErrorStatus!.spec.kind).toBe('boolean');
  });

  test('types without settings are an object with no fields', () => {
    expect(describeSchema(configSchemas.input)).toMatchObject({ kind: 'object', properties: [] });
    expect(describeSchema(configSchemas.merge)).toMatchObject({ kind: 'object', properties: [] });
  });
});

describe('describeSchema on other shapes', () => {
  test('nullable as zod writes it (anyOf with null) and as people write it (type list)', () => {
    expect(describeSchema({ anyOf: [{ type: 'string' }, { type: 'null' }] })).toMatchObject({
      kind: 'string',
      nullable: true,
    });
    expect(describeSchema({ type: ['integer', 'null'], minimum: 3 })).toMatchObject({
      kind: 'number',
      integer: true,
      minimum: 3,
      nullable: true,
    });
    expect(describeSchema({ enum: ['a', 'b', null] })).toMatchObject({
      kind: 'enum',
      options: ['a', 'b'],
      nullable: true,
    });
  });

  test('local $refs are followed, with the use site description winning', () => {
    const schema = {
      type: 'object',
      properties: { target: { $ref: '#/$defs/Target', description: 'Where to go' } },
      $defs: { Target: { type: 'object', properties: { url: { type: 'string', format: 'uri' } } } },
    };
    const target = properties(describeSchema(schema)).target!.spec;
    expect(target).toMatchObject({ kind: 'object', description: 'Where to go' });
    expect(properties(target).url!.spec).toMatchObject({ kind: 'string', inputType: 'url' });
  });

  test('constants, unions of constants, and things a form cannot draw', () => {
    expect(describeSchema({ const: 'fixed' })).toMatchObject({ kind: 'enum', options: ['fixed'] });
    expect(describeSchema({ anyOf: [{ const: 'a' }, { const: 1 }] })).toMatchObject({
      kind: 'enum',
      options: ['a', 1],
    });
    expect(describeSchema({ anyOf: [{ type: 'string' }, { type: 'object' }] }).kind).toBe('json');
    expect(describeSchema({ type: 'array', items: { type: 'array', items: { type: 'string' } } }).kind).toBe(
      'json',
    );
    expect(describeSchema({}).kind).toBe('json');
    expect(describeSchema(true).kind).toBe('json');
    expect(describeSchema({ $ref: '#/$defs/Missing' }).kind).toBe('json');
  });

  test('a self-referencing schema stops at a raw JSON field instead of looping', () => {
    const schema = {
      $ref: '#/$defs/Node',
      $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } },
    };
    let spec = describeSchema(schema);
    let depth = 0;
    while (spec.kind === 'object') {
      spec = spec.properties[0]!.spec;
      depth++;
    }
    expect(spec.kind).toBe('json');
    expect(depth).toBeGreaterThan(5);
  });
});

test('humanizeName', () => {
  expect(humanizeName('systemPrompt')).toBe('System prompt');
  expect(humanizeName('latencyThresholdMs')).toBe('Latency threshold (ms)');
  expect(humanizeName('max_tokens')).toBe('Max tokens');
  expect(humanizeName('URLPath')).toBe('Url path');
  expect(humanizeName('query')).toBe('Query');
});

test('initialValue fills required fields and defaults, leaves optional ones out', () => {
  const agent = describeSchema(configSchemas.agent);
  if (agent.kind !== 'object') throw new Error('unreachable');
  const fallback = agent.properties.find((p) => p.name === 'fallback')!.spec;
  if (fallback.kind !== 'array') throw new Error('unreachable');
  expect(initialValue(fallback.item)).toEqual({ provider: 'openai', model: '' });
  expect(initialValue(describeSchema(configSchemas.http))).toEqual({ method: 'GET', url: '' });
  expect(
    initialValue(
      describeSchema({
        type: 'object',
        properties: {
          n: { type: 'integer' },
          flag: { type: 'boolean' },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['flag', 'tags'],
      }),
    ),
  ).toEqual({ flag: false, tags: [] });
});

test('parseNumberInput and parseScalarInput', () => {
  expect(parseNumberInput('0.7', false)).toEqual({ value: 0.7 });
  expect(parseNumberInput(' 12 ', true)).toEqual({ value: 12 });
  expect(parseNumberInput('', true)).toEqual({ value: undefined });
  expect(parseNumberInput('1.5', true)).toEqual({ error: 'must be a whole number' });
  expect(parseNumberInput('abc', false)).toEqual({ error: 'not a number' });
  expect(parseNumberInput('1.', false)).toEqual({ value: 1 });
  const stringOrInteger = { allowsString: true, allowsNumber: true, integer: true };
  expect(parseScalarInput('429', stringOrInteger)).toBe(429);
  expect(parseScalarInput('rate_limited', stringOrInteger)).toBe('rate_limited');
  expect(parseScalarInput('4.5', stringOrInteger)).toBe('4.5');
  expect(parseScalarInput('', stringOrInteger)).toBeUndefined();
});

test('unplacedIssues keeps only the issues no field will show', () => {
  const spec = describeSchema(configSchemas.agent);
  const value = {
    role: 'r',
    provider: 'mock',
    model: 'echo',
    prompt: 'p',
    fallback: [{ provider: 'mock', model: '' }],
  };
  const issues = [
    { path: 'config.model', message: 'required' },
    { path: 'config.fallback[0].model', message: 'required' },
    { path: 'config.outputSchema.type', message: 'bad' },
    { path: 'config.fallback[3].model', message: 'no such item on screen' },
    { path: 'config.unknownKey', message: 'is not allowed' },
    { path: 'config', message: 'must be an object' },
  ];
  expect(unplacedIssues(issues, spec, value, 'config').map((i) => i.path)).toEqual([
    'config.fallback[3].model',
    'config.unknownKey',
    'config',
  ]);
});

describe('checkValue', () => {
  const agent = describeSchema(configSchemas.agent);

  test('a complete agent config has no problems', () => {
    expect(checkValue(agent, { role: 'r', provider: 'mock', model: 'echo', prompt: 'p' }, 'config')).toEqual(
      [],
    );
  });

  test('names missing or emptied required fields, out-of-range numbers and bad items by path', () => {
    expect(
      checkValue(
        agent,
        {
          role: '',
          provider: 'nobody',
          prompt: 'p',
          temperature: 3,
          maxTokens: 1.5,
          fallback: [{ provider: 'openai', model: '' }],
        },
        'config',
      ),
    ).toEqual([
      { path: 'config.role', message: 'required' },
      {
        path: 'config.provider',
        message: 'must be one of "openai", "anthropic", "gemini", "mock", "openai-compatible"',
      },
      { path: 'config.model', message: 'required' },
      { path: 'config.temperature', message: 'must be at most 2' },
      { path: 'config.maxTokens', message: 'must be a whole number' },
      { path: 'config.fallback[0].model', message: 'required' },
    ]);
  });

  test('leaves absent optional values and accepted nulls alone', () => {
    const spec = describeSchema({
      type: 'object',
      properties: { note: { type: ['string', 'null'], minLength: 3 }, n: { type: 'integer', minimum: 1 } },
    });
    expect(checkValue(spec, { note: null }, 'input')).toEqual([]);
    expect(checkValue(spec, { note: 'ab', n: 0 }, 'input')).toEqual([
      { path: 'input.note', message: 'at least 3 characters' },
      { path: 'input.n', message: 'must be at least 1' },
    ]);
  });
});

test('the form words a problem exactly as the server does, so one problem shows once', () => {
  const schema = {
    type: 'object',
    properties: {
      query: { type: 'string', minLength: 1 },
      code: { type: 'string', maxLength: 1 },
      depth: { type: 'integer', minimum: 1, maximum: 5 },
      mode: { enum: ['fast', 'deep'] },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 1 },
    },
    required: ['query'],
  };
  const value = { query: '', code: 'ab', depth: 9, mode: 'slow', tags: ['a', 'b'] };
  const local = checkValue(describeSchema(schema), value, 'input');
  const server = validateAgainstSchema(schema, value, 'input', 'schema');
  expect(local).toEqual(expect.arrayContaining(server));
  expect(local.map((issue) => issue.message)).toEqual([
    'required',
    'at most 1 character',
    'must be at most 5',
    'must be one of "fast", "deep"',
    'at most 1 item',
  ]);
});
