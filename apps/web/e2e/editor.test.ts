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

    // transform → agent would close a loop, agent → agent is a self-loop: both are refused, and
    // the canvas says why rather than just snapping the line back.
    await dragBetween(page, handle('source', transform), handle('target', agent));
    await page
      .getByTestId('connection-refused')
      .getByText('Transform → Agent would make a loop: Agent already leads to Transform', { exact: false })
      .waitFor();
    await dragBetween(page, handle('source', agent), handle('target', agent));
    await page
      .getByTestId('connection-refused')
      .getByText('Agent can’t connect to itself', { exact: false })
      .waitFor();
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

describe('node settings from the server registry', () => {
  test('the palette groups the server’s node types; the config form edits, validates and matches the JSON', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await createWorkflow(page, 'Form flow');

    // Categories come from the registry, in palette order.
    const categories = await page
      .locator('[data-testid^=palette-category-]')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-testid')));
    expect(categories).toEqual([
      'palette-category-trigger',
      'palette-category-ai',
      'palette-category-logic',
      'palette-category-data',
      'palette-category-integration',
      'palette-category-result',
    ]);

    await page.getByTestId('palette-agent').click();
    const inspector = page.getByTestId('node-inspector');
    await inspector.waitFor();
    expect(await inspector.getByTestId('config-field-role').inputValue()).toBe('assistant');
    expect(await inspector.getByTestId('config-field-provider').locator('option:checked').textContent()).toBe(
      'mock',
    );

    // Emptying a required field: the problem shows on that field, on the card and in the problems list.
    const agent = await nodeId(page, 'agent');
    const card = page.locator(`[data-testid=canvas-node][data-node-id="${agent}"]`);
    await inspector.getByTestId('config-field-model').fill('');
    await inspector.getByTestId('config-field-model-error').waitFor();
    await card.and(page.locator('[data-invalid=true]')).waitFor();
    await page.getByTestId('issues-list').getByText('config.model:', { exact: false }).waitFor();
    await inspector.getByTestId('config-field-model').fill('delay:10');
    await inspector.getByTestId('config-field-model-error').waitFor({ state: 'detached' });
    await card.getByText('mock · delay:10').waitFor();

    // Optional settings sit under "More options"; a number and a fallback list item.
    await inspector.getByText('More options', { exact: false }).click();
    await inspector.getByTestId('config-field-temperature').fill('0.7');
    await inspector.getByTestId('config-field-fallback-add').click();
    await inspector.getByTestId('config-field-fallback[0].provider').selectOption({ label: 'anthropic' });
    await inspector.getByTestId('config-field-fallback[0].model').fill('claude-sonnet-4-5');

    // The advanced JSON view shows exactly what the form built.
    await inspector.getByTestId('config-advanced-toggle').check();
    const config = JSON.parse(await inspector.getByTestId('config-json').inputValue()) as Record<
      string,
      unknown
    >;
    expect(config).toEqual({
      role: 'assistant',
      provider: 'mock',
      model: 'delay:10',
      prompt: '{{input.query}}',
      temperature: 0.7,
      fallback: [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }],
    });
    await page.getByTestId('no-issues').waitFor();

    // A condition has two outputs, each its own handle.
    await page.getByTestId('palette-condition').click();
    const condition = await nodeId(page, 'condition');
    await page.getByTestId(`source-handle-${condition}-true`).waitFor();
    await page.getByTestId(`source-handle-${condition}-false`).waitFor();
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
