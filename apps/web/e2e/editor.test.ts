/**
 * The editor end to end in a real browser: build a two-node graph from the palette, connect the
 * nodes by dragging between their handles, save, reload, and find the same graph again.
 */

import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { createWorkflow, dragBetween, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp();

describe('workflow editor', () => {
  test('adds two nodes, connects them, saves, and shows them again after a reload', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await createWorkflow(page, 'Research flow');

    const nodes = page.getByTestId('canvas-node');
    await page.getByTestId('palette-input').click();
    await nodes.nth(0).waitFor();
    await page.getByTestId('palette-agent').click();
    await expect.poll(() => nodes.count()).toBe(2);

    const inputId = await page
      .locator('[data-testid=canvas-node][data-node-type=input]')
      .getAttribute('data-node-id');
    const agentId = await page
      .locator('[data-testid=canvas-node][data-node-type=agent]')
      .getAttribute('data-node-id');
    expect(inputId).toMatch(/^input-[a-z0-9]{6}$/);
    expect(agentId).toMatch(/^agent-[a-z0-9]{6}$/);

    await dragBetween(
      page,
      `[data-testid="source-handle-${inputId}"]`,
      `[data-testid="target-handle-${agentId}"]`,
    );
    // SVG edges between nodes on one row have no height, so wait for them to exist, not to be "visible".
    const edge = page.locator('[aria-label="Connection from Input to Agent"]');
    await edge.waitFor({ state: 'attached' });
    await page.getByTestId('unsaved-indicator').waitFor();

    // The server's validation has looked at the graph and found nothing wrong.
    await page.getByTestId('no-issues').waitFor();

    await page.getByTestId('save-workflow').click();
    await page.getByTestId('saved-indicator').waitFor();

    await page.reload();
    await page.getByTestId('canvas').waitFor();
    await expect.poll(() => nodes.count()).toBe(2);
    await page
      .locator(`[data-testid=canvas-node][data-node-id="${inputId}"]`)
      .getByTestId('node-name')
      .getByText('Input')
      .waitFor();
    await page
      .locator(`[data-testid=canvas-node][data-node-id="${agentId}"]`)
      .getByTestId('node-name')
      .getByText('Agent')
      .waitFor();
    await edge.waitFor({ state: 'attached' });
    expect(await page.locator('.react-flow__edge').count()).toBe(1);
    expect(await page.getByTestId('saved-indicator').isVisible()).toBe(true);
    expect(errors).toEqual([]);
  });

  test('refuses cycles and self-loops, and deletes with the keyboard or the button', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await createWorkflow(page, 'Loop attempt');

    const nodes = page.getByTestId('canvas-node');
    const edges = page.locator('.react-flow__edge');
    for (const type of ['agent', 'transform', 'output']) {
      await page.getByTestId(`palette-${type}`).click();
      await page.locator(`[data-testid=canvas-node][data-node-type=${type}]`).waitFor();
    }
    const agent = await nodeId(page, 'agent');
    const transform = await nodeId(page, 'transform');
    const output = await nodeId(page, 'output');

    await dragBetween(page, handle('source', agent), handle('target', transform));
    await page.locator('[aria-label="Connection from Agent to Transform"]').waitFor({ state: 'attached' });
    await dragBetween(page, handle('source', transform), handle('target', output));
    await page.locator('[aria-label="Connection from Transform to Output"]').waitFor({ state: 'attached' });

    // transform → agent would close a loop, agent → agent is a self-loop: both are refused.
    await dragBetween(page, handle('source', transform), handle('target', agent));
    await dragBetween(page, handle('source', agent), handle('target', agent));
    expect(await edges.count()).toBe(2);

    // Delete key removes the selected node and its connection.
    await page.locator(`[data-testid=canvas-node][data-node-id="${output}"]`).click();
    await page.getByTestId('node-inspector').waitFor();
    await page.keyboard.press('Delete');
    await expect.poll(() => nodes.count()).toBe(2);
    await expect.poll(() => edges.count()).toBe(1);

    // So does the button in the side panel.
    await page.locator(`[data-testid=canvas-node][data-node-id="${transform}"]`).click();
    await page.getByTestId('delete-node').click();
    await expect.poll(() => nodes.count()).toBe(1);
    await expect.poll(() => edges.count()).toBe(0);
    expect(errors).toEqual([]);
  });
});

function handle(kind: 'source' | 'target', nodeId: string) {
  return `[data-testid="${kind}-handle-${nodeId}"]`;
}

async function nodeId(page: Page, type: string): Promise<string> {
  const id = await page
    .locator(`[data-testid=canvas-node][data-node-type=${type}]`)
    .getAttribute('data-node-id');
  if (!id) throw new Error(`no ${type} node on the canvas`);
  return id;
}
