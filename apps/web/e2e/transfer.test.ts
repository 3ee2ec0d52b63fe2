/**
 * Export and import in a real browser: download a workflow as JSON from its row, import that file
 * back as a new workflow, bulk-export two rows as a ZIP, and see an invalid file's errors.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { createWorkflow, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp();

describe('export and import', () => {
  test('exports a workflow, imports it back, bulk-exports a ZIP, and shows import errors', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await createWorkflow(page, 'Exported flow');
    await page.getByTestId('palette-input').click();
    await page.getByTestId('canvas-node').nth(0).waitFor();
    await page.getByTestId('save-workflow').click();
    await page.getByTestId('saved-indicator').waitFor();

    // The editor's Export button downloads the saved draft.
    const [editorDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-workflow').click(),
    ]);
    expect(editorDownload.suggestedFilename()).toMatch(/\.json$/);

    await page.goto('/');
    const rows = page.getByTestId('workflow-row');
    await rows.nth(0).waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      rows.nth(0).getByTestId('export-workflow').click(),
    ]);
    const file = await download.path();
    const doc = JSON.parse(await readFile(file, 'utf8')) as { version: string; metadata: { name: string } };
    expect(doc.version).toBe('1.0');
    expect(doc.metadata.name).toBe('Exported flow');

    await page.getByTestId('import-workflows').click();
    await page.getByTestId('import-file').setInputFiles(file);
    await page.getByTestId('import-submit').click();
    // The result names what was imported (the copy got a free name), and the same file cannot be
    // imported a second time by pressing Import again.
    await page.getByTestId('imported-workflow-link').getByText('Exported flow (2)').waitFor();
    expect(await page.getByTestId('import-submit').isDisabled()).toBe(true);
    await page.getByTestId('import-dialog').getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => rows.count()).toBe(2);

    await rows.nth(0).getByTestId('select-workflow').check();
    await rows.nth(1).getByTestId('select-workflow').check();
    const [zip] = await Promise.all([page.waitForEvent('download'), page.getByTestId('bulk-export').click()]);
    expect(zip.suggestedFilename()).toBe('swarm-workflows.zip');
    const bytes = await readFile(await zip.path());
    expect(bytes.subarray(0, 2).toString('latin1')).toBe('PK');

    // A document with a dangling edge is refused, and the problem names its path.
    const broken = {
      ...doc,
      workflow: {
        ...(doc as unknown as { workflow: object }).workflow,
        edges: [{ id: 'e1', source: 'nope', target: 'nada' }],
      },
    };
    await page.getByTestId('import-workflows').click();
    await page.getByTestId('import-file').setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(broken)),
    });
    await page.getByTestId('import-submit').click();
    await page
      .getByTestId('import-error')
      .getByText(/workflow\.edges/)
      .first()
      .waitFor();
    expect(errors).toEqual([]);
  });
});
