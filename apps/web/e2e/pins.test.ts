/**
 * Testing one node and pinning its output, in a real browser with a real runner in this process on
 * the offline mock provider: from the sample's Writer panel, run just that node on hand-edited
 * data and see its output, cost and attempt; pin it and see the badge on the canvas; run the
 * workflow and see the Writer's step marked pinned (no provider call for it).
 */
import { sampleWorkflowDefinition } from '@swarm/engine';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ runner: true });

async function createSample(page: Page): Promise<string> {
  const response = await page.request.post('/trpc/workflows.create', {
    data: { json: { name: 'Research brief', definition: sampleWorkflowDefinition() } },
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { result: { data: { json: { id: string } } } };
  return body.result.data.json.id;
}

const node = (page: Page, id: string) => page.locator(`[data-testid=canvas-node][data-node-id="${id}"]`);

describe('testing one node with pinned data', () => {
  test('runs the Writer on edited data, pins its output, and a workflow run uses the pin', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createSample(page);
    await page.goto(`/workflows/${workflowId}`);
    await page.getByTestId('canvas').waitFor();
    await expect.poll(() => page.getByTestId('canvas-node').count()).toBe(6);

    await node(page, 'writer').click();
    const panel = page.getByTestId('node-test');
    const data = panel.getByTestId('node-test-data');
    await data.waitFor();
    // No run yet: the data starts empty, and is edited by hand.
    expect(JSON.parse(await data.inputValue())).toEqual({ input: {}, upstream: {} });
    await data.fill(
      JSON.stringify({
        input: { query: 'tides' },
        upstream: { researcher: 'HAND-EDITED FACTS', critic: 'HAND-EDITED RISKS' },
      }),
    );
    await panel.getByTestId('node-test-run').click();
    const result = panel.getByTestId('node-test-result');
    await result.waitFor();
    expect(await result.getByTestId('node-test-status').getAttribute('data-status')).toBe('succeeded');
    await result.getByTestId('node-test-output').getByText('HAND-EDITED FACTS', { exact: false }).waitFor();
    expect(await result.getByTestId('node-test-cost').textContent()).toMatch(/^\$\d/);
    expect(await result.getByTestId('node-test-attempts').textContent()).toBe('1 attempt');

    // Pin it: the canvas shows the badge on the Writer only, and the panel can edit the pin.
    expect(await page.getByTestId('node-pin-badge').count()).toBe(0);
    await result.getByTestId('node-test-pin').click();
    await node(page, 'writer').getByTestId('node-pin-badge').waitFor();
    expect(await page.getByTestId('node-pin-badge').count()).toBe(1);
    const pinJson = panel.getByTestId('node-pin-json');
    await expect.poll(async () => pinJson.inputValue()).toContain('HAND-EDITED FACTS');
    await pinJson.fill(JSON.stringify('EDITED PIN'));
    await panel.getByTestId('node-pin-save').click();
    await expect.poll(async () => JSON.parse(await pinJson.inputValue())).toBe('EDITED PIN');

    // Run the workflow: the Writer's step is marked pinned and its pinned output flows on.
    await page.getByTestId('run-workflow').click();
    const dialog = page.getByTestId('run-dialog');
    await dialog.getByTestId('run-input-query').fill('tides');
    await dialog.getByTestId('run-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('[data-testid=run-status-bar][data-status=succeeded]').waitFor();
    await node(page, 'writer').click();
    const step = page.getByTestId('step-details');
    await step.and(page.locator('[data-node-id=writer]')).waitFor();
    await step.getByTestId('step-pinned').waitFor();
    expect(await step.getByTestId('attempt-row').count()).toBe(0);
    await step.getByTestId('step-output').getByText('EDITED PIN').waitFor();
    // The researcher was not pinned: it ran and called the provider.
    await node(page, 'researcher').click();
    await page.getByTestId('step-details').and(page.locator('[data-node-id=researcher]')).waitFor();
    expect(await page.getByTestId('step-pinned').count()).toBe(0);
    await page.getByTestId('step-details').getByTestId('attempt-row').first().waitFor();
    expect(errors).toEqual([]);
  });
});
