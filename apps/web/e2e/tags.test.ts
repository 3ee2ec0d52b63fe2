/**
 * Tags end to end in a real browser: create a tag on the tag page, attach it to one workflow
 * from the list, and filter the list down to the tagged workflow.
 */
import { describe, expect, test } from 'vitest';
import { createWorkflow, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp();

describe('tags', () => {
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
});
