/**
 * Version history in a real browser: commit two versions with a graph change between them, see
 * both in the history, restore the first and see the canvas go back to it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createWorkflow, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp();

describe('version history', () => {
  test('commits two versions, lists them, and restores the first onto the canvas', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await createWorkflow(page, 'Versioned flow');

    const nodes = page.getByTestId('canvas-node');
    await page.getByTestId('palette-input').click();
    await nodes.nth(0).waitFor();

    await page.getByTestId('versions-toggle').click();
    await page.getByTestId('no-versions').waitFor();

    const commit = async (message: string) => {
      await page.getByTestId('commit-version').click();
      await page.getByTestId('commit-message').fill(message);
      await page.getByTestId('commit-submit').click();
      await page.getByTestId('version-message').getByText(message, { exact: true }).waitFor();
    };
    // The first commit saves the unsaved draft first.
    await commit('Just an input');
    await page.getByTestId('saved-indicator').waitFor();

    // Committing an unchanged draft is refused, clearly.
    await page.getByTestId('commit-version').click();
    await page.getByTestId('commit-message').fill('Again');
    await page.getByTestId('commit-submit').click();
    await page
      .getByTestId('commit-error')
      .getByText(/nothing to commit/i)
      .waitFor();
    await page.getByTestId('commit-dialog').getByRole('button', { name: 'Cancel' }).click();

    await page.getByTestId('palette-agent').click();
    await expect.poll(() => nodes.count()).toBe(2);
    await commit('Add an agent');

    const items = page.getByTestId('version-item');
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).getAttribute('data-version-number')).toBe('2');
    expect(await items.nth(1).getAttribute('data-version-number')).toBe('1');
    await items.nth(0).getByTestId('version-stats').getByText('No runs').waitFor();

    // Tag v1, then try the same tag on v2: it has to be moved explicitly.
    await items.nth(1).getByTestId('add-version-tag').click();
    await items.nth(1).getByTestId('version-tag-input').fill('production');
    await items.nth(1).getByTestId('save-version-tag').click();
    await items.nth(1).getByTestId('version-tag').getByText('production').waitFor();
    await items.nth(0).getByTestId('add-version-tag').click();
    await items.nth(0).getByTestId('version-tag-input').fill('production');
    await items.nth(0).getByTestId('save-version-tag').click();
    await items.nth(0).getByTestId('move-tag').click();
    await items.nth(0).getByTestId('version-tag').getByText('production').waitFor();
    await expect.poll(() => items.nth(1).getByTestId('version-tag').count()).toBe(0);

    await page
      .locator('[data-testid=version-item][data-version-number="1"]')
      .getByTestId('restore-version')
      .click();
    await page.getByTestId('confirm-button').click();

    await page.getByTestId('version-message').getByText('Restore v1', { exact: true }).waitFor();
    await expect.poll(() => nodes.count()).toBe(1);
    expect(await page.locator('[data-testid=canvas-node][data-node-type=agent]').count()).toBe(0);
    await page.getByTestId('saved-indicator').waitFor();
    expect(errors).toEqual([]);
  });
});

describe('compare view', () => {
  test('compares v1 with v2 and highlights the added node', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createWorkflow(page, 'Compared flow');

    const nodes = page.getByTestId('canvas-node');
    await page.getByTestId('palette-input').click();
    await nodes.nth(0).waitFor();
    await page.getByTestId('versions-toggle').click();
    const commit = async (message: string) => {
      await page.getByTestId('commit-version').click();
      await page.getByTestId('commit-message').fill(message);
      await page.getByTestId('commit-submit').click();
      await page.getByTestId('version-message').getByText(message, { exact: true }).waitFor();
    };
    await commit('Input only');
    await page.getByTestId('palette-agent').click();
    await expect.poll(() => nodes.count()).toBe(2);
    const agentId = await page
      .locator('[data-testid=canvas-node][data-node-type=agent]')
      .getAttribute('data-node-id');
    await commit('With an agent');

    await page.getByTestId('compare-previous').click();
    await page.waitForURL(new RegExp(`/workflows/${workflowId}/compare\\?from=`));
    const added = page
      .getByTestId('compare-to')
      .locator(`.react-flow__node.diff-added[data-id="${agentId}"]`);
    await added.waitFor();
    expect(
      await page.getByTestId('compare-from').locator(`.react-flow__node[data-id="${agentId}"]`).count(),
    ).toBe(0);
    await page.getByTestId('compare-summary').getByText('Node Agent added').waitFor();

    await added.click();
    await page.getByTestId('node-config-diff').getByText('Added in the newer side.').waitFor();
    await page.getByTestId('node-config-diff').locator('.jsondiffpatch-delta').first().waitFor();
    // Values wrap inside the panel: nothing scrolls sideways.
    const body = page.getByTestId('node-config-diff-body');
    expect(
      await body
        .locator('pre')
        .first()
        .evaluate((el) => getComputedStyle(el).whiteSpace),
    ).toBe('pre-wrap');
    expect(await body.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);
    expect(errors).toEqual([]);
  });

  test('a compare link opened signed out leads to the sign-in page', async () => {
    const { page, errors } = await app.newPage();
    const path = `/workflows/${randomUUID()}/compare?from=${randomUUID()}&to=draft`;
    // index.html asks for the page's data at once; signed out, that answer is refused and the
    // app's own sign-in check sends the visitor to the login page, as on any other page.
    await page.goto(path);
    await page.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === path);
    await page.getByLabel('Email').waitFor();
    expect(errors).toEqual([]);
  });
});
