/**
 * Testing one node from the editor's panel. A node test is an ordinary run (the runner, the step
 * writes and the attempt ledger are the real ones) of a cut-down definition: the node and its
 * ancestors, every ancestor pinned to the output the user gave (or the last run produced), so only
 * the tested node executes. The schemas are left out: the input is test data, not a trigger's.
 */
import type { WorkflowDefinition } from './definition.ts';
import { NotFoundError } from './errors.ts';
import type { RunPins } from './run-contract.ts';

/** What a node test runs on: the run input templates see, and the outputs of upstream nodes. */
export interface NodeTestData {
  input: unknown;
  /** Outputs by upstream node id; an upstream node left out counts as having output `null`. */
  upstream: Record<string, unknown>;
}

/** The ids of every node `nodeId` depends on, directly or not. */
export function ancestorIds(definition: WorkflowDefinition, nodeId: string): Set<string> {
  const sources = new Map<string, string[]>();
  for (const edge of definition.edges) {
    const list = sources.get(edge.target) ?? [];
    list.push(edge.source);
    sources.set(edge.target, list);
  }
  const seen = new Set<string>();
  const stack = [nodeId];
  while (stack.length > 0) {
    for (const source of sources.get(stack.pop()!) ?? []) {
      if (seen.has(source) || source === nodeId) continue;
      seen.add(source);
      stack.push(source);
    }
  }
  return seen;
}

/** The definition and pins of a test of `nodeId` with `data`. NOT_FOUND for a node not in it. */
export function nodeTestPlan(
  definition: WorkflowDefinition,
  nodeId: string,
  data: NodeTestData,
): { definition: WorkflowDefinition; pins: RunPins } {
  if (!definition.nodes.some((n) => n.id === nodeId)) throw new NotFoundError('node');
  const upstream = ancestorIds(definition, nodeId);
  const keep = (id: string) => id === nodeId || upstream.has(id);
  const pins: Record<string, { output: unknown }> = {};
  for (const id of upstream)
    pins[id] = { output: Object.hasOwn(data.upstream, id) ? (data.upstream[id] ?? null) : null };
  const { inputSchema: _in, outputSchema: _out, ...rest } = definition;
  return {
    definition: {
      ...rest,
      nodes: definition.nodes.filter((n) => keep(n.id)),
      edges: definition.edges.filter((e) => keep(e.source) && keep(e.target)),
    },
    pins,
  };
}

/**
 * The test data a node's panel starts from: the last run's input and the outputs its upstream
 * nodes produced then (those that succeeded); `{}` and nothing when there was no run.
 */
export function nodeTestDataFrom(
  definition: WorkflowDefinition,
  nodeId: string,
  lastRun: {
    input: unknown;
    steps: ReadonlyArray<{ nodeId: string; status: string; output: unknown }>;
  } | null,
): NodeTestData {
  if (!lastRun) return { input: {}, upstream: {} };
  const upstream = ancestorIds(definition, nodeId);
  const outputs: Record<string, unknown> = {};
  for (const step of lastRun.steps)
    if (upstream.has(step.nodeId) && step.status === 'succeeded') outputs[step.nodeId] = step.output;
  return { input: lastRun.input, upstream: outputs };
}
