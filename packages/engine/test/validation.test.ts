import { describe, expect, it } from 'vitest';
import {
  assertRunInput,
  DomainError,
  sampleWorkflowDefinition,
  validateForRun,
  validateRunInput,
  validateWorkflow,
  WorkflowValidationError,
} from '../src/index.ts';
import { createNodeRegistry } from '../src/server.ts';

const registry = createNodeRegistry();
const messages = (value: unknown) =>
  validateWorkflow(value, registry).errors.map((issue) => `${issue.path}: ${issue.message}`);

describe('validateWorkflow', () => {
  it('accepts the sample workflow', () => {
    const result = validateWorkflow(sampleWorkflowDefinition(), registry);
    expect(result).toMatchObject({ valid: true, errors: [], warnings: [] });
  });

  it('reports the structural problems first, with their paths', () => {
    expect(
      messages({ nodes: [{ id: 'a', type: 'input' }], edges: [{ id: 'e', source: 'a', target: 'zz' }] }),
    ).toEqual(['definition.edges[0].target: unknown node "zz"']);
  });

  it('names unknown node types and config problems by path', () => {
    expect(
      messages({
        nodes: [
          { id: 'in', type: 'input' },
          { id: 'ask', type: 'agent', config: { role: 'r', provider: 'mock', prompt: 'hi', temperature: 7 } },
          { id: 'x', type: 'foo' },
          {
            id: 'call',
            type: 'http',
            config: { method: 'FETCH', url: 'https://a.example', headers: { 'bad name': 'v' } },
          },
          { id: 'ask2', type: 'agent', config: { role: 'r', provider: 'skynet', model: 'm', prompt: 'hi' } },
        ],
        edges: [],
      }),
    ).toEqual([
      'definition.nodes[1].config.model: required',
      'definition.nodes[1].config.temperature: must be at most 2',
      'definition.nodes[2].type: unknown node type "foo"',
      'definition.nodes[3].config.method: must be one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"',
      'definition.nodes[3].config.headers.bad name: not a valid header name',
      'definition.nodes[4].config.provider: must be one of "openai", "anthropic", "gemini", "mock", "openai-compatible"',
    ]);
  });

  it("refuses an agent's bad policy knobs, naming each path", () => {
    const agent = (id: string, knobs: Record<string, unknown>) => ({
      id,
      type: 'agent',
      config: { role: 'r', provider: 'openai', model: 'gpt-4o', prompt: 'hi', ...knobs },
    });
    expect(
      messages({
        nodes: [
          agent('a', {
            useModelMap: 'no',
            maxAttempts: 0,
            timeoutMs: 50.5,
            retry: { retries: 11, jitter: 1 },
          }),
          agent('b', { timeoutMs: 300_000 }),
          agent('c', {
            timeoutMs: 300_000,
            deadlineMs: 200_000,
            retry: { baseDelayMs: 500, maxDelayMs: 100 },
          }),
          agent('d', { useModelMap: false, maxAttempts: 2, timeoutMs: 300_000, deadlineMs: 600_000 }),
        ],
        edges: [],
      }),
    ).toEqual([
      'definition.nodes[0].config.useModelMap: must be true or false',
      'definition.nodes[0].config.maxAttempts: at least 1',
      'definition.nodes[0].config.timeoutMs: a whole number of milliseconds',
      'definition.nodes[0].config.retry.retries: at most 10',
      'definition.nodes[0].config.retry: unknown field "jitter"',
      "definition.nodes[1].config.timeoutMs: longer than the call's deadline (180000 ms by default): raise deadlineMs too",
      "definition.nodes[2].config.timeoutMs: longer than the call's deadline (200000 ms): raise deadlineMs too",
      'definition.nodes[2].config.retry.maxDelayMs: below retry.baseDelayMs (500 ms)',
    ]);
  });

  it('asks openai-compatible models for a credential name, and only them', () => {
    const agent = (id: string, fields: Record<string, unknown>) => ({
      id,
      type: 'agent',
      config: { role: 'r', model: 'llama3.2', prompt: 'hi', ...fields },
    });
    expect(
      messages({
        nodes: [
          agent('ok', {
            provider: 'openai-compatible',
            credential: 'groq',
            fallback: [{ provider: 'openai-compatible', credential: 'local-ollama', model: 'llama3.2' }],
          }),
          agent('missing', {
            provider: 'openai-compatible',
            fallback: [{ provider: 'openai-compatible', model: 'm' }],
          }),
          agent('stray', { provider: 'openai', credential: 'groq' }),
          agent('bad', { provider: 'openai-compatible', credential: 'Not A Name' }),
        ],
        edges: [],
      }),
    ).toEqual([
      'definition.nodes[1].config.credential: required for openai-compatible: the name of a stored credential',
      'definition.nodes[1].config.fallback[0].credential: required for openai-compatible: the name of a stored credential',
      'definition.nodes[2].config.credential: only openai-compatible models take a credential',
      'definition.nodes[3].config.credential: a credential name: lower-case letters, digits, - and _',
    ]);
  });

  it('checks handles against the source type outputs and the number of inputs each type takes', () => {
    expect(
      messages({
        nodes: [
          { id: 'in', type: 'input' },
          { id: 'in2', type: 'input' },
          { id: 'check', type: 'condition', config: { expression: 'true' } },
          { id: 'a', type: 'transform', config: { expression: '1' } },
          { id: 'b', type: 'transform', config: { expression: '2' } },
          { id: 'out', type: 'output' },
          { id: 'lonely', type: 'output' },
        ],
        edges: [
          { id: 'e1', source: 'in', target: 'check' },
          { id: 'e2', source: 'check', target: 'a' },
          { id: 'e3', source: 'check', target: 'b', sourceHandle: 'maybe' },
          { id: 'e4', source: 'a', target: 'out', sourceHandle: 'other' },
          { id: 'e5', source: 'in2', target: 'in' },
          { id: 'e6', source: 'out', target: 'b' },
        ],
      }),
    ).toEqual([
      'definition.nodes[0]: a input node takes no incoming connections',
      'definition.nodes[6]: a output node needs at least 1 incoming connection',
      'definition.edges[1].sourceHandle: required: which output of "check" (condition) this connection leaves from ("true" or "false")',
      'definition.edges[2].sourceHandle: "maybe" is not an output of "check" (condition) (expected "true" or "false")',
      'definition.edges[3].sourceHandle: "other" is not an output of "a" (transform) (expected "out")',
      'definition.edges[5].source: "out" (output) has no outputs to connect from',
    ]);
  });

  it('checks templates and expressions: syntax, and only nodes that run before', () => {
    expect(
      messages({
        nodes: [
          { id: 'in', type: 'input' },
          {
            id: 'a',
            type: 'agent',
            config: {
              role: 'r',
              provider: 'mock',
              model: 'echo',
              prompt: '{{input.q}} {{nodes.b.output}} {{nodes.ghost.output}}',
            },
          },
          {
            id: 'b',
            type: 'agent',
            config: { role: 'r', provider: 'mock', model: 'echo', prompt: '{{ env.SECRET }}' },
          },
          { id: 't', type: 'transform', config: { expression: 'nodes.b.output & nodes.in.output' } },
          { id: 'broken', type: 'transform', config: { expression: '$sum(' } },
          {
            id: 'call',
            type: 'http',
            config: { url: 'https://x.example/{{nodes.a.output[0]}}', body: { k: '{{nodes.t.output}}' } },
          },
        ],
        edges: [
          { id: 'e1', source: 'in', target: 'a' },
          { id: 'e2', source: 'in', target: 't' },
          { id: 'e3', source: 'a', target: 'call' },
        ],
      }),
    ).toEqual([
      'definition.nodes[1].config.prompt: {{nodes.b.output}} reads node "b", which does not run before this node (connect it upstream)',
      'definition.nodes[1].config.prompt: {{nodes.ghost.output}} refers to unknown node "ghost"',
      'definition.nodes[2].config.prompt: placeholder "{{env.SECRET}}" must start with "input" or "nodes"',
      'definition.nodes[3].config.expression: the expression reads node "b", which does not run before this node (connect it upstream)',
      expect.stringMatching(/^definition\.nodes\[4\]\.config\.expression: invalid expression: /),
      'definition.nodes[5].config.body.k: {{nodes.t.output}} reads node "t", which does not run before this node (connect it upstream)',
    ]);
  });

  it('refuses an expression longer than the limit', () => {
    const [issue] = messages({
      nodes: [{ id: 't', type: 'transform', config: { expression: `1${' + 1'.repeat(3000)}` } }],
      edges: [],
    });
    expect(issue).toBe('definition.nodes[0].config.expression: expression longer than 10000 characters');
  });

  it('reports invalid input/output schemas and warns when there is no output node', () => {
    const result = validateWorkflow(
      { nodes: [{ id: 'in', type: 'input' }], edges: [], inputSchema: { type: 'strin' } },
      registry,
    );
    expect(result.errors).toEqual([
      { path: 'definition.inputSchema', message: expect.stringContaining('not a valid JSON Schema') },
    ]);
    expect(result.warnings).toEqual([
      { path: 'definition.nodes', message: 'no output node: runs will finish with no output' },
    ]);
  });

  it('validateForRun throws a WorkflowValidationError listing every error', () => {
    const bad = {
      nodes: [
        { id: 'x', type: 'foo' },
        { id: 'a', type: 'agent' },
      ],
      edges: [],
    };
    expect(() => validateForRun(bad, registry)).toThrow(WorkflowValidationError);
    try {
      validateForRun(bad, registry);
    } catch (err) {
      expect((err as WorkflowValidationError).message).toBe(
        'definition.nodes[0].type: unknown node type "foo" (and 4 more)',
      );
      expect((err as WorkflowValidationError).issues.map((i) => i.path)).toEqual([
        'definition.nodes[0].type',
        'definition.nodes[1].config.role',
        'definition.nodes[1].config.provider',
        'definition.nodes[1].config.model',
        'definition.nodes[1].config.prompt',
      ]);
    }
  });
});

describe('validateRunInput', () => {
  const def = {
    ...sampleWorkflowDefinition(),
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', minLength: 1 },
        email: { type: 'string', format: 'email' },
        tags: { type: 'array', items: { type: 'string' } },
      },
      required: ['query'],
      additionalProperties: false,
    },
  };

  it('names every failing path', () => {
    expect(validateRunInput(def, { query: 3, email: 'nope', tags: ['ok', 1], extra: true })).toEqual([
      { path: 'input.extra', message: 'is not allowed' },
      { path: 'input.query', message: 'must be text' },
      { path: 'input.email', message: 'must be an email address' },
      { path: 'input.tags[1]', message: 'must be text' },
    ]);
    expect(validateRunInput(def, {})).toEqual([{ path: 'input.query', message: 'required' }]);
    expect(validateRunInput(def, { query: 'ok', email: 'a@b.example' })).toEqual([]);
  });

  it('accepts anything when the workflow has no input schema, and assertRunInput throws BAD_REQUEST', () => {
    expect(validateRunInput({ nodes: [], edges: [] }, 42)).toEqual([]);
    expect(() => assertRunInput(def, { query: '' })).toThrow(
      expect.objectContaining({
        code: 'BAD_REQUEST',
        message: 'input.query: required',
      }),
    );
    expect(() => assertRunInput(def, {})).toThrow(DomainError);
  });

  it('refuses schema patterns that can backtrack catastrophically, and keeps ordinary ones', () => {
    for (const schema of [
      { type: 'string', pattern: '^(a+)+$' },
      { type: 'object', patternProperties: { '^(a*)*$': { type: 'string' } } },
      { type: 'string', pattern: '(.)\\1' },
    ]) {
      const issues = validateRunInput(
        { nodes: [], edges: [], inputSchema: schema },
        'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!',
      );
      expect(issues).toEqual([
        { path: 'definition.inputSchema', message: expect.stringMatching(/can take exponential time/) },
      ]);
    }
    const zip = { nodes: [], edges: [], inputSchema: { type: 'string', pattern: '^[0-9]{5}$' } };
    expect(validateRunInput(zip, '12345')).toEqual([]);
    expect(validateRunInput(zip, '1234')).toEqual([
      { path: 'input', message: 'must match the pattern ^[0-9]{5}$' },
    ]);
  });
});
