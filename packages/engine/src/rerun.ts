/**
 * Re-runs of an earlier run: which of its finished steps the new run takes over instead of
 * executing again. Pure graph logic over the two definitions; `@swarm/db` copies the chosen steps.
 */
import type { WorkflowDefinition } from './definition.ts';
import { DomainError } from './errors.ts';

/** A step of the earlier run, as far as choosing what to reuse needs it. */
export interface RerunSourceStep {
  id: string;
  nodeId: string;
  /** Any step status; only `succeeded` and `skipped` steps can be reused. */
  status: string;
}

/**
 * Which steps of an earlier run a re-run from `fromNodeId` takes over instead of executing: every
 * succeeded or skipped step except `fromNodeId` and the nodes downstream of it, as long as the node
 * is still the same in the definition the re-run uses (same type and config — a node edited in the
 * draft runs again). With edited input, `input` nodes run again too. Without `fromNodeId`, nothing
 * is reused. An unknown `fromNodeId` is a BAD_REQUEST naming it.
 */
export function selectReusableSteps(options: {
  source: { definition: WorkflowDefinition; steps: readonly RerunSourceStep[] };
  target: WorkflowDefinition;
  fromNodeId?: string | undefined;
  inputChanged: boolean;
}): string[] {
  const { source, target, fromNodeId } = options;
  if (fromNodeId === undefined) return [];
  if (!target.nodes.some((n) => n.id === fromNodeId)) {
    throw new DomainError(
      'BAD_REQUEST',
      `fromNodeId: unknown node "${fromNodeId}" — it is not in the workflow this re-run uses`,
      [{ path: 'fromNodeId', message: `unknown node "${fromNodeId}"` }],
    );
  }
  const rerun = downstreamOf(target, fromNodeId);
  const before = new Map(source.definition.nodes.map((n) => [n.id, n]));
  const after = new Map(target.nodes.map((n) => [n.id, n]));
  return source.steps
    .filter((step) => {
      if (step.status !== 'succeeded' && step.status !== 'skipped') return false;
      if (rerun.has(step.nodeId)) return false;
      const was = before.get(step.nodeId);
      const now = after.get(step.nodeId);
      if (!was || !now || was.type !== now.type) return false;
      if (stableJson(was.config) !== stableJson(now.config)) return false;
      return !(options.inputChanged && now.type === 'input');
    })
    .map((step) => step.id);
}

/** `nodeId` and every node reachable from it along edges. */
function downstreamOf(definition: WorkflowDefinition, nodeId: string): Set<string> {
  const outgoing = new Map<string, string[]>();
  for (const edge of definition.edges) {
    const list = outgoing.get(edge.source) ?? [];
    list.push(edge.target);
    outgoing.set(edge.source, list);
  }
  const seen = new Set([nodeId]);
  const stack = [nodeId];
  while (stack.length > 0) {
    for (const next of outgoing.get(stack.pop()!) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  return seen;
}

/** JSON with object keys sorted, so equal configs compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
