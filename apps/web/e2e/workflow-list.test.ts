/**
 * The workflow list end to end in a real browser: tags (create on the tag page, attach from the
 * list, filter by them), and paging, search, rename and delete.
 */
import { describe, expect, test } from 'vitest';
import { createWorkflow, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp();

describe('workflow list', () => {
  test('a tag attached from the list filters the list to the tagged workflow', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await createWorkflow(page, 'Tagged flow');
    await page.getByRole('link', { name: '← Workflows' }).click();
    await createWorkflow(page, 'Plain flow');
    await page.getByRole('link', { name: 'Tags', exact: true }).click();

    await page.getByLabel('New tag').fill('production');
    await page.getByTestId('create-tag').click();
    const tagRow = page
      .getByTestId('tag-row')
      .filter({ has: page.getByTestId('tag-chip').getByText('production') });
    await tagRow.getByText('0 workflows').waitFor();

    await page.getByRole('link', { name: 'Workflows', exact: true }).click();
    const rows = page.getByTestId('workflow-row');
    await expect.poll(() => rows.count()).toBe(2);
    const tagged = rows.filter({ hasText: 'Tagged flow' });
    await tagged.getByTestId('tag-picker-button').click();
    await tagged.getByTestId('tag-option-production').check();
    await tagged.getByTestId('tag-chip').getByText('production').waitFor();
    await page.keyboard.press('Escape');

    await page.getByTestId('tag-filter-production').click();
    await expect.poll(() => rows.count()).toBe(1);
    await rows.filter({ hasText: 'Tagged flow' }).waitFor();
    expect(await page.getByText('Plain flow').count()).toBe(0);
    expect(await page.getByTestId('tag-filter-production').getAttribute('aria-pressed')).toBe('true');

    // Clearing the filter brings the other workflow back; the tag page counts the attachment.
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByRole('link', { name: 'Tags', exact: true }).click();
    await tagRow.getByText('1 workflow', { exact: true }).waitFor();
    expect(errors).toEqual([]);
  });

  test('pages with "load more", searches, renames and deletes', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    // Many workflows at once through the same tRPC endpoint the app uses (the page's session cookie).
    const names = Array.from({ length: 22 }, (_, i) => `Batch ${String(i + 1).padStart(2, '0')}`);
    for (const name of names) {
      const response = await page.request.post('/trpc/workflows.create', { data: { json: { name } } });
      expect(response.status()).toBe(200);
    }
    await page.reload();

    const rows = page.getByTestId('workflow-row');
    await expect.poll(() => rows.count()).toBe(20);
    await page.getByTestId('load-more').click();
    await expect.poll(() => rows.count()).toBe(22);
    await page.getByTestId('load-more').waitFor({ state: 'detached' });

    await page.getByTestId('workflow-search').fill('batch 07');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.getByText('Batch 07').waitFor();

    await rows.getByTestId('rename-workflow').click();
    // A pasted name past the limit is kept whole and counted, and the refusal says why (it used
    // to be cut to 200 characters without a word).
    const renameInput = page.getByTestId('rename-input');
    await renameInput.fill('x'.repeat(664));
    expect((await renameInput.inputValue()).length).toBe(664);
    await page.getByTestId('rename-input-count').getByText('664 / 200 — 464 over the limit').waitFor();
    await page.getByTestId('rename-submit').click();
    await page
      .getByTestId('rename-workflow-dialog')
      .getByText('at most 200 characters', { exact: false })
      .waitFor();
    await renameInput.fill('Seventh, renamed');
    await page.getByTestId('rename-submit').click();
    await page.getByTestId('empty-state').getByText('No workflows match these filters').waitFor();

    await page.getByTestId('workflow-search').fill('renamed');
    await rows.getByText('Seventh, renamed').waitFor();
    await rows.getByTestId('delete-workflow').click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('empty-state').waitFor();

    // Back to the whole list: both loaded pages are fetched again, without the deleted workflow.
    await page.getByTestId('workflow-search').fill('');
    await expect.poll(() => rows.count()).toBe(21);
    expect(await page.getByText('Seventh, renamed').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
