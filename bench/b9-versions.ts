/**
 * B9 — versions: the diff of two 500-node versions.
 *
 * Server, in process: `compareDefinitions(v1, v2)` against a JSON round-trip of both definitions
 * (the cheapest thing that touches every byte of them). Server, over HTTP: the `versions.compare`
 * tRPC call through a real API server on a scratch database against `workflows.get` of the same
 * workflow through the same server. Browser (when apps/web/dist is built): the compare page painting
 * the diff a person came for — the change summary, and on both canvases every card in view with its
 * diff marks and the edges between them — against the workflow list painting its rows, in Debian
 * Chromium through the same server. The paint bar is on the compare page's own work: its time
 * minus the list page's, both from navigation start in the same run. (Cards outside a canvas's
 * viewport are not required: the page may, and does, leave them out until the canvas is panned.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import { createTestDatabase, findTestServer, prepareTestTemplate } from '@swarm/db/testing';
import {
  compareDefinitions,
  type WorkflowDefinition,
  type WorkflowEdge,
  type WorkflowNode,
} from '@swarm/engine';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../apps/web/e2e/chromium.ts';
import {
  type Benchmark,
  type BenchResult,
  baselineRow,
  measuredRow,
  percentile,
  seededRandom,
  type Timing,
  time,
} from './lib.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const NODES = 500;
const CHANGE_FRACTION = 0.1;
const SEED = 9;
const SERVER_RUNS = 50;
const HTTP_RUNS = 50;
const BROWSER_LOADS = 5;
const SERVER_BAR_MS = 50;
const PAINT_BAR_MS = 200;
const WEB_DIST_DIR = path.join(repoRoot, 'apps', 'web', 'dist');
const UI_TIMEOUT_MS = 30_000;
/** `B9_TRACE_DIR=<dir>`: one extra, untimed load of each page is recorded as a Chromium trace there. */
const TRACE_DIR = process.env.B9_TRACE_DIR;

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
// Browser

/**
 * Loads `url` in a fresh page of `browser`'s context `loads + 1` times (the first untimed) and
 * returns, per load, the page's own `performance.now()` (ms since its navigation start) once the
 * frame in which `ready` first holds has been painted: `ready` is polled in animation frames, and
 * the time is read in a task queued from that frame's callback, which runs after the frame's
 * style, layout and paint. (Reading it in the callback itself would stop the clock before the
 * browser lays out and paints what `ready` saw in the DOM.)
 */
async function timeLoads(
  browser: Browser,
  newPage: () => Promise<Page>,
  url: string,
  ready: string,
  loads: number,
  traceName: string,
): Promise<Timing> {
  const samples: number[] = [];
  const afterPaint = 'new Promise((resolve) => setTimeout(() => resolve(performance.now()), 0))';
  // With B9_TRACE_DIR, one more load after the timed ones is traced (tracing slows the page).
  const lastLoad = TRACE_DIR === undefined ? loads : loads + 1;
  for (let i = 0; i <= lastLoad; i++) {
    const page = await newPage();
    const tracing = TRACE_DIR !== undefined && i === loads + 1;
    try {
      if (tracing)
        await browser.startTracing(page, {
          path: path.join(TRACE_DIR, `${traceName}.json`),
          screenshots: false,
        });
      await page.goto(url, { waitUntil: 'commit' });
      const handle = await page.waitForFunction(`(${ready}) ? ${afterPaint} : false`, undefined, {
        polling: 'raf',
        timeout: UI_TIMEOUT_MS,
      });
      const at = (await handle.jsonValue()) as number;
      if (i > 0 && !tracing) samples.push(at);
      if (tracing) await browser.stopTracing();
    } finally {
      await page.close();
    }
  }
  const sorted = [...samples].sort((x, y) => x - y);
  return { samples, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

/** A DOM expression: how many `data-testid=testId` elements sit inside `within` (or anywhere). */
function countOf(testId: string, within?: string): string {
  const selector = `${within ? `[data-testid="${within}"] ` : ''}[data-testid="${testId}"]`;
  return `document.querySelectorAll('${selector}').length`;
}

/** What one compare canvas must show: its side's nodes and edges, and the diff marks on its nodes. */
interface CanvasExpectation {
  testId: string;
  nodes: Array<{ id: string; x: number; y: number; marks: string[] }>;
  edges: Array<{ id: string; source: string; target: string }>;
}

/** The card size the web draws every node at (apps/web/src/versions/compare-layout.ts). */
const CARD = { width: 240, height: 56 };

/**
 * A DOM expression: the canvas shows what a person looking at it would see. Every card that lies
 * wholly inside the canvas's pane (by the pane's current pan and zoom) is rendered, visible, and
 * carries its diff marks (`diff-added` …), every edge between two such cards is drawn, and there
 * is at least one such card. Cards outside the pane may be left out: nobody sees them until they
 * pan, which is what lets a canvas render only its viewport.
 */
function canvasShows(expected: CanvasExpectation): string {
  return `((side) => {
    const section = document.querySelector('[data-testid="' + side.testId + '"]');
    const viewport = section && section.querySelector('.react-flow__viewport');
    const flow = section && section.querySelector('.react-flow');
    if (!viewport || !flow) return false;
    const match = /translate\\(([-\\d.e]+)px, ([-\\d.e]+)px\\) scale\\(([-\\d.e]+)\\)/.exec(viewport.style.transform);
    if (!match) return false;
    const [tx, ty, zoom] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const pane = flow.getBoundingClientRect();
    const inView = new Set();
    for (const node of side.nodes) {
      const left = node.x * zoom + tx, top = node.y * zoom + ty;
      if (left < 0 || top < 0 || left + ${CARD.width} * zoom > pane.width || top + ${CARD.height} * zoom > pane.height) continue;
      inView.add(node.id);
      const element = section.querySelector('.react-flow__node[data-id="' + node.id + '"]');
      if (!element || getComputedStyle(element).visibility !== 'visible') return false;
      if (!element.querySelector('[data-testid="canvas-node"]')) return false;
      for (const mark of node.marks) if (!element.classList.contains('diff-' + mark)) return false;
    }
    if (inView.size === 0) return false;
    for (const edge of side.edges) {
      if (!inView.has(edge.source) || !inView.has(edge.target)) continue;
      const path = section.querySelector('.react-flow__edge[data-id="' + edge.id + '"] path');
      if (!path || !path.getAttribute('d')) return false;
    }
    return true;
  })(${JSON.stringify(expected)})`;
}

/** Each side's canvas expectation, from the definitions and the compare summary. */
function compareExpectations(
  v1: WorkflowDefinition,
  v2: WorkflowDefinition,
  summary: ReturnType<typeof compareDefinitions>['summary'],
): CanvasExpectation[] {
  const side = (testId: string, definition: WorkflowDefinition, own: 'removed' | 'added') => {
    const marks = new Map<string, string[]>();
    for (const kind of [own, 'modified', 'moved'] as const)
      for (const node of summary.nodes[kind]) marks.set(node.id, [...(marks.get(node.id) ?? []), kind]);
    return {
      testId,
      nodes: definition.nodes.map((n) => ({
        id: n.id,
        x: n.position.x,
        y: n.position.y,
        marks: marks.get(n.id) ?? [],
      })),
      edges: definition.edges.map((e) => ({ id: e.id, source: e.source, target: e.target })),
    };
  };
  return [side('compare-from', v1, 'removed'), side('compare-to', v2, 'added')];
}

/** How many lines the compare page's change summary lists for `summary`. */
function summaryLineCount(summary: ReturnType<typeof compareDefinitions>['summary']): number {
  const { nodes, edges, changed } = summary;
  return (
    nodes.added.length +
    nodes.removed.length +
    nodes.modified.length +
    nodes.moved.length +
    edges.added.length +
    edges.removed.length +
    edges.modified.length +
    changed.length
  );
}

function packageVersion(file: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The newest source file of the web app, when it is newer than the build: the browser rows would
 * measure an old page (a checkout or merge after the last `pnpm --filter @swarm/web build`).
 */
function newerWebSource(): string | null {
  const built = statSync(path.join(WEB_DIST_DIR, 'index.html')).mtimeMs;
  const sources = path.join(repoRoot, 'apps', 'web', 'src');
  for (const entry of readdirSync(sources, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (statSync(file).mtimeMs > built) return path.relative(repoRoot, file);
  }
  return null;
}

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
      'playwright-core': packageVersion('node_modules/playwright-core/package.json'),
    };

    // 1. In process.
    const roundTrip = await time(() => JSON.parse(JSON.stringify({ v1, v2 })), SERVER_RUNS, 10);
    const compare = await time(() => compareDefinitions(v1, v2), SERVER_RUNS, 10);
    const check = compareDefinitions(v1, v2);
    notes.push(
      `compare found ${check.summary.nodes.added.length} added, ${check.summary.nodes.removed.length} removed, ${check.summary.nodes.modified.length} modified, ${check.summary.nodes.moved.length} moved nodes`,
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
      const webBuilt = existsSync(path.join(WEB_DIST_DIR, 'index.html'));
      const server = await startApiServer({
        databaseUrl: database.url,
        port: 0,
        logLevel: 'silent',
        ...(webBuilt ? { webDistDir: WEB_DIST_DIR } : {}),
      });
      closeServer = () => server.close();
      const base = server.url;

      const anonymous = createSwarmClient({ url: base });
      const { token } = await anonymous.auth.signup.mutate({
        email: `bench-${Date.now()}@example.com`,
        password: 'correct horse battery',
      });
      const swarm = createSwarmClient({ url: base, token });
      const workflow = await swarm.workflows.create.mutate({ name: 'B9 500 nodes', definition: v1 });
      const first = await swarm.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'v1' });
      await swarm.workflows.update.mutate({ id: workflow.id, definition: v2 });
      const second = await swarm.versions.create.mutate({ workflowId: workflow.id, commitMessage: 'v2' });
      const get = await time(() => swarm.workflows.get.query({ id: workflow.id }), HTTP_RUNS, 10);
      const apiCompare = await time(
        () => swarm.versions.compare.query({ workflowId: workflow.id, from: first.id, to: second.id }),
        HTTP_RUNS,
        10,
      );
      const getName = 'tRPC workflows.get (v2 draft)';
      rows.push(baselineRow(getName, get));
      rows.push(
        measuredRow('tRPC versions.compare v1→v2', apiCompare, { name: getName, timing: get }, SERVER_BAR_MS),
      );

      // 3. Browser.
      const staleBy = webBuilt ? newerWebSource() : null;
      if (!webBuilt) {
        notes.push(
          `browser part skipped: the web is not built (${path.relative(repoRoot, WEB_DIST_DIR)}/index.html missing; pnpm --filter @swarm/web build); paint bar ≤ ${PAINT_BAR_MS} ms not measured`,
        );
      } else if (staleBy !== null) {
        notes.push(
          `browser part skipped: the web build is older than ${staleBy} (pnpm --filter @swarm/web build); paint bar ≤ ${PAINT_BAR_MS} ms not measured`,
        );
      } else if (!existsSync(CHROMIUM_PATH)) {
        notes.push(`browser part skipped: no Chromium at ${CHROMIUM_PATH}; paint bar not measured`);
      } else {
        let browser: Browser | undefined;
        try {
          browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
          versions.chromium = browser.version();
          const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 } });
          // Signed in with the session token the bench already has (what the sign-in form would set).
          await context.addCookies([
            { name: 'swarm_session', value: token, url: base, httpOnly: true, sameSite: 'Lax' },
          ]);
          const newPage = () => context.newPage();
          const compareUrl = `/workflows/${workflow.id}/compare?from=${first.id}&to=${second.id}`;
          const summaryLines = summaryLineCount(check.summary);
          const comparePainted = [
            `${countOf('compare-change', 'compare-summary')} === ${summaryLines}`,
            ...compareExpectations(v1, v2, check.summary).map(canvasShows),
          ].join(' && ');
          const list = await timeLoads(
            browser,
            newPage,
            '/',
            `${countOf('workflow-row')} >= 1`,
            BROWSER_LOADS,
            'list',
          );
          const paint = await timeLoads(
            browser,
            newPage,
            compareUrl,
            comparePainted,
            BROWSER_LOADS,
            'compare',
          );
          const listName = 'browser: workflow list, rows painted';
          rows.push(baselineRow(listName, list));
          rows.push(
            measuredRow(
              `browser: compare page ${v1.nodes.length}+${v2.nodes.length} nodes, diff painted`,
              paint,
              { name: listName, timing: list },
            ),
          );
          // The bar is on the page's own work: what it costs beyond what painting any page of the
          // app costs on this box (the document, the shared bundle, the sign-in check), which the
          // list page measures in the same run.
          const ownP50 = paint.p50 - list.p50;
          rows.push({
            name: 'browser: compare page, own work (compare p50 − list p50)',
            p50Ms: ownP50,
            p95Ms: paint.p95 - list.p50,
            samples: paint.samples.length,
            baseline: listName,
            ratio: null,
            bar: `≤ ${PAINT_BAR_MS} ms`,
            met: ownP50 <= PAINT_BAR_MS,
          });
          notes.push(
            `browser: Chromium ${browser.version()} headless (e2e harness flags), 1280×800, one signed-in context (session cookie from the sign-up token), a new page per load, ${BROWSER_LOADS} loads after 1 warm-up; ` +
              `time = the page's performance.now() (ms since navigation start) after the first frame in which the page shows what it is for has been painted (polled per animation frame, read in a task queued from that frame): ` +
              `on /, ≥ 1 [data-testid=workflow-row]; on the compare page, all ${summaryLines} change lines of the summary, and on both canvases every card lying wholly inside the pane (at the pane's pan and zoom) rendered, visible and carrying its diff marks, every edge between two such cards drawn, and at least one such card`,
          );
        } catch (error) {
          notes.push(`browser part failed: ${error instanceof Error ? error.message : String(error)}`);
        } finally {
          await browser?.close().catch(() => {});
        }
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
