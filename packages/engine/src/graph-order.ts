/**
 * Graph ordering for the executor: the order nodes are looked at in (definition order, dependencies
 * first) and each node's ancestor set. Pure functions over the definition, kept apart from the
 * run loop so the loop reads as scheduling only.
 */
import type { WorkflowDefinition, WorkflowEdge, WorkflowNode } from './definition.ts';

/**
 * A min-heap of positions (definition or topological order), so "the next node to look at" costs
 * log n instead of a sort or a scan of every node — what keeps a run linear in the graph's size.
 */
export class PositionHeap {
  private readonly items: number[] = [];
  private readonly queued = new Set<number>();

  get size() {
    return this.items.length;
  }

  /** Adds a position (once: one already waiting is not added again). */
  push(position: number): void {
    if (this.queued.has(position)) return;
    this.queued.add(position);
    const items = this.items;
    let i = items.push(position) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= position) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = position;
  }

  /** Removes and returns the smallest position. */
  pop(): number {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    if (items.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && items[right]! < items[left]! ? right : left;
        if (items[child]! >= last) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    this.queued.delete(top);
    return top;
  }
}

/** Definition order, then dependencies first (Kahn's algorithm, ties broken by definition order). */
export function topologicalOrder(
  def: WorkflowDefinition,
  incoming: Map<string, WorkflowEdge[]>,
  outgoing: Map<string, Set<string>>,
): WorkflowNode[] {
  const index = new Map(def.nodes.map((n, i) => [n.id, i]));
  const remaining = new Map(
    def.nodes.map((n) => [n.id, new Set((incoming.get(n.id) ?? []).map((e) => e.source)).size]),
  );
  const ready = new PositionHeap();
  def.nodes.forEach((n, i) => {
    if (remaining.get(n.id) === 0) ready.push(i);
  });
  const order: WorkflowNode[] = [];
  while (ready.size > 0) {
    const node = def.nodes[ready.pop()]!;
    order.push(node);
    for (const target of outgoing.get(node.id) ?? []) {
      const left = remaining.get(target)! - 1;
      remaining.set(target, left);
      if (left === 0) ready.push(index.get(target)!);
    }
  }
  return order;
}

/**
 * For each node, the set of its ancestors as bits over topological positions, built in one pass in
 * topological order (a node's set is its parents' sets plus the parents). n²/8 bytes: 500 KB for
 * the largest graph (MAX_NODES); it makes "is X upstream of Y" a bit test instead of a walk.
 */
export function ancestorSets(
  order: WorkflowNode[],
  position: Map<string, number>,
  incoming: Map<string, WorkflowEdge[]>,
): Uint32Array[] {
  const words = Math.ceil(order.length / 32);
  const sets: Uint32Array[] = [];
  for (const node of order) {
    const bits = new Uint32Array(words);
    for (const edge of incoming.get(node.id) ?? []) {
      const parent = position.get(edge.source)!;
      const parentBits = sets[parent]!;
      for (let w = 0; w < words; w++) bits[w]! |= parentBits[w]!;
      bits[parent >>> 5]! |= 1 << (parent & 31);
    }
    sets.push(bits);
  }
  return sets;
}
