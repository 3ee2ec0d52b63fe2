/**
 * B9 — versions: the diff of two 500-node versions.
 *
 * Server, in process: `compareDefinitions(v1, v2)` against a JSON round-trip of both definitions
 * (the cheapest thing that touches every byte of them). Server, over HTTP: the `versions.compare`
 * tRPC call through a real API server on a scratch database against `workflows.get` of the same
 * workflow through the same server. Browser: the compare page's paint against the workflow list,
 * when playwright-core resolves from here and the web is built.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer } from '@swarm/api';
import { createTestDatabase, findTestServer, prepareTestTemplate } from '@swarm/db/testing';
// @swarm/engine is not a root dependency (only @swarm/api and @swarm/db are), so its source is
// imported by path; its own imports resolve from packages/engine.
import { compareDefinitions } from '../packages/engine/src/compare.ts';
import type { WorkflowDefinition, WorkflowEdge, WorkflowNode } from '../packages/engine/src/definition.ts';
import { type Benchmark, type BenchResult, baselineRow, measuredRow, seededRandom, time } from './lib.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const NODES = 500;
const CHANGE_FRACTION = 0.1;
const SEED = 9;
const SERVER_RUNS = 50;
const HTTP_RUNS = 50;
const BROWSER_LOADS = 5;
const SERVER_BAR_MS = 50;
const PAINT_BAR_MS = 200;

// ---------------------------------------------------------------------------------------------
// Definitions

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4', 'claude-haiku-4', 'mock'];
const PROVIDERS = ['openai', 'openai', 'anthropic', 'anthropic', 'mock'];
const WORDS =
  'summarise the ticket classify intent extract entities draft reply customer order invoice refund policy priority escalate translate tone concise friendly cite sources json schema'.split(
    ' ',
  );

function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)] as string);
  return out.join(' ');
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

/** A node type by weight: agents and transforms dominate real workflows. */
function middleType(rand: () => number): string {
  const r = rand();
  if (r < 0.35) return 'agent';
  if (r < 0.6) return 'transform';
  if (r < 0.75) return 'http';
  if (r < 0.87) return 'condition';
  return 'merge';
}

function configFor(type: string, rand: () => number, i: number): Record<string, unknown> {
  switch (type) {
    case 'agent': {
      const m = Math.floor(rand() * MODELS.length);
      return {
        role: pick(rand, ['researcher', 'writer', 'reviewer', 'classifier', 'router']),
        provider: PROVIDERS[m],
        model: MODELS[m],
        systemPrompt: `You are a careful assistant. ${sentence(rand, 20)}.`,
        prompt: `${sentence(rand, 40 + Math.floor(rand() * 60))}: {{nodes.n${Math.max(0, i - 1)}.output}}`,
        temperature: Math.round(rand() * 10) / 10,
      };
    }
    case 'transform':
      return { expression: `nodes.n${Math.max(0, i - 1)}.output.items[${Math.floor(rand() * 5)}].title` };
    case 'condition':
      return { expression: `input.priority = "${pick(rand, ['high', 'low', 'normal'])}"` };
    case 'http':
      return {
        method: pick(rand, ['GET', 'POST']),
        url: `https://api.example.com/${pick(rand, WORDS)}/{{input.id}}`,
        headers: { accept: 'application/json' },
      };
    case 'input':
      return { schema: { type: 'object', properties: { query: { type: 'string' } } } };
    default:
      return {};
  }
}

interface Pair {
  v1: WorkflowDefinition;
  v2: WorkflowDefinition;
  changes: { modified: number; moved: number; removed: number; added: number };
}

/** Two versions of a 500-node DAG; v2 changes ~10% of v1's nodes (modified, moved, removed, added). */
export function generatePair(nodeCount = NODES, seed = SEED): Pair {
  const rand = seededRandom(seed);
  const nodes: WorkflowNode[] = [];
  for (let i = 0; i < nodeCount; i++) {
    const type = i === 0 ? 'input' : i === nodeCount - 1 ? 'output' : middleType(rand);
    nodes.push({
      id: `n${i}`,
      type,
      name: `${type} ${i}`,
      position: { x: (i % 20) * 260, y: Math.floor(i / 20) * 160 },
      config: configFor(type, rand, i),
    });
  }
  // Edges only go from lower to higher index, so the graph is a DAG by construction.
  const edges: WorkflowEdge[] = [];
  const keys = new Set<string>();
  const connect = (source: WorkflowNode, target: WorkflowNode) => {
    const sourceHandle = source.type === 'condition' ? (rand() < 0.5 ? 'true' : 'false') : undefined;
    const key = `${source.id}>${sourceHandle ?? ''}>${target.id}`;
    if (keys.has(key)) return;
    keys.add(key);
    edges.push({ id: `e${edges.length}`, source: source.id, target: target.id, sourceHandle });
  };
  for (let i = 1; i < nodeCount; i++) {
    const incoming = (nodes[i] as WorkflowNode).type === 'merge' ? 2 : 1 + (rand() < 0.2 ? 1 : 0);
    for (let k = 0; k < incoming; k++) {
      const j = Math.max(0, i - 1 - Math.floor(rand() * Math.min(i, 15)));
      connect(nodes[j] as WorkflowNode, nodes[i] as WorkflowNode);
    }
  }
  const v1: WorkflowDefinition = { nodes, edges, settings: { timeoutSeconds: 600 } };

  // v2: a deep copy with ~10% of nodes touched; input and output stay.
  const v2 = JSON.parse(JSON.stringify(v1)) as WorkflowDefinition;
  const perKind = Math.round((nodeCount * CHANGE_FRACTION) / 4);
  const middle = v2.nodes.slice(1, -1).map((n) => n.id);
  for (let i = middle.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [middle[i], middle[j]] = [middle[j] as string, middle[i] as string];
  }
  const byId = new Map(v2.nodes.map((n) => [n.id, n]));
  const modified = middle.slice(0, perKind);
  const moved = middle.slice(perKind, 2 * perKind);
  const removed = new Set(middle.slice(2 * perKind, 3 * perKind));
  for (const id of modified) {
    const node = byId.get(id) as WorkflowNode;
    if (node.type === 'agent') {
      node.config.prompt = `${String(node.config.prompt)} Answer in ${pick(rand, ['French', 'German', 'bullet points'])}.`;
      if (rand() < 0.5) node.config.model = pick(rand, MODELS);
    } else if ('expression' in node.config) node.config.expression = `(${String(node.config.expression)})`;
    else node.name = `${node.name} (renamed)`;
  }
  for (const id of moved) {
    const node = byId.get(id) as WorkflowNode;
    node.position = { x: node.position.x + 40 + Math.floor(rand() * 200), y: node.position.y + 30 };
  }
  v2.nodes = v2.nodes.filter((n) => !removed.has(n.id));
  v2.edges = v2.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target));
  // Added nodes sit between an earlier and a later node, which keeps the DAG.
  const index = new Map(v1.nodes.map((n, i) => [n.id, i]));
  const survivors = v2.nodes.filter((n) => n.type !== 'input' && n.type !== 'output');
  for (let k = 0; k < perKind; k++) {
    const after = pick(rand, survivors);
    const at = index.get(after.id) as number;
    const before =
      v2.nodes.find((n) => (index.get(n.id) ?? -1) > at + 1) ?? (v2.nodes.at(-1) as WorkflowNode);
    const type = middleType(rand);
    const node: WorkflowNode = {
      id: `new${k}`,
      type,
      name: `${type} added ${k}`,
      position: { x: after.position.x + 130, y: after.position.y + 80 },
      config: configFor(type, rand, at),
    };
    v2.nodes.push(node);
    v2.edges.push({ id: `enew${k}a`, source: after.id, target: node.id, sourceHandle: undefined });
    v2.edges.push({ id: `enew${k}b`, source: node.id, target: before.id, sourceHandle: undefined });
  }
  return {
    v1,
    v2,
    changes: { modified: modified.length, moved: moved.length, removed: removed.size, added: perKind },
  };
}

// ---------------------------------------------------------------------------------------------
// A minimal tRPC-over-HTTP caller (superjson envelope), since @swarm/client does not resolve from
// the root; plain fetch also keeps client-side overhead out of the figure.

async function trpc<T>(
  base: string,
  procedure: string,
  input: unknown,
  options: { token?: string; mutation?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const envelope = JSON.stringify({ json: input });
  const response = options.mutation
    ? await fetch(`${base}/trpc/${procedure}`, { method: 'POST', headers, body: envelope })
    : await fetch(`${base}/trpc/${procedure}?input=${encodeURIComponent(envelope)}`, { headers });
  const body = (await response.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  if (!response.ok || !body.result) {
    throw new Error(`${procedure} failed (${response.status}): ${JSON.stringify(body.error ?? body)}`);
  }
  return body.result.data?.json as T;
}

function packageVersion(file: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------

export const b9: Benchmark = {
  id: 'B9',
  title: 'versions: diff of two 500-node versions (server compare, API call, web paint)',
  async run(): Promise<BenchResult> {
    const { v1, v2, changes } = generatePair();
    const notes: string[] = [
      `v1: ${v1.nodes.length} nodes, ${v1.edges.length} edges; v2: ${v2.nodes.length} nodes, ${v2.edges.length} edges; ` +
        `changes: ${changes.modified} modified, ${changes.moved} moved, ${changes.removed} removed, ${changes.added} added`,
      `definition JSON sizes: v1 ${JSON.stringify(v1).length} B, v2 ${JSON.stringify(v2).length} B`,
    ];
    const rows: BenchResult['rows'] = [];
    const versions: Record<string, string> = {
      node: process.version,
      jsondiffpatch: packageVersion('packages/engine/node_modules/jsondiffpatch/package.json'),
    };

    // 1. In process.
    const roundTrip = await time(() => JSON.parse(JSON.stringify({ v1, v2 })), SERVER_RUNS, 10);
    const compare = await time(() => compareDefinitions(v1, v2), SERVER_RUNS, 10);
    const check = compareDefinitions(v1, v2).summary.nodes;
    notes.push(
      `compare found ${check.added.length} added, ${check.removed.length} removed, ${check.modified.length} modified, ${check.moved.length} moved nodes`,
    );
    const rtName = 'JSON round-trip of v1+v2';
    rows.push(baselineRow(rtName, roundTrip));
    rows.push(
      measuredRow('compareDefinitions(v1, v2)', compare, { name: rtName, timing: roundTrip }, SERVER_BAR_MS),
    );

    // 2. Through a real API server on a scratch database.
    const pg = await findTestServer(repoRoot);
    let dropDatabase: (() => Promise<void>) | undefined;
    let closeServer: (() => Promise<void>) | undefined;
    try {
      const template = await prepareTestTemplate(pg.adminUrl);
      const database = await createTestDatabase(pg.adminUrl, template);
      dropDatabase = () => database.drop();
      const [{ server_version }] = (await database.sql`show server_version`) as unknown as [
        { server_version: string },
      ];
      versions.postgres = server_version;
      const server = await startApiServer({ databaseUrl: database.url, port: 0, logLevel: 'silent' });
      closeServer = () => server.close();
      const base = server.url;

      const { token } = await trpc<{ token: string }>(
        base,
        'auth.signup',
        { email: `bench-${Date.now()}@example.com`, password: 'correct horse battery' },
        { mutation: true },
      );
      const workflow = await trpc<{ id: string }>(
        base,
        'workflows.create',
        { name: 'B9 500 nodes', definition: v1 },
        { token, mutation: true },
      );
      const first = await trpc<{ id: string }>(
        base,
        'versions.create',
        { workflowId: workflow.id, commitMessage: 'v1' },
        { token, mutation: true },
      );
      await trpc(base, 'workflows.update', { id: workflow.id, definition: v2 }, { token, mutation: true });
      const second = await trpc<{ id: string }>(
        base,
        'versions.create',
        { workflowId: workflow.id, commitMessage: 'v2' },
        { token, mutation: true },
      );
      const get = await time(
        () => trpc(base, 'workflows.get', { id: workflow.id }, { token }),
        HTTP_RUNS,
        10,
      );
      const apiCompare = await time(
        () =>
          trpc(
            base,
            'versions.compare',
            { workflowId: workflow.id, from: first.id, to: second.id },
            { token },
          ),
        HTTP_RUNS,
        10,
      );
      const getName = 'tRPC workflows.get (v2 draft)';
      rows.push(baselineRow(getName, get));
      rows.push(
        measuredRow('tRPC versions.compare v1→v2', apiCompare, { name: getName, timing: get }, SERVER_BAR_MS),
      );

      // 3. Browser.
      const webDist = path.join(repoRoot, 'apps', 'web', 'dist', 'index.html');
      // What an `import` from here would find (ESM resolution: no NODE_PATH, no hidden pnpm hoisting).
      let playwright: string | null = null;
      try {
        playwright = import.meta.resolve('playwright-core');
      } catch {
        playwright = null;
      }
      if (!playwright) {
        notes.push(
          `browser part skipped: playwright-core does not resolve from bench/ (only apps/web depends on it); paint bar ≤ ${PAINT_BAR_MS} ms not measured`,
        );
      } else if (!existsSync(webDist)) {
        notes.push('browser part skipped: the web is not built (apps/web/dist/index.html missing)');
      } else {
        notes.push(
          'browser part skipped: playwright-core resolves but the browser measurement is not implemented yet',
        );
      }
    } finally {
      await closeServer?.().catch(() => {});
      await dropDatabase?.().catch(() => {});
      await pg.stop();
    }

    return {
      parameters: {
        nodes: NODES,
        changeFraction: CHANGE_FRACTION,
        seed: SEED,
        serverRuns: SERVER_RUNS,
        serverWarmup: 10,
        httpRuns: HTTP_RUNS,
        httpWarmup: 10,
        browserLoads: BROWSER_LOADS,
        bars: { serverMs: SERVER_BAR_MS, paintMs: PAINT_BAR_MS },
      },
      versions,
      rows,
      notes,
    };
  },
};
