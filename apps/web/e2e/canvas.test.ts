/**
 * The canvas a first session meets, in a real browser: the sample workflow opens at a zoom its
 * labels can be read at; nodes added from the palette land beside the selected node (or right of
 * the last one) without covering any other; and with a tool panel open, clicking a node still
 * shows its settings, the panel one click away and as it was left.
 */
import { randomBytes } from 'node:crypto';
import { sampleWorkflowDefinition } from '@swarm/engine';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

// Webhook secrets are stored encrypted: the server needs a key to offer webhooks at all.
const app = useBrowserApp({ secretKey: randomBytes(32).toString('base64') });

/** The editor's least opening zoom (READABLE_MIN_ZOOM in src/editor/graph.ts). */
const READABLE_ZOOM = 0.8;
const sample = sampleWorkflowDefinition();
const sampleIds = new Set(sample.nodes.map((n) => n.id));

type Box = { x: number; y: number; width: number; height: number };

/** Opens the sample workflow in the editor and waits until the opening fit has moved the view. */
async function openSample(page: Page) {
  await signUp(page);
  const response = await page.request.post('/trpc/workflows.create', {
    data: { json: { name: 'Research brief', definition: sample } },
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { result: { data: { json: { id: string } } } };
  await page.goto(`/workflows/${body.result.data.json.id}`);
  await expect.poll(() => page.getByTestId('canvas-node').count()).toBe(sample.nodes.length);
  // React Flow starts at translate(0, 0) scale(1) and fits once every node is measured.
  await expect.poll(async () => (await viewport(page)).e !== 0 || (await viewport(page)).f !== 0).toBe(true);
}

/** The React Flow viewport's transform: `a` is the zoom, `e`/`f` the pan. */
async function viewport(page: Page) {
  return page.locator('.react-flow__viewport').evaluate((el) => {
    const m = new DOMMatrixReadOnly(getComputedStyle(el).transform);
    return { a: m.a, e: m.e, f: m.f };
  });
}

const card = (page: Page, id: string) => page.locator(`[data-testid=canvas-node][data-node-id="${id}"]`);

async function boxOf(page: Page, id: string): Promise<Box> {
  const box = await card(page, id).boundingBox();
  if (!box) throw new Error(`node ${id} has no box`);
  return box;
}

/** Every node on the canvas with its on-screen box. */
async function allBoxes(page: Page): Promise<Map<string, Box>> {
  const ids = await page
    .getByTestId('canvas-node')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-node-id') ?? ''));
  return new Map(await Promise.all(ids.map(async (id) => [id, await boxOf(page, id)] as const)));
}

const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Adds a node from the palette and returns the id of the one new card. */
async function addFromPalette(page: Page, type: string, before: Set<string>): Promise<string> {
  await page.getByTestId(`palette-${type}`).click();
  await expect.poll(() => page.getByTestId('canvas-node').count()).toBe(before.size + 1);
  const ids = await page
    .getByTestId('canvas-node')
    .evaluateAll((els) => els.map((el) => el.getAttribute('data-node-id') ?? ''));
  const added = ids.find((id) => !before.has(id));
  if (!added) throw new Error('no new node');
  return added;
}

/** `added` sits right of `beside` on its row, close to it, covering no node, inside the canvas. */
async function expectPlacedBeside(page: Page, added: string, beside: string) {
  const canvas = await page.getByTestId('canvas').boundingBox();
  if (!canvas) throw new Error('no canvas');
  // The view follows a node placed out of sight (with a short pan): wait for it to be in view.
  await expect
    .poll(async () => {
      const box = await boxOf(page, added);
      return box.x >= canvas.x && box.x + box.width <= canvas.x + canvas.width;
    })
    .toBe(true);
  const zoom = (await viewport(page)).a;
  const boxes = await allBoxes(page);
  const box = boxes.get(added)!;
  const anchor = boxes.get(beside)!;
  for (const [id, other] of boxes) {
    if (id !== added) expect(overlaps(box, other), `new node overlaps ${id}`).toBe(false);
  }
  const gap = box.x - (anchor.x + anchor.width);
  expect(gap).toBeGreaterThan(0);
  expect(gap).toBeLessThanOrEqual(120 * zoom);
  expect(Math.abs(box.y - anchor.y)).toBeLessThan(anchor.height);
}

describe('readable canvas', () => {
  test('the sample opens at a readable zoom: node names at least 11 px on screen', async () => {
    const { page, errors } = await app.newPage();
    await openSample(page);
    const zoom = (await viewport(page)).a;
    expect(zoom).toBeGreaterThanOrEqual(READABLE_ZOOM);
    const fontSizes = await page
      .getByTestId('node-name')
      .evaluateAll((els) => els.map((el) => Number.parseFloat(getComputedStyle(el).fontSize)));
    expect(fontSizes).toHaveLength(sample.nodes.length);
    for (const size of fontSizes) expect(size * zoom).toBeGreaterThanOrEqual(11);
    // Measured, not only computed: a name's line box on screen is as tall as that text.
    const nameBox = await card(page, 'input').getByTestId('node-name').boundingBox();
    expect(nameBox!.height).toBeGreaterThanOrEqual(11);
    expect(errors).toEqual([]);
  });

  test('palette nodes land right of the last node, then beside the selected one, covering none', async () => {
    const { page, errors } = await app.newPage();
    await openSample(page);

    // Nothing selected: right of the last node (the sample's output), not on the middle of the flow.
    const first = await addFromPalette(page, 'transform', new Set(sampleIds));
    await expectPlacedBeside(page, first, 'output');

    // Select the researcher (the fit button brings it back in view): the next node goes beside it.
    await page.locator('.react-flow__controls-fitview').click();
    await card(page, 'researcher').click();
    await page.getByTestId('node-inspector').waitFor();
    const second = await addFromPalette(page, 'agent', new Set([...sampleIds, first]));
    await expectPlacedBeside(page, second, 'researcher');
    expect(errors).toEqual([]);
  });
});

describe('tool panels and the node form', () => {
  test('with the Webhooks panel open, clicking a node shows its settings; the panel comes back as it was', async () => {
    const { page, errors } = await app.newPage();
    await openSample(page);

    await page.getByTestId('webhooks-toggle').click();
    await page.getByTestId('no-webhooks').waitFor();
    await page.getByTestId('new-webhook').click();
    await page.getByTestId('webhook-form').waitFor();

    await card(page, 'researcher').click();
    const inspector = page.getByTestId('node-inspector');
    await inspector.waitFor();
    expect(await inspector.getByTestId('node-name-input').inputValue()).toBe('Researcher');
    expect(await page.getByTestId('webhook-form').isVisible()).toBe(false);

    // Another node, then back to the panel: the half-filled form is still there.
    await card(page, 'writer').click();
    await expect.poll(() => inspector.getByTestId('node-name-input').inputValue()).toBe('Writer');
    await page.getByTestId('back-to-panel').click();
    await page.getByTestId('webhook-form').waitFor();
    expect(await inspector.isVisible()).toBe(false);

    // Clicking the selected node again brings its settings forward once more.
    await card(page, 'writer').click();
    await inspector.waitFor();
    // Clearing the selection (a click on the empty canvas) shows the open panel again.
    await page.locator('.react-flow__pane').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('webhook-form').waitFor();
    expect(errors).toEqual([]);
  });
});
