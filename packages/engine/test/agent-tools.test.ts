/**
 * Agent tools in the engine: validation refuses inconsistent tool bindings naming the path, tool
 * nodes run only when called (a lone node or a sub-flow ending in an output), each turn and call is
 * reported as a child step, and a run resumed with those child steps replays them instead of
 * calling the model or the tool again.
 */
import { describe, expect, it } from 'vitest';
import {
  type ChildStepFinished,
  type LlmClient,
  type LlmToolCall,
  type PriorChildStep,
  remapGraph,
  validateWorkflow,
} from '../src/index.ts';
import { createNodeRegistry, runWorkflow } from '../src/server.ts';
import { attempt, workflow } from './support.ts';

const registry = createNodeRegistry();
const objectOf = (key: string, type: string) => ({
  type: 'object',
  properties: { [key]: { type } },
  required: [key],
});

function toolWorkflow(
  overrides: { tools?: unknown[]; extraNodes?: unknown[]; extraEdges?: Array<[string, string]> } = {},
) {
  return workflow(
    [
      { id: 'input', type: 'input' },
      {
        id: 'agent',
        type: 'agent',
        config: {
          role: 'r',
          provider: 'mock',
          model: 'echo',
          prompt: 'go',
          tools: overrides.tools ?? [
            { name: 'double', parameters: objectOf('n', 'number'), node: 'dbl' },
            { name: 'shout', parameters: objectOf('s', 'string'), node: 'up' },
          ],
        },
      },
      { id: 'output', type: 'output' },
      { id: 'dbl', type: 'transform', config: { expression: 'input.n * 2' } },
      { id: 'up', type: 'transform', config: { expression: '$uppercase(input.s)' } },
      { id: 'up-out', type: 'output' },
      ...((overrides.extraNodes ?? []) as Array<{ id: string; type: string }>),
    ],
    [['input', 'agent'], ['agent', 'output'], ['up', 'up-out'], ...(overrides.extraEdges ?? [])],
  );
}

const errorsOf = (def: unknown) =>
  validateWorkflow(def, registry).errors.map((e) => `${e.path}: ${e.message}`);

describe('tool binding validation', () => {
  it('accepts tools bound to a transform and to a sub-flow ending in an output', () => {
    expect(errorsOf(toolWorkflow())).toEqual([]);
  });

  it('refuses an edge from the graph into a tool node, naming the edge', () => {
    const errors = errorsOf(toolWorkflow({ extraEdges: [['input', 'dbl']] }));
    expect(errors).toEqual([
      expect.stringMatching(
        /^definition\.edges\[3\]: connects "input" into "dbl", which belongs to tool "double"/,
      ),
    ]);
  });

  it('refuses unknown nodes, unsuitable entry nodes, shared nodes and duplicate names', () => {
    const errors = errorsOf(
      toolWorkflow({
        tools: [
          { name: 'a', node: 'nowhere' },
          { name: 'b', node: 'output' },
          { name: 'c', node: 'dbl' },
          { name: 'c', node: 'dbl' },
        ],
      }),
    );
    expect(errors).toEqual(
      expect.arrayContaining([
        'definition.nodes[1].config.tools[0].node: unknown node "nowhere"',
        expect.stringMatching(
          /^definition\.nodes\[1\]\.config\.tools\[1\]\.node: "output" is not an http or transform node/,
        ),
        expect.stringMatching(
          /^definition\.nodes\[1\]\.config\.tools\[3\]\.node: "dbl"'s nodes are already bound/,
        ),
        'definition.nodes[1].config.tools[3].name: duplicate tool name "c"',
      ]),
    );
  });

  it('refuses a sub-flow with more than one output', () => {
    const errors = errorsOf(
      toolWorkflow({ extraNodes: [{ id: 'up-out2', type: 'output' }], extraEdges: [['up', 'up-out2']] }),
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^definition\.nodes\[1\]\.config\.tools\[1\]\.node: the sub-flow starting at "up" must end in exactly one output node \(it has 2\)/,
      ),
    ]);
  });
});

/** A model that calls both tools on turn 1 and answers with what it got on turn 2. */
function scriptedLlm() {
  const calls: Array<Parameters<LlmClient['complete']>[0]> = [];
  const client: LlmClient = {
    async complete(request) {
      calls.push(request);
      const results = request.messages.filter((m) => m.role === 'tool');
      const toolCalls: LlmToolCall[] =
        results.length > 0
          ? []
          : [
              { id: 't1', name: 'double', arguments: '{"n":21}' },
              { id: 't2', name: 'shout', arguments: '{"s":"hi"}' },
            ];
      return {
        text: results.map((m) => m.content).join(' | '),
        provider: 'mock',
        model: 'echo',
        attempts: [attempt('mock', 'echo')],
        toolCalls,
      };
    },
  };
  return { client, calls };
}

async function run(priorChildSteps: PriorChildStep[] = []) {
  const llm = scriptedLlm();
  const children: ChildStepFinished[] = [];
  const outcome = await runWorkflow({
    definition: toolWorkflow(),
    input: {},
    registry,
    executionId: 'run-1',
    services: { llm: llm.client },
    priorChildSteps,
    hooks: { childStepFinished: async (step) => void children.push(step) },
  });
  return { outcome, children, calls: llm.calls };
}

it('renumbering nodes (anonymised export, merge import) carries the tool bindings along', () => {
  const def = toolWorkflow();
  const { nodes, edges } = remapGraph(
    def,
    (_id, i) => `n${i}`,
    (_id, i) => `e${i}`,
  );
  const agent = nodes.find((n) => n.type === 'agent')!;
  expect((agent.config.tools as Array<{ node: string }>).map((t) => t.node)).toEqual(['n3', 'n4']);
  expect(errorsOf({ ...def, nodes, edges })).toEqual([]);
});

describe('the tool loop', () => {
  it('runs the bound nodes as tools and reports each turn and call as a child step', async () => {
    const { outcome, children, calls } = await run();
    expect(outcome).toMatchObject({ status: 'succeeded', output: { agent: '42 | {"up":"HI"}' } });
    expect(children.map((c) => `${c.nodeId}:${c.status}:${c.attempts.length}`)).toEqual([
      'agent/turn-1:succeeded:1',
      'agent/turn-1/call-1:succeeded:0',
      'agent/turn-1/call-2:succeeded:0',
      'agent/turn-2:succeeded:1',
    ]);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.tools!.map((t) => t.name)).toEqual(['double', 'shout']);
  });

  it('replays finished turns and calls on resume instead of repeating them', async () => {
    const first = await run();
    const prior: PriorChildStep[] = first.children.slice(0, 2).map((c) => ({ ...c }));
    const { outcome, children, calls } = await run(prior);
    expect(outcome).toMatchObject({ status: 'succeeded', output: { agent: '42 | {"up":"HI"}' } });
    // Only the call that had not finished and the last turn ran again.
    expect(children.map((c) => c.nodeId)).toEqual(['agent/turn-1/call-2', 'agent/turn-2']);
    expect(calls).toHaveLength(1);
  });
});
