/**
 * Building export documents from a stored workflow, turning them into anonymised templates, and
 * preparing a checked document for import (fresh ids, remapped references, laid-out positions).
 * Pure: the caller reads and writes the database.
 */
import type { WorkflowDefinition, WorkflowNode } from '../definition.ts';
import { REDACTED, redactSecretsDeep } from '../redact-secrets.ts';
import {
  EXPORT_FORMAT_VERSION,
  type ExportDocument,
  type ExportNode,
  type ExportSchedule,
  type ExportWebhook,
} from './format.ts';
import { layoutMissingPositions } from './layout.ts';
import { freshIdGenerator, remapGraph } from './remap.ts';

/** Header names whose values are credentials; their values never leave in an export. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key)$|token|secret|password/i;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

export interface ExportSource {
  name: string;
  description: string;
  category: string;
  authorEmail: string | null;
  createdAt: Date;
  updatedAt: Date;
  tags: string[];
  definition: WorkflowDefinition;
  executions?: ExportDocument['executions'];
  schedules?: ExportSchedule[];
  webhooks?: ExportWebhook[];
  /** The draft's pinned outputs by node id (exported only with `include.pins`). */
  pins?: Record<string, unknown>;
}

export interface ExportOptions {
  include?: { executions?: boolean; schedules?: boolean; webhooks?: boolean; pins?: boolean } | undefined;
  anonymize?: boolean | undefined;
  now?: Date;
  /** Secrets the caller knows (e.g. the owner's stored keys), replaced wherever they appear. */
  knownSecrets?: readonly string[] | undefined;
}

/** Header values under credential names are replaced whatever they look like. */
function redactSecretHeaders(node: WorkflowNode): { node: WorkflowNode; redacted: boolean } {
  const headers = node.config.headers;
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) return { node, redacted: false };
  let redacted = false;
  const clean: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (SECRET_HEADER.test(name) && value !== '') {
      clean[name] = REDACTED;
      redacted = true;
    } else clean[name] = value;
  }
  return { node: { ...node, config: { ...node.config, headers: clean } }, redacted };
}

function agentsOf(nodes: readonly ExportNode[]): ExportDocument['agents'] {
  return nodes
    .filter((n) => n.type === 'agent')
    .map((n) => {
      const c = n.config;
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      return {
        nodeId: n.id,
        name: n.name,
        ...(text(c.role) !== undefined && { role: text(c.role) }),
        ...(text(c.provider) !== undefined && { provider: text(c.provider) }),
        ...(text(c.model) !== undefined && { model: text(c.model) }),
      };
    });
}

export function buildExportDocument(source: ExportSource, options: ExportOptions = {}): ExportDocument {
  const notes: string[] = [];
  let anyRedacted = false;
  const byName = source.definition.nodes.map((n) => {
    const { node, redacted } = redactSecretHeaders(n);
    anyRedacted ||= redacted;
    return node;
  });
  // Then by value, anywhere in a node's config (an `X-Note: sk-…` header, a key pasted into a
  // prompt or URL): the known secrets and every credential-shaped value.
  const nodes = redactSecretsDeep(byName, options.knownSecrets);
  if (nodes !== byName) anyRedacted = true;
  if (anyRedacted)
    notes.push(`credential values were replaced with "${REDACTED}"; set them again after import`);
  const include = options.include ?? {};
  if (include.webhooks && (source.webhooks?.length ?? 0) > 0)
    notes.push('webhook secrets are never exported: imported webhooks get a new secret and start disabled');
  const doc: ExportDocument = {
    version: EXPORT_FORMAT_VERSION,
    metadata: {
      name: source.name,
      description: source.description,
      category: source.category,
      author: source.authorEmail,
      createdAt: source.createdAt.toISOString(),
      updatedAt: source.updatedAt.toISOString(),
      exportedAt: (options.now ?? new Date()).toISOString(),
      tags: source.tags,
      anonymized: false,
    },
    workflow: { nodes, edges: source.definition.edges },
    agents: agentsOf(nodes),
    ...(source.definition.inputSchema && { inputSchema: source.definition.inputSchema }),
    ...(source.definition.outputSchema && { outputSchema: source.definition.outputSchema }),
    ...(source.definition.settings && { settings: source.definition.settings }),
    ...(include.executions && {
      executions: redactSecretsDeep(source.executions ?? [], options.knownSecrets),
    }),
    ...(include.schedules && { schedules: redactSecretsDeep(source.schedules ?? [], options.knownSecrets) }),
    ...(include.webhooks && { webhooks: redactSecretsDeep(source.webhooks ?? [], options.knownSecrets) }),
    ...(include.pins && { pins: redactSecretsDeep(source.pins ?? {}, options.knownSecrets) }),
    ...(notes.length > 0 && { notes }),
  };
  return options.anonymize ? anonymizeDocument(doc) : doc;
}

/**
 * A shareable template: no workflow name, author, timestamps or executions; node and edge ids
 * renumbered in order (`node-1`, `edge-1`) with every reference following; emails in configs
 * replaced.
 */
export function anonymizeDocument(doc: ExportDocument): ExportDocument {
  const { nodes, edges } = remapGraph(
    doc.workflow,
    (_, i) => `node-${i + 1}`,
    (_, i) => `edge-${i + 1}`,
  );
  const scrubbed = nodes.map((n) => ({
    ...n,
    config: JSON.parse(JSON.stringify(n.config).replace(EMAIL, 'user@example.com')) as Record<
      string,
      unknown
    >,
  }));
  const { executions: _executions, pins: _pins, ...rest } = doc;
  const scrub = <T>(value: T): T => JSON.parse(JSON.stringify(value).replace(EMAIL, 'user@example.com')) as T;
  return {
    ...rest,
    ...(doc.schedules && { schedules: scrub(doc.schedules) }),
    ...(doc.webhooks && { webhooks: scrub(doc.webhooks) }),
    metadata: {
      ...doc.metadata,
      name: 'Workflow template',
      author: null,
      createdAt: null,
      updatedAt: null,
      exportedAt: null,
      anonymized: true,
    },
    workflow: { nodes: scrubbed, edges },
    agents: agentsOf(scrubbed),
  };
}

export interface PreparedImport {
  metadata: ExportDocument['metadata'];
  definition: WorkflowDefinition;
  /** The document's pins, keyed by the ids the nodes have after import (pins of unknown nodes dropped). */
  pins: Record<string, unknown>;
}

/**
 * A checked document as a definition ready to store, missing positions laid out. Node and edge ids
 * are kept: they are scoped to one workflow, and a run's output is keyed by them (`writer`), so an
 * imported copy answers like the original. Only an id already in `takenIds` (a merge target's) gets
 * a fresh one, with every reference to it following.
 */
export function prepareImport(doc: ExportDocument, takenIds: Iterable<string> = []): PreparedImport {
  const taken = new Set(takenIds);
  const inDocument = [...doc.workflow.nodes.map((n) => n.id), ...doc.workflow.edges.map((e) => e.id)];
  const freshNodeId = freshIdGenerator('n', [...taken, ...inDocument]);
  const freshEdgeId = freshIdGenerator('e', [...taken, ...inDocument]);
  const { nodes, edges } = remapGraph(
    doc.workflow,
    (id) => (taken.has(id) ? freshNodeId() : id),
    (id) => (taken.has(id) ? freshEdgeId() : id),
  );
  const positions = layoutMissingPositions(nodes, edges);
  const pins: Record<string, unknown> = {};
  doc.workflow.nodes.forEach((node, i) => {
    if (doc.pins && Object.hasOwn(doc.pins, node.id)) pins[nodes[i]!.id] = doc.pins[node.id] ?? null;
  });
  return {
    metadata: doc.metadata,
    pins,
    definition: {
      nodes: nodes.map((n) => ({ ...n, position: positions.get(n.id) ?? { x: 0, y: 0 } })),
      edges,
      ...(doc.inputSchema && { inputSchema: doc.inputSchema }),
      ...(doc.outputSchema && { outputSchema: doc.outputSchema }),
      ...(doc.settings && { settings: doc.settings }),
    },
  };
}

/** Adds `incoming`'s nodes and edges to `target`, placed to the right of what is already there. */
export function mergeDefinitions(
  target: WorkflowDefinition,
  incoming: WorkflowDefinition,
): WorkflowDefinition {
  const right = target.nodes.reduce((max, n) => Math.max(max, n.position.x), Number.NEGATIVE_INFINITY);
  const left = incoming.nodes.reduce((min, n) => Math.min(min, n.position.x), Number.POSITIVE_INFINITY);
  const shift = target.nodes.length > 0 && incoming.nodes.length > 0 ? right - left + 300 : 0;
  return {
    ...target,
    nodes: [
      ...target.nodes,
      ...incoming.nodes.map((n) => ({ ...n, position: { x: n.position.x + shift, y: n.position.y } })),
    ],
    edges: [...target.edges, ...incoming.edges],
    ...(!target.inputSchema && incoming.inputSchema && { inputSchema: incoming.inputSchema }),
    ...(!target.outputSchema && incoming.outputSchema && { outputSchema: incoming.outputSchema }),
  };
}
