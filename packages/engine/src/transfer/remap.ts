/**
 * Node id remapping for anonymised exports (every node renumbered) and merge imports (ids that
 * clash with the target's): every reference to an old id follows — edges, `{{nodes.<id>…}}`
 * template placeholders in any config string, `nodes.<id>` paths in JSONata expressions, and the
 * nodes an agent's tools run (`tools[k].node`).
 */
import type { WorkflowEdge } from '../definition.ts';
import type { ExportNode } from './format.ts';

/** `{{ nodes.<id>` or `{{ nodes["<id>"]` / `{{ nodes['<id>']` at the start of a placeholder. */
const TEMPLATE_NODE_REF = /(\{\{\s*nodes)(?:\.([A-Za-z0-9_$-]+)|\[(["'])([^"'\\]*)\3\])/g;
/** `nodes.<id>` or nodes.`<id>` in a JSONata expression (not preceded by a name character or `$`). */
const EXPRESSION_NODE_REF = /(?<![\w$.])nodes\.(?:`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Config fields holding JSONata expressions (transform, condition, and any type using the name). */
const EXPRESSION_FIELDS = new Set(['expression']);

export function remapTemplate(text: string, idMap: ReadonlyMap<string, string>): string {
  return text.replace(
    TEMPLATE_NODE_REF,
    (match, head: string, dotted?: string, quote?: string, quoted?: string) => {
      const old = dotted ?? quoted;
      const next = old === undefined ? undefined : idMap.get(old);
      if (next === undefined) return match;
      return dotted !== undefined ? `${head}.${next}` : `${head}[${quote}${next}${quote}]`;
    },
  );
}

export function remapExpression(source: string, idMap: ReadonlyMap<string, string>): string {
  return source.replace(EXPRESSION_NODE_REF, (match, quoted?: string, plain?: string) => {
    const next = idMap.get((quoted ?? plain)!);
    if (next === undefined) return match;
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(next) ? `nodes.${next}` : `nodes.\`${next}\``;
  });
}

/** A deep copy of a config with node references rewritten (depth is bounded by `findUnsafeJson` first). */
export function remapConfig(config: Record<string, unknown>, idMap: ReadonlyMap<string, string>) {
  const rewrite = (value: unknown, expression: boolean): unknown => {
    if (typeof value === 'string')
      return expression ? remapExpression(value, idMap) : remapTemplate(value, idMap);
    if (Array.isArray(value)) return value.map((v) => rewrite(v, false));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = rewrite(v, false);
      return out;
    }
    return value;
  };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) out[key] = rewrite(value, EXPRESSION_FIELDS.has(key));
  return out;
}

/** An agent's tools name the nodes they run (`tools[k].node`): those follow too. */
function remapToolNodes(config: Record<string, unknown>, idMap: ReadonlyMap<string, string>) {
  if (!Array.isArray(config.tools)) return config;
  return {
    ...config,
    tools: config.tools.map((tool: unknown) => {
      const node = (tool as { node?: unknown } | null)?.node;
      const next = typeof node === 'string' ? idMap.get(node) : undefined;
      return next === undefined ? tool : { ...(tool as object), node: next };
    }),
  };
}

/**
 * Ids for every node and edge, references rewritten. `newNodeId`/`newEdgeId` give the ids (so
 * anonymised exports can number them and merge imports can replace only the ids that clash).
 */
export function remapGraph(
  graph: { nodes: readonly ExportNode[]; edges: readonly WorkflowEdge[] },
  newNodeId: (oldId: string, index: number) => string,
  newEdgeId: (oldId: string, index: number) => string,
): { nodes: ExportNode[]; edges: WorkflowEdge[]; idMap: Map<string, string> } {
  const idMap = new Map(graph.nodes.map((n, i) => [n.id, newNodeId(n.id, i)]));
  const nodes = graph.nodes.map((n) => ({
    ...n,
    id: idMap.get(n.id)!,
    config: remapToolNodes(remapConfig(n.config, idMap), idMap),
  }));
  const edges = graph.edges.map((e, i) => ({
    ...e,
    id: newEdgeId(e.id, i),
    source: idMap.get(e.source) ?? e.source,
    target: idMap.get(e.target) ?? e.target,
  }));
  return { nodes, edges, idMap };
}

/** Random, short, valid ids (`n_3f9a…`) that do not collide with `taken`. */
export function freshIdGenerator(prefix: string, taken: Iterable<string> = []) {
  const used = new Set(taken);
  return () => {
    for (;;) {
      const id = `${prefix}_${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`;
      if (!used.has(id)) {
        used.add(id);
        return id;
      }
    }
  };
}
