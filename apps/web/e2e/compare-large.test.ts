/**
 * The compare page on two 500-node versions, in a real browser: the summary lists every change,
 * each canvas draws every card in view with its diff marks and every edge between them (edges are
 * drawn by the page itself, so the test checks they are the right ones, coloured by their mark
 * and attached to their cards' handles), panning brings in the cards and edges that were out of
 * view, and a modified card opens its config diff. Too big to show whole at a readable zoom, each
 * canvas opens readable on the first change; zoomed out, it draws the many cards then in view.
 * Correctness only: B9 (bench/) times this page.
 */
import {
  compareDefinitions,
  type DefinitionChangeSummary,
  type WorkflowDefinition,
  type WorkflowEdge,
  type WorkflowNode,
} from '@swarm/engine';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { signUp, UI_TIMEOUT_MS, useBrowserApp } from './harness.ts';

const app = useBrowserApp();

const NODES = 500;
const COLUMNS = 20;

function node(i: number): WorkflowNode {
  const type = i === 0 ? 'input' : i === NODES - 1 ? 'output' : i % 7 === 3 ? 'condition' : 'transform';
  const config =
    type === 'input'
      ? { schema: { type: 'object', properties: { query: { type: 'string' } } } }
      : type === 'condition'
        ? { expression: `input.n = ${i}` }
        : type === 'transform'
          ? { expression: `input.items[${i % 5}]` }
          : {};
  return {
    id: `n${i}`,
    type,
    name: `${type} ${i}`,
    position: { x: (i % COLUMNS) * 260, y: Math.floor(i / COLUMNS) * 160 },
    config,
  };
}

/** A 500-node DAG (edges go to higher indices, conditions by a named handle) and a changed copy. */
function versions(): { v1: WorkflowDefinition; v2: WorkflowDefinition } {
  const nodes = Array.from({ length: NODES }, (_, i) => node(i));
  const edges: WorkflowEdge[] = [];
  const connect = (from: number, to: number) => {
    const source = nodes[from] as WorkflowNode;
    edges.push({
      id: `e${from}-${to}`,
      source: source.id,
      target: `n${to}`,
      ...(source.type === 'condition' ? { sourceHandle: to % 2 === 0 ? 'true' : 'false' } : {}),
    });
  };
  for (let i = 1; i < NODES; i++) {
    connect(i - 1, i);
    if (i > COLUMNS && i % 3 === 0) connect(i - COLUMNS - 1, i);
  }
  const v1: WorkflowDefinition = { nodes, edges };
  const v2 = structuredClone(v1);
  const byId = new Map(v2.nodes.map((n) => [n.id, n]));
  for (const i of [45, 61, 126, 250, 333]) (byId.get(`n${i}`) as WorkflowNode).config.expression = `(${i})`;
  for (const i of [48, 130, 260]) {
    const moved = byId.get(`n${i}`) as WorkflowNode;
    moved.position = { x: moved.position.x + 60, y: moved.position.y + 40 };
  }
  const removed = new Set(['n52', 'n201', 'n402']);
  v2.nodes = v2.nodes.filter((n) => !removed.has(n.id));
  v2.edges = v2.edges.filter((e) => !removed.has(e.source) && !removed.has(e.target));
  // Rewired: same edge id, another target.
  (v2.edges.find((e) => e.id === 'e80-81') as WorkflowEdge).target = 'n83';
  for (const [k, after] of [44, 125, 300].entries()) {
    const added = `added${k}`;
    v2.nodes.push({
      id: added,
      type: 'transform',
      name: `transform added ${k}`,
      position: { x: (after % COLUMNS) * 260 + 130, y: Math.floor(after / COLUMNS) * 160 + 80 },
      config: { expression: 'input' },
    });
    v2.edges.push({ id: `${added}-in`, source: `n${after}`, target: added });
    v2.edges.push({ id: `${added}-out`, source: added, target: `n${after + 2}` });
  }
  return { v1, v2 };
}

async function call<T>(page: Page, procedure: string, input: unknown): Promise<T> {
  const response = await page.request.post(`/trpc/${procedure}`, { data: { json: input } });
  expect(response.status(), `${procedure}: ${await response.text()}`).toBe(200);
  return ((await response.json()) as { result: { data: { json: T } } }).result.data.json;
}

interface SideExpectation {
  testId: string;
  nodes: { id: string; x: number; y: number; marks: string[] }[];
  edges: { id: string; source: string; target: string; mark: string | null }[];
}

function expectation(
  testId: string,
  definition: WorkflowDefinition,
  summary: DefinitionChangeSummary,
  own: 'added' | 'removed',
): SideExpectation {
  const marks = new Map<string, string[]>();
  for (const kind of [own, 'modified', 'moved'] as const)
    for (const n of summary.nodes[kind]) marks.set(n.id, [...(marks.get(n.id) ?? []), kind]);
  const edgeMarks = new Map<string, string>();
  for (const e of summary.edges[own]) edgeMarks.set(e.id, own);
  for (const e of summary.edges.modified) edgeMarks.set(e.id, 'modified');
  return {
    testId,
    nodes: definition.nodes.map((n) => ({
      id: n.id,
      x: n.position.x,
      y: n.position.y,
      marks: marks.get(n.id) ?? [],
    })),
    edges: definition.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      mark: edgeMarks.get(e.id) ?? null,
    })),
  };
}

/**
 * What one canvas shows against what it should: problems found (empty when right), and how many
 * cards and edges lie in view. A card lying wholly in the pane must be drawn, visible, with its
 * marks; an edge between two such cards must be drawn with its mark, starting at its source
 * card's right border and ending at its target's left border; no edge may be drawn that this
 * side does not have.
 */
function inspect(page: Page, side: SideExpectation) {
  return page.evaluate((side) => {
    const problems: string[] = [];
    const section = document.querySelector(`[data-testid="${side.testId}"]`) as HTMLElement;
    const viewport = section.querySelector('.react-flow__viewport') as HTMLElement;
    const pane = (section.querySelector('.react-flow') as HTMLElement).getBoundingClientRect();
    const m = new DOMMatrixReadOnly(getComputedStyle(viewport).transform);
    const [tx, ty, zoom] = [m.e, m.f, m.a];
    const inView = new Set<string>();
    for (const n of side.nodes) {
      const left = n.x * zoom + tx;
      const top = n.y * zoom + ty;
      if (left < 0 || top < 0 || left + 240 * zoom > pane.width || top + 56 * zoom > pane.height) continue;
      inView.add(n.id);
      const element = section.querySelector(`.react-flow__node[data-id="${n.id}"]`);
      if (!element || getComputedStyle(element).visibility !== 'visible')
        problems.push(`card ${n.id} not drawn`);
      else
        for (const mark of ['added', 'removed', 'modified', 'moved'])
          if (element.classList.contains(`diff-${mark}`) !== n.marks.includes(mark))
            problems.push(`card ${n.id}: diff-${mark} should be ${n.marks.includes(mark)}`);
    }
    const known = new Set(side.edges.map((e) => e.id));
    for (const drawn of section.querySelectorAll('.react-flow__edge'))
      if (!known.has(drawn.getAttribute('data-id') ?? ''))
        problems.push(`edge ${drawn.getAttribute('data-id')} drawn`);
    let edgesInView = 0;
    for (const e of side.edges) {
      if (!inView.has(e.source) || !inView.has(e.target)) continue;
      edgesInView++;
      const group = section.querySelector(`.react-flow__edge[data-id="${e.id}"]`);
      const path = group?.querySelector('path') as SVGPathElement | null;
      if (!group || !path?.getAttribute('d')) {
        problems.push(`edge ${e.id} not drawn`);
        continue;
      }
      for (const mark of ['added', 'removed', 'modified'])
        if (group.classList.contains(`diff-${mark}`) !== (e.mark === mark))
          problems.push(`edge ${e.id}: diff-${mark} should be ${e.mark === mark}`);
      // On screen, the path starts within a few pixels right of its source card and ends just
      // left of its target card, level with a handle.
      const ctm = path.getScreenCTM() as DOMMatrix;
      const at = (length: number) => {
        const point = path.getPointAtLength(length);
        return new DOMPoint(point.x, point.y).matrixTransform(ctm);
      };
      const start = at(0);
      const end = at(path.getTotalLength());
      const box = (id: string) =>
        (section.querySelector(`.react-flow__node[data-id="${id}"]`) as HTMLElement).getBoundingClientRect();
      const [from, to] = [box(e.source), box(e.target)];
      const near = (a: number, b: number) => Math.abs(a - b) <= 8 * zoom + 1;
      if (!near(start.x, from.right) || start.y < from.top || start.y > from.bottom)
        problems.push(`edge ${e.id} does not start at ${e.source}`);
      if (!near(end.x, to.left) || end.y < to.top || end.y > to.bottom)
        problems.push(`edge ${e.id} does not end at ${e.target}`);
    }
    return { problems, cardsInView: inView.size, edgesInView, inView: [...inView], zoom };
  }, side);
}

describe('compare view, 500 nodes a side', () => {
  test('shows every change, every card and edge in view with its marks, more on panning', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const { v1, v2 } = versions();
    const workflow = await call<{ id: string }>(page, 'workflows.create', { name: 'Large', definition: v1 });
    const first = await call<{ id: string }>(page, 'versions.create', {
      workflowId: workflow.id,
      commitMessage: 'v1',
    });
    await call(page, 'workflows.update', { id: workflow.id, definition: v2 });
    const second = await call<{ id: string }>(page, 'versions.create', {
      workflowId: workflow.id,
      commitMessage: 'v2',
    });
    const { summary } = compareDefinitions(v1, v2);
    expect(summary.nodes.added).toHaveLength(3);
    expect(summary.edges.modified.map((e) => e.id)).toEqual(['e80-81']);

    // Loaded afresh, the page takes the comparison index.html asked for before the app's code ran
    // (a lone query), and asks for it no second time.
    const asked: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname.startsWith('/trpc/')) asked.push(url.pathname);
    });
    await page.goto(`/workflows/${workflow.id}/compare?from=${first.id}&to=${second.id}`);
    await page.getByTestId('compare-from').getByText('From: v1 · v1').waitFor();
    await page.getByTestId('compare-to').getByText('To: v2 · v2').waitFor();
    expect(asked.filter((path) => path.includes('versions.compareSides'))).toEqual([
      '/trpc/versions.compareSides',
    ]);
    const lines = page.getByTestId('compare-summary').getByTestId('compare-change');
    const expectedLines =
      summary.nodes.added.length +
      summary.nodes.removed.length +
      summary.nodes.modified.length +
      summary.nodes.moved.length +
      summary.edges.added.length +
      summary.edges.removed.length +
      summary.edges.modified.length +
      summary.changed.length;
    await expect.poll(() => lines.count(), { timeout: UI_TIMEOUT_MS }).toBe(expectedLines);
    await page.getByTestId('compare-summary').getByText('Node transform added 0 added').waitFor();

    const sides = [
      expectation('compare-from', v1, summary, 'removed'),
      expectation('compare-to', v2, summary, 'added'),
    ];
    for (const side of sides) {
      await expect
        .poll(async () => (await inspect(page, side)).problems, { timeout: UI_TIMEOUT_MS })
        .toEqual([]);
      // Opened at a readable zoom on the first change in reading order: n44, rewired to added0.
      const { cardsInView, inView, zoom } = await inspect(page, side);
      expect(zoom).toBeGreaterThanOrEqual(0.8);
      expect(inView).toContain('n44');
      expect(cardsInView).toBeGreaterThan(3);
    }

    // Zoomed out, each canvas draws the many cards and edges now in view, right.
    for (const side of sides) {
      const box = await page.getByTestId(side.testId).locator('.react-flow__pane').boundingBox();
      if (!box) throw new Error(`${side.testId}: no pane`);
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, 1200);
      await expect
        .poll(async () => (await inspect(page, side)).cardsInView, { timeout: UI_TIMEOUT_MS })
        .toBeGreaterThan(50);
      await expect
        .poll(async () => (await inspect(page, side)).problems, { timeout: UI_TIMEOUT_MS })
        .toEqual([]);
      expect((await inspect(page, side)).edgesInView).toBeGreaterThan(50);
    }

    // Pan the newer side: cards that were out of view come in, with their edges.
    const to = sides[1] as SideExpectation;
    const before = await inspect(page, to);
    const pane = (await page.getByTestId('compare-to').locator('.react-flow__pane').boundingBox()) ?? {
      x: 0,
      y: 0,
      width: 0,
      height: 0,
    };
    await page.mouse.move(pane.x + pane.width / 2, pane.y + pane.height / 2);
    await page.mouse.down();
    await page.mouse.move(pane.x + pane.width / 2 - 300, pane.y + pane.height / 2 - 200, { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => (await inspect(page, to)).problems, { timeout: UI_TIMEOUT_MS }).toEqual([]);
    const after = await inspect(page, to);
    expect(after.cardsInView).toBeGreaterThan(3);
    const arrived = after.inView.filter((id) => !before.inView.includes(id));
    // Each of them drawn with its marks, and its edges: `problems` above is empty.
    expect(arrived.length, 'cards that were out of view come in').toBeGreaterThan(0);

    // A modified card opens its config diff.
    await page
      .getByTestId('compare-summary')
      .getByText('Node transform 61 changed: config.expression')
      .click();
    await page.getByTestId('node-config-diff').getByText('transform 61: config').waitFor();
    await page.getByTestId('node-config-diff-body').waitFor();
    expect(errors).toEqual([]);
  });
});
