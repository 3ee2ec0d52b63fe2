import { describe, expect, it } from 'vitest';
import { createNodeRegistry, runWorkflow } from '../src/server.ts';
import { attempt, fakeLlm, recordingHooks, workflow } from './support.ts';

const registry = createNodeRegistry();

async function runOne(
  nodes: Parameters<typeof workflow>[0],
  edges: Parameters<typeof workflow>[1],
  input: unknown,
  services: Parameters<typeof runWorkflow>[0]['services'] = {},
) {
  const rec = recordingHooks();
  const outcome = await runWorkflow({
    definition: workflow(nodes, edges),
    input,
    registry,
    executionId: 'exec-nodes',
    hooks: rec.hooks,
    services,
  });
  return { outcome, rec };
}

describe('built-in node types', () => {
  it('input outputs the run input and output collects its sources by id', async () => {
    const { outcome, rec } = await runOne(
      [
        { id: 'in', type: 'input' },
        { id: 'out', type: 'output' },
      ],
      [['in', 'out']],
      { query: 'q' },
    );
    expect(rec.step('in')?.output).toEqual({ query: 'q' });
    expect(outcome.output).toEqual({ in: { query: 'q' } });
  });

  it('agent renders its templates, calls the LLM with the fallback chain and policy knobs, and records the attempts', async () => {
    const { client, calls } = fakeLlm(() => 'an answer');
    const { outcome, rec } = await runOne(
      [
        { id: 'in', type: 'input' },
        {
          id: 'ask',
          type: 'agent',
          config: {
            role: 'analyst',
            provider: 'openai',
            model: 'gpt-4o',
            systemPrompt: 'You answer about {{input.topic}}.',
            prompt: 'Question: {{input.question}} (missing: "{{input.nothing.here}}")',
            temperature: 0.3,
            maxTokens: 100,
            fallback: [{ provider: 'anthropic', model: 'claude-sonnet' }],
            routing: 'cheapest',
            fallbackOn: ['rate_limit', 503],
            latencyThresholdMs: 5000,
            useModelMap: false,
            maxAttempts: 3,
            timeoutMs: 20_000,
            deadlineMs: 90_000,
            retry: { retries: 1, baseDelayMs: 100 },
          },
        },
      ],
      [['in', 'ask']],
      { topic: 'tides', question: 'why?' },
      { llm: client },
    );
    expect(outcome.status).toBe('succeeded');
    expect(rec.step('ask')?.output).toBe('an answer');
    const [request, policy, context] = calls[0]!;
    expect(request).toMatchObject({
      system: 'You answer about tides.',
      messages: [{ role: 'user', content: 'Question: why? (missing: "")' }],
      temperature: 0.3,
      maxTokens: 100,
    });
    expect(request.signal).toBeInstanceOf(AbortSignal);
    expect(policy).toEqual({
      chain: [
        { provider: 'openai', model: 'gpt-4o' },
        { provider: 'anthropic', model: 'claude-sonnet' },
      ],
      fallbackOn: ['rate_limit', 503],
      routing: 'cheapest',
      latencyThresholdMs: 5000,
      useModelMap: false,
      maxAttempts: 3,
      timeoutMs: 20_000,
      deadlineMs: 90_000,
      retry: { retries: 1, baseDelayMs: 100 },
    });
    expect(context).toEqual({ executionId: 'exec-nodes', nodeId: 'ask', agentRole: 'analyst' });
    expect(rec.step('ask')?.attempts).toEqual([attempt('openai', 'gpt-4o')]);
    expect(rec.step('ask')?.input).toEqual({
      system: 'You answer about tides.',
      prompt: 'Question: why? (missing: "")',
    });
  });

  it('agent keeps the attempts of a call that failed in the end', async () => {
    const failed = [
      attempt('openai', 'gpt-4o', {
        errorClass: 'rate_limit',
        costStatus: 'no_usage',
        usage: null,
        costMicros: null,
      }),
      attempt('anthropic', 'claude', { reason: 'fallback:rate_limit', errorClass: 'server' }),
    ];
    const llm = {
      async complete(): Promise<never> {
        throw Object.assign(new Error('every provider failed'), { attempts: failed });
      },
    };
    const { outcome, rec } = await runOne(
      [
        {
          id: 'ask',
          type: 'agent',
          config: { role: 'r', provider: 'openai', model: 'gpt-4o', prompt: 'hi' },
        },
      ],
      [],
      {},
      { llm },
    );
    expect(outcome.error).toMatchObject({ code: 'provider_error', nodeId: 'ask' });
    expect(rec.step('ask')).toMatchObject({ status: 'failed', attempts: failed });
  });

  it('agent with an output schema asks for JSON and outputs the parsed value, or fails with invalid_output', async () => {
    const schema = { type: 'object', properties: { score: { type: 'number' } }, required: ['score'] };
    const nodes = [
      {
        id: 'rate',
        type: 'agent',
        config: { role: 'rater', provider: 'mock', model: 'echo', prompt: 'x', outputSchema: schema },
      },
    ];
    const good = fakeLlm(() => '```json\n{"score": 4}\n```');
    const ok = await runOne(nodes, [], {}, { llm: good.client });
    expect(ok.rec.step('rate')?.output).toEqual({ score: 4 });
    expect(good.calls[0]![0].jsonSchema).toEqual({ name: 'rater_output', schema });

    const wrong = await runOne(nodes, [], {}, { llm: fakeLlm(() => '{"score": "high"}').client });
    expect(wrong.outcome.error?.code).toBe('invalid_output');
    expect(wrong.outcome.error?.message).toContain('output.score: must be a number');
    const prose = await runOne(nodes, [], {}, { llm: fakeLlm(() => 'I think 4').client });
    expect(prose.outcome.error?.code).toBe('invalid_output');
  });

  it('agent without an LLM client fails clearly', async () => {
    const { outcome } = await runOne(
      [{ id: 'ask', type: 'agent', config: { role: 'r', provider: 'mock', model: 'echo', prompt: 'hi' } }],
      [],
      {},
    );
    expect(outcome.error).toMatchObject({ code: 'not_configured', nodeId: 'ask' });
  });

  it('transform evaluates JSONata over { input, nodes }', async () => {
    const { outcome } = await runOne(
      [
        { id: 'in', type: 'input' },
        {
          id: 'shape',
          type: 'transform',
          config: { expression: '{ "total": $sum(nodes.in.output.items.price), "who": input.user }' },
        },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'shape'],
        ['shape', 'out'],
      ],
      { user: 'ada', items: [{ price: 2 }, { price: 3 }] },
    );
    expect(outcome.output).toEqual({ shape: { total: 5, who: 'ada' } });
  });

  it('transform with an expression that recurses forever fails with expression_error', async () => {
    const { outcome } = await runOne(
      [{ id: 'loop', type: 'transform', config: { expression: '( $f := function($x){ $f($x) }; $f(1) )' } }],
      [],
      {},
    );
    // A tail call is trampolined by JSONata, so the depth never grows: the time limit stops it.
    expect(outcome.error?.code).toBe('expression_error');
    expect(outcome.error?.message).toMatch(/ran longer than \d+ ms/);
    const deep = await runOne(
      [
        {
          id: 'deep',
          type: 'transform',
          config: { expression: '( $f := function($x){ 1 + $f($x) }; $f(1) )' },
        },
      ],
      [],
      {},
    );
    expect(deep.outcome.error?.code).toBe('expression_error');
    expect(deep.outcome.error?.message).toMatch(/recursed deeper than \d+ levels/);
  });

  it('condition takes the true or false handle by JSONata truth', async () => {
    const nodes = [
      { id: 'check', type: 'condition', config: { expression: 'input.items' } },
      { id: 'yes', type: 'transform', config: { expression: '"some"' } },
      { id: 'no', type: 'transform', config: { expression: '"none"' } },
      { id: 'out', type: 'output' },
    ];
    const edges: Parameters<typeof workflow>[1] = [
      ['check', 'yes', 'true'],
      ['check', 'no', 'false'],
      ['yes', 'out'],
      ['no', 'out'],
    ];
    expect((await runOne(nodes, edges, { items: [1] })).outcome.output).toEqual({ yes: 'some' });
    expect((await runOne(nodes, edges, { items: [] })).outcome.output).toEqual({ no: 'none' });
    const { rec } = await runOne(nodes, edges, {});
    expect(rec.step('check')).toMatchObject({ output: false, branch: 'false' });
  });

  it('merge joins its inputs keyed by source node id', async () => {
    const { rec } = await runOne(
      [
        { id: 'a', type: 'transform', config: { expression: '1' } },
        { id: 'b', type: 'transform', config: { expression: '"two"' } },
        { id: 'm', type: 'merge' },
      ],
      [
        ['a', 'm'],
        ['b', 'm'],
      ],
      {},
    );
    expect(rec.step('m')).toMatchObject({ status: 'succeeded', output: { a: 1, b: 'two' } });
  });
});
