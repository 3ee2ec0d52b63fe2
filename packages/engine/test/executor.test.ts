import { describe, expect, it } from 'vitest';
import { type PriorStep, sampleWorkflowDefinition, validateForRun } from '../src/index.ts';
import { createNodeRegistry, runWorkflow } from '../src/server.ts';
import { fakeLlm, probes, recordingHooks, workflow } from './support.ts';

const run = (options: Omit<Parameters<typeof runWorkflow>[0], 'executionId'>) =>
  runWorkflow({ executionId: 'exec-1', ...options });

describe('runWorkflow', () => {
  it('runs the two branches of a diamond at the same time, then joins them', async () => {
    const p = probes();
    const rec = recordingHooks();
    const def = workflow(
      [
        { id: 'in', type: 'input' },
        { id: 'a', type: 'test/barrier', config: { group: 'diamond', size: 2 } },
        { id: 'b', type: 'test/barrier', config: { group: 'diamond', size: 2 } },
        { id: 'join', type: 'merge' },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'a'],
        ['in', 'b'],
        ['a', 'join'],
        ['b', 'join'],
        ['join', 'out'],
      ],
    );
    // Each barrier node finishes only once both have started: run one after the other, the first
    // would wait until the step timeout and the run would fail.
    const outcome = await run({
      definition: def,
      input: {},
      registry: p.registry,
      hooks: rec.hooks,
      limits: { concurrency: 2, stepTimeoutMs: 10_000 },
    });
    expect(outcome).toEqual({ status: 'succeeded', output: { join: { a: 'a', b: 'b' } }, error: null });
    expect(p.events.slice(0, 2).sort()).toEqual(['start:a', 'start:b']);
    expect(rec.log.indexOf('succeeded:a')).toBeLessThan(rec.log.indexOf('started:join'));
    expect(rec.log.indexOf('succeeded:b')).toBeLessThan(rec.log.indexOf('started:join'));
  });

  it('never runs more nodes at once than the concurrency limit', async () => {
    const p = probes();
    const rec = recordingHooks();
    const ids = ['a', 'b', 'c'];
    for (const id of ids) p.hold(id);
    const def = workflow(
      ids.map((id) => ({ id, type: 'test/probe' })),
      [],
    );
    const done = run({
      definition: def,
      input: {},
      registry: p.registry,
      hooks: rec.hooks,
      limits: { concurrency: 1 },
    });
    await rec.until((log) => log.includes('started:a'));
    p.open('a');
    await p.until((events) => events.includes('start:b'));
    expect(p.events).toEqual(['start:a', 'end:a', 'start:b']);
    p.open('b');
    p.open('c');
    expect((await done).status).toBe('succeeded');
    expect(rec.log).toEqual([
      'started:a',
      'succeeded:a',
      'started:b',
      'succeeded:b',
      'started:c',
      'succeeded:c',
    ]);
  });

  it('skips the branch a condition did not take; a merge after it carries the taken side', async () => {
    const p = probes();
    const rec = recordingHooks();
    const def = workflow(
      [
        { id: 'in', type: 'input' },
        { id: 'check', type: 'condition', config: { expression: 'input.priority = "high"' } },
        { id: 'urgent', type: 'test/probe', config: { value: 'paged on-call' } },
        { id: 'after-urgent', type: 'test/probe' },
        { id: 'normal', type: 'test/probe', config: { value: 'filed a ticket' } },
        { id: 'join', type: 'merge' },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'check'],
        ['check', 'urgent', 'true'],
        ['urgent', 'after-urgent'],
        ['check', 'normal', 'false'],
        ['after-urgent', 'join'],
        ['normal', 'join'],
        ['join', 'out'],
      ],
    );
    const outcome = await run({
      definition: def,
      input: { priority: 'low' },
      registry: p.registry,
      hooks: rec.hooks,
    });
    expect(outcome).toEqual({
      status: 'succeeded',
      output: { join: { normal: 'filed a ticket' } },
      error: null,
    });
    expect(rec.step('check')).toMatchObject({ status: 'succeeded', output: false, branch: 'false' });
    expect(rec.step('urgent')).toMatchObject({ status: 'skipped', startedAt: null });
    expect(rec.step('after-urgent')?.status).toBe('skipped');
    expect(p.executions.has('urgent')).toBe(false);
    expect(rec.log).not.toContain('started:urgent');

    const high = await run({ definition: def, input: { priority: 'high' }, registry: p.registry });
    expect(high.output).toEqual({
      join: { 'after-urgent': { node: 'after-urgent', input: { urgent: 'paged on-call' } } },
    });
  });

  it("shows a step exactly its succeeded ancestors' outputs as nodes (not skipped ones, not other branches)", async () => {
    const p = probes();
    const def = workflow(
      [
        { id: 'in', type: 'input' },
        { id: 'check', type: 'condition', config: { expression: 'input.priority = "high"' } },
        { id: 'urgent', type: 'test/probe', config: { value: 'paged' } },
        { id: 'normal', type: 'test/probe', config: { value: 'ticket' } },
        { id: 'side', type: 'test/probe', config: { value: 'unrelated' } },
        { id: 'join', type: 'merge' },
        {
          id: 'seen',
          type: 'transform',
          config: { expression: '{ "keys": $sort($keys(nodes)), "normal": nodes.normal.output }' },
        },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'check'],
        ['check', 'urgent', 'true'],
        ['check', 'normal', 'false'],
        ['in', 'side'],
        ['urgent', 'join'],
        ['normal', 'join'],
        ['join', 'seen'],
        ['seen', 'out'],
      ],
    );
    const outcome = await run({ definition: def, input: { priority: 'low' }, registry: p.registry });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toEqual({
      seen: {
        keys: ['check', 'in', 'join', 'normal'],
        normal: 'ticket',
      },
    });
  });

  it('skips a merge whose every input was skipped, and an output behind it: the run output is null', async () => {
    const p = probes();
    const rec = recordingHooks();
    const def = workflow(
      [
        { id: 'check', type: 'condition', config: { expression: 'false' } },
        { id: 'x', type: 'test/probe' },
        { id: 'y', type: 'test/probe' },
        { id: 'join', type: 'merge' },
        { id: 'out', type: 'output' },
      ],
      [
        ['check', 'x', 'true'],
        ['check', 'y', 'true'],
        ['x', 'join'],
        ['y', 'join'],
        ['join', 'out'],
      ],
    );
    const outcome = await run({ definition: def, input: {}, registry: p.registry, hooks: rec.hooks });
    expect(outcome).toEqual({ status: 'succeeded', output: null, error: null });
    expect(rec.log).toEqual([
      'started:check',
      'succeeded:check',
      'skipped:x',
      'skipped:y',
      'skipped:join',
      'skipped:out',
    ]);
  });

  it('fails the run naming the failing node, and cancels the branch still running', async () => {
    const p = probes();
    const rec = recordingHooks();
    p.hold('slow');
    const def = workflow(
      [
        { id: 'in', type: 'input' },
        { id: 'slow', type: 'test/probe' },
        { id: 'broken', type: 'test/fail', name: 'Broken step' },
        { id: 'after-slow', type: 'test/probe' },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'slow'],
        ['in', 'broken'],
        ['slow', 'after-slow'],
        ['after-slow', 'out'],
        ['broken', 'out'],
      ],
    );
    const outcome = await run({ definition: def, input: {}, registry: p.registry, hooks: rec.hooks });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toEqual({
      code: 'node_failed',
      nodeId: 'broken',
      message: 'node "Broken step" (broken) failed: the probe failed on purpose',
    });
    expect(rec.step('broken')?.error).toMatchObject({ code: 'node_failed', nodeId: 'broken' });
    expect(rec.step('slow')).toMatchObject({
      status: 'cancelled',
      error: { code: 'cancelled', message: 'cancelled because node "broken" failed' },
    });
    expect(p.events).toContain('abort:slow');
    expect(p.executions.has('after-slow')).toBe(false);
    expect(rec.log.indexOf('failed:broken')).toBeLessThan(rec.log.indexOf('cancelled:slow'));
  });

  it('cancels mid-run through the signal: the running step is aborted, nothing else starts', async () => {
    const p = probes();
    const rec = recordingHooks();
    p.hold('first');
    const def = workflow(
      [
        { id: 'first', type: 'test/probe' },
        { id: 'second', type: 'test/probe' },
      ],
      [['first', 'second']],
    );
    const controller = new AbortController();
    const done = run({
      definition: def,
      input: {},
      registry: p.registry,
      hooks: rec.hooks,
      signal: controller.signal,
    });
    await p.until((events) => events.includes('start:first'));
    controller.abort();
    const outcome = await done;
    expect(outcome).toEqual({
      status: 'cancelled',
      output: null,
      error: { code: 'cancelled', message: 'the run was cancelled' },
    });
    expect(p.events).toContain('abort:first');
    expect(rec.log).toEqual(['started:first', 'cancelled:first']);
    expect(p.executions.has('second')).toBe(false);
  });

  it('does not start anything when the signal is already aborted', async () => {
    const p = probes();
    const controller = new AbortController();
    controller.abort();
    const rec = recordingHooks();
    const def = workflow([{ id: 'a', type: 'test/probe' }], []);
    const outcome = await run({
      definition: def,
      input: {},
      registry: p.registry,
      hooks: rec.hooks,
      signal: controller.signal,
    });
    expect(outcome.status).toBe('cancelled');
    expect(rec.log).toEqual([]);
  });

  it('fails a step that outlives the step timeout with code "timeout"', async () => {
    const p = probes();
    const rec = recordingHooks();
    p.hold('stuck');
    const def = workflow([{ id: 'stuck', type: 'test/probe' }], []);
    const outcome = await run({
      definition: def,
      input: {},
      registry: p.registry,
      hooks: rec.hooks,
      limits: { stepTimeoutMs: 20 },
    });
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatchObject({ code: 'timeout', nodeId: 'stuck' });
    expect(rec.step('stuck')?.error?.message).toBe('step took longer than 20 ms');
    expect(p.events).toContain('abort:stuck');
  });

  it('fails a step whose output is larger than the limit with code "output_too_large"', async () => {
    const def = workflow(
      [{ id: 'big', type: 'transform', config: { expression: '$pad("", 5000, "x")' } }],
      [],
    );
    const outcome = await run({
      definition: def,
      input: {},
      registry: createNodeRegistry(),
      limits: { maxOutputBytes: 1000 },
    });
    expect(outcome.error).toEqual({
      code: 'output_too_large',
      nodeId: 'big',
      message: 'node "big" failed: the output is 5002 bytes, over the limit of 1000 bytes',
    });
    const small = await run({
      definition: def,
      input: {},
      registry: createNodeRegistry(),
      limits: { maxOutputBytes: 6000 },
    });
    expect(small.status).toBe('succeeded');
  });

  it('reuses prior steps without running or reporting them again', async () => {
    const p = probes();
    const rec = recordingHooks();
    const { client, calls } = fakeLlm();
    const registry = p.registry;
    const def = workflow(
      [
        { id: 'in', type: 'input' },
        { id: 'research', type: 'test/probe' },
        {
          id: 'write',
          type: 'agent',
          config: {
            role: 'writer',
            provider: 'mock',
            model: 'echo',
            prompt: 'Use: {{nodes.research.output}}',
          },
        },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'research'],
        ['research', 'write'],
        ['write', 'out'],
      ],
    );
    const priorSteps: PriorStep[] = [
      { nodeId: 'in', status: 'succeeded', output: { q: 1 }, branch: null },
      { nodeId: 'research', status: 'succeeded', output: 'cached facts', branch: null },
    ];
    const outcome = await run({
      definition: def,
      input: { q: 1 },
      registry,
      hooks: rec.hooks,
      services: { llm: client },
      priorSteps,
    });
    expect(outcome).toEqual({
      status: 'succeeded',
      output: { write: '[echo] Use: cached facts' },
      error: null,
    });
    expect(p.executions.has('research')).toBe(false);
    expect(rec.log).toEqual(['started:write', 'succeeded:write', 'started:out', 'succeeded:out']);
    expect(calls).toHaveLength(1);
  });

  it('honours the branch a prior condition took, and prior skips', async () => {
    const p = probes();
    const rec = recordingHooks();
    const def = workflow(
      [
        { id: 'check', type: 'condition', config: { expression: 'true' } },
        { id: 'yes', type: 'test/probe' },
        { id: 'no', type: 'test/probe', config: { value: 'no side' } },
        { id: 'out', type: 'output' },
      ],
      [
        ['check', 'yes', 'true'],
        ['check', 'no', 'false'],
        ['yes', 'out'],
        ['no', 'out'],
      ],
    );
    // The earlier run's condition said "false" (its expression has changed since): that stands.
    const outcome = await run({
      definition: def,
      input: {},
      registry: p.registry,
      hooks: rec.hooks,
      priorSteps: [{ nodeId: 'check', status: 'succeeded', output: false, branch: 'false' }],
    });
    expect(outcome.output).toEqual({ no: 'no side' });
    expect(rec.log).toEqual(['skipped:yes', 'started:no', 'succeeded:no', 'started:out', 'succeeded:out']);

    const skippedPrior = await run({
      definition: def,
      input: {},
      registry: p.registry,
      priorSteps: [
        { nodeId: 'check', status: 'succeeded', output: true, branch: 'true' },
        { nodeId: 'yes', status: 'skipped', output: null, branch: null },
      ],
    });
    expect(skippedPrior).toEqual({ status: 'succeeded', output: null, error: null });
  });

  it('keys the run output by output node id when several output nodes ran', async () => {
    const def = workflow(
      [
        { id: 'in', type: 'input' },
        { id: 'first', type: 'output' },
        { id: 'second', type: 'output' },
      ],
      [
        ['in', 'first'],
        ['in', 'second'],
      ],
    );
    const outcome = await run({ definition: def, input: { x: 1 }, registry: createNodeRegistry() });
    expect(outcome.output).toEqual({ first: { in: { x: 1 } }, second: { in: { x: 1 } } });
  });

  it('refuses invalid input and invalid workflows without running a step', async () => {
    const rec = recordingHooks();
    const def = workflow([{ id: 'in', type: 'input' }], [], {
      inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    });
    const bad = await run({
      definition: def,
      input: { query: 3 },
      registry: createNodeRegistry(),
      hooks: rec.hooks,
    });
    expect(bad).toEqual({
      status: 'failed',
      output: null,
      error: { code: 'invalid_input', message: 'input.query: must be text' },
    });
    const unknown = await run({
      definition: workflow([{ id: 'x', type: 'nope' }], []),
      input: {},
      registry: createNodeRegistry(),
      hooks: rec.hooks,
    });
    expect(unknown.error).toEqual({
      code: 'invalid_workflow',
      message: 'the workflow cannot run: definition.nodes[0].type: unknown node type "nope"',
    });
    expect(rec.log).toEqual([]);
  });

  it('fails the run when its output does not fit the output schema', async () => {
    const def = workflow(
      [
        { id: 'in', type: 'input' },
        { id: 'out', type: 'output' },
      ],
      [['in', 'out']],
      { outputSchema: { type: 'object', required: ['answer'] } },
    );
    const outcome = await run({ definition: def, input: 1, registry: createNodeRegistry() });
    expect(outcome.status).toBe('failed');
    expect(outcome.error?.code).toBe('invalid_output');
    expect(outcome.error?.message).toContain('output.answer: required');
  });

  it('rejects when a hook throws (the runner could not persist), after in-flight steps settle', async () => {
    const p = probes();
    const def = workflow(
      [
        { id: 'a', type: 'test/probe' },
        { id: 'b', type: 'test/probe' },
      ],
      [['a', 'b']],
    );
    const failure = new Error('database unavailable');
    await expect(
      run({
        definition: def,
        input: {},
        registry: p.registry,
        hooks: {
          async stepFinished() {
            throw failure;
          },
        },
      }),
    ).rejects.toBe(failure);
    expect(p.executions.has('b')).toBe(false);
  });

  it('runs the sample workflow with its mock models', async () => {
    const registry = createNodeRegistry();
    const def = validateForRun(sampleWorkflowDefinition(), registry);
    const rec = recordingHooks();
    const { client, calls } = fakeLlm();
    const outcome = await run({
      definition: def,
      input: { query: 'Why is the sky blue?' },
      registry,
      hooks: rec.hooks,
      services: { llm: client },
    });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.output).toEqual({
      writer:
        '[echo] Facts: [echo] Research this question: Why is the sky blue?\n' +
        'Risks: [echo] What could go wrong when answering: Why is the sky blue?\nWrite the brief.',
    });
    expect(calls.find(([, , context]) => context.nodeId === 'researcher')?.[1].chain).toEqual([
      { provider: 'mock', model: 'echo' },
      { provider: 'mock', model: 'delay:50' },
    ]);
    expect(rec.step('merge')?.output).toEqual({
      researcher: '[echo] Research this question: Why is the sky blue?',
      critic: '[echo] What could go wrong when answering: Why is the sky blue?',
    });
    expect(rec.step('writer')?.attempts).toHaveLength(1);
    expect(rec.finished.map((s) => s.status)).toEqual(Array(6).fill('succeeded'));
  });
});
