/**
 * Triggers and schemas in a real browser: the input schema editor (a sample failing with its path,
 * fixed, saved, and the Run dialog showing the schema's form), the schedule panel (a schedule's
 * description and next runs), and the webhook panel (the `curl` command shown on the page, run
 * exactly as shown, lands in the call log and starts a run).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { createWorkflow, signUp, useBrowserApp } from './harness.ts';

// Webhook secrets are stored encrypted: the server needs a key to offer webhooks at all.
const app = useBrowserApp({ runner: true, secretKey: randomBytes(32).toString('base64') });
const run = promisify(execFile);

/** Input → output: runs finish at once, and the input comes back as the output. */
const echoDefinition = {
  nodes: [
    { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 100 }, config: {} },
    { id: 'out', type: 'output', name: 'Out', position: { x: 320, y: 100 }, config: {} },
  ],
  edges: [{ id: 'e-in-out', source: 'in', target: 'out' }],
  inputSchema: {
    type: 'object',
    properties: { topic: { type: 'string', minLength: 1 } },
    required: ['topic'],
  },
};

/** Creates the workflow through the same tRPC endpoint the app uses, with the page's session. */
async function createWorkflowViaApi(page: Page, name: string): Promise<string> {
  const response = await page.request.post('/trpc/workflows.create', {
    data: { json: { name, definition: echoDefinition } },
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { result: { data: { json: { id: string } } } };
  return body.result.data.json.id;
}

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

describe('schedule panel', () => {
  test('creates a schedule and shows its description and next 5 runs in the chosen zone', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createWorkflowViaApi(page, 'Scheduled flow');
    await page.goto(`/workflows/${workflowId}`);
    await page.getByTestId('canvas-node').first().waitFor();

    await page.getByTestId('schedules-toggle').click();
    await page.getByTestId('no-schedules').waitFor();
    await page.getByTestId('new-schedule').click();
    const form = page.getByTestId('schedule-form');

    // A wrong cron is explained as it is typed, and no runs are listed for it.
    await form.getByTestId('schedule-cron').fill('0 25 * * *');
    await form.getByText(/25/).first().waitFor();
    expect(await form.getByTestId('schedule-cron-description').count()).toBe(0);
    // Submitting it anyway sends nothing and brings the cron field, with its reason beside it,
    // into view and focus (the submit button sits below the fold of the panel).
    await form.getByTestId('schedule-submit').click();
    const cronField = form.getByTestId('schedule-cron');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
      .toBe('schedule-cron');
    await expect
      .poll(() =>
        cronField.evaluate((el) => {
          const box = el.getBoundingClientRect();
          return box.top >= 0 && box.bottom <= window.innerHeight;
        }),
      )
      .toBe(true);
    expect(await cronField.getAttribute('aria-invalid')).toBe('true');

    await form.getByTestId('cron-preset-weekly').click();
    await form
      .getByTestId('schedule-cron-description')
      .getByText(/Monday/)
      .waitFor();
    await form.getByTestId('schedule-timezone').fill('America/New_York');
    // Five Mondays at 09:00 New York time (EST or EDT), once the answer for this zone is in.
    await form.locator('[data-testid=schedule-next-runs][aria-busy=false]').waitFor();
    const nextRuns = form.getByTestId('schedule-next-run');
    await expect
      .poll(async () =>
        (await nextRuns.allTextContents()).filter((text) =>
          /^Mon, \d{4}-\d{2}-\d{2} 09:00UTC−0[45]:00/.test(text),
        ),
      )
      .toHaveLength(5);
    expect(await nextRuns.count()).toBe(5);

    // 02:30 on Sundays in March: the second Sunday is the spring-forward day, when 02:30 does not
    // exist; that occurrence is marked and runs at 03:00 instead.
    await form.getByTestId('schedule-cron').fill('30 2 * 3 0');
    const shifted = form
      .getByTestId('schedule-next-run')
      .filter({ has: page.getByTestId('schedule-dst-shift') });
    await shifted.getByText('moved from 02:30').waitFor();
    expect(await shifted.count()).toBe(1);
    expect(await shifted.textContent()).toMatch(/^Sun, \d{4}-03-(0[89]|1[0-4]) 03:00UTC−04:00/);
    await form.getByTestId('cron-preset-weekly').click();
    await form.locator('[data-testid=schedule-next-runs][aria-busy=false]').waitFor();

    // The schema form is offered for the input; the required topic is filled in.
    await form.getByTestId('schedule-input-topic').fill('weekly digest');
    await form.getByTestId('schedule-overlap').selectOption('queue-one');
    await form.getByTestId('schedule-submit').click();

    const item = page.getByTestId('schedule-item');
    await item
      .getByTestId('schedule-description')
      .getByText(/Monday/)
      .waitFor();
    await item.getByText('America/New_York').waitFor();
    await item
      .getByTestId('schedule-next')
      .getByText(/^Mon, .* 09:00$/)
      .waitFor();
    expect(await item.getAttribute('data-enabled')).toBe('true');

    // Pause and resume from the list.
    await item.getByTestId('schedule-enabled').click();
    await page.locator('[data-testid=schedule-item][data-enabled=false]').waitFor();
    await item.getByTestId('schedule-next').getByText('paused').waitFor();
    await item.getByTestId('schedule-enabled').click();
    await page.locator('[data-testid=schedule-item][data-enabled=true]').waitFor();
    expect(errors).toEqual([]);
  });
});

describe('webhook panel', () => {
  test('the curl command shown after create starts a run, logged as accepted, listed as a webhook run', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createWorkflowViaApi(page, 'Hooked flow');
    await page.goto(`/workflows/${workflowId}`);
    await page.getByTestId('canvas-node').first().waitFor();

    await page.getByTestId('webhooks-toggle').click();
    await page.getByTestId('no-webhooks').waitFor();
    await page.getByTestId('new-webhook').click();
    const form = page.getByTestId('webhook-form');
    await form.getByTestId('webhook-auth-signature').check();

    // The mapping preview runs in the page on the sample payload and checks the input schema.
    await form.getByTestId('webhook-sample-payload').fill('{ "issue": { "title": "Login is broken" } }');
    await form.getByTestId('webhook-mapping').fill('{ "subject": issue.title }');
    await form.getByTestId('webhook-mapped-issues').getByText('input.topic').waitFor();
    await form.getByTestId('webhook-mapping').fill('{ "topic": issue.title }');
    await form.getByTestId('webhook-mapped-valid').waitFor();
    expect(JSON.parse((await form.getByTestId('webhook-mapped-input').textContent()) ?? '')).toEqual({
      topic: 'Login is broken',
    });
    await form.getByTestId('webhook-submit').click();

    // The secret is shown once, with a curl command signed with it.
    const item = page.getByTestId('webhook-item');
    const secret = (await item.getByTestId('webhook-secret').textContent()) ?? '';
    expect(secret).toMatch(/^whsec_/);
    const command = (await item.getByTestId('webhook-curl').textContent()) ?? '';
    expect(command).toContain(secret);

    const { stdout } = await run('bash', ['-c', command]);
    const { executionId } = JSON.parse(stdout) as { executionId: string };
    expect(executionId).toMatch(/^[0-9a-f-]{36}$/);

    const accepted = item.locator('[data-testid=webhook-log][data-outcome=accepted][data-source=http]');
    await accepted.waitFor();
    expect(await accepted.getByTestId('webhook-log-status').textContent()).toBe('202');

    // Replay sends the logged body again: a second accepted call, marked as a replay.
    await accepted.getByTestId('webhook-log-replay').click();
    await item.locator('[data-testid=webhook-log][data-outcome=accepted][data-source=replay]').waitFor();

    // Once dismissed the secret is gone from the page; the example reads it from $SECRET.
    await item.getByTestId('webhook-secret-done').click();
    await expect.poll(() => item.getByTestId('webhook-secret').count()).toBe(0);
    expect(await item.getByTestId('webhook-curl').textContent()).not.toContain(secret);

    // "Send test" goes through the mapping too; a payload the mapping cannot fill is refused by path.
    await item.getByTestId('webhook-send-test').click();
    const testDialog = page.getByTestId('webhook-test-dialog');
    await testDialog.getByTestId('webhook-test-payload').fill('{ "issue": {} }');
    await testDialog.getByTestId('webhook-test-submit').click();
    await testDialog
      .getByTestId('webhook-test-error')
      .getByRole('listitem')
      .filter({ hasText: 'input.topic' })
      .waitFor();
    await testDialog
      .getByTestId('webhook-test-payload')
      .fill('{ "issue": { "title": "From the test button" } }');
    await testDialog.getByTestId('webhook-test-submit').click();
    await testDialog.getByTestId('webhook-test-result').waitFor();
    await testDialog.getByRole('button', { name: 'Close' }).click();
    await item.locator('[data-testid=webhook-log][data-outcome=accepted][data-source=test]').waitFor();
    await item.locator('[data-testid=webhook-log][data-outcome=invalid-input][data-source=test]').waitFor();

    // A new secret is shown once too, and its curl command works.
    await item.getByTestId('webhook-regenerate').click();
    await page.getByTestId('webhook-grace').selectOption(String(3600));
    await page.getByTestId('webhook-regenerate-confirm').click();
    const newSecret = item.getByTestId('webhook-secret');
    await newSecret.waitFor();
    expect(await newSecret.textContent()).not.toBe(secret);
    const rotated = await run('bash', ['-c', (await item.getByTestId('webhook-curl').textContent()) ?? '']);
    expect(JSON.parse(rotated.stdout)).toEqual({ executionId: expect.any(String) });
    await item.getByTestId('webhook-secret-done').click();
    await item.getByText(/previous secret still works until/).waitFor();

    await page.goto(`/workflows/${workflowId}/runs`);
    const row = page.locator(`[data-testid=run-row][data-run-id="${executionId}"]`);
    await row.getByText('webhook', { exact: true }).waitFor();
    await page
      .locator(`[data-testid=run-row][data-run-id="${executionId}"][data-status=succeeded]`)
      .waitFor();
    expect(errors).toEqual([]);
  });

  test('the example body fits the input schema, so the curl shown as is starts a run; the header counts every logged call', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createWorkflowViaApi(page, 'Example flow');
    await page.goto(`/workflows/${workflowId}`);
    await page.getByTestId('canvas-node').first().waitFor();
    await page.getByTestId('webhooks-toggle').click();
    await page.getByTestId('new-webhook').click();
    const form = page.getByTestId('webhook-form');
    await form.getByTestId('webhook-auth-signature').check();
    // The sample starts as an example of the input schema: `topic` filled in, not "".
    const sample = JSON.parse(await form.getByTestId('webhook-sample-payload').inputValue()) as {
      topic: string;
    };
    expect(sample.topic.length).toBeGreaterThan(0);
    await form.getByTestId('webhook-submit').click();

    const item = page.getByTestId('webhook-item');
    const command = (await item.getByTestId('webhook-curl').textContent()) ?? '';
    const { stdout } = await run('bash', ['-c', command]);
    expect(JSON.parse(stdout)).toEqual({ executionId: expect.any(String) });
    await item.locator('[data-testid=webhook-log][data-outcome=accepted][data-source=http]').waitFor();

    // Two refused calls: logged, no run.
    for (let i = 0; i < 2; i++) {
      await item.getByTestId('webhook-send-test').click();
      const testDialog = page.getByTestId('webhook-test-dialog');
      await testDialog.getByTestId('webhook-test-payload').fill('{ "topic": "" }');
      await testDialog.getByTestId('webhook-test-submit').click();
      await testDialog.getByTestId('webhook-test-error').waitFor();
      await testDialog.getByRole('button', { name: 'Close' }).click();
    }
    await expect.poll(() => item.getByTestId('webhook-log').count()).toBe(3);
    await page.reload();
    await page.getByTestId('webhooks-toggle').click();
    expect(await page.getByTestId('webhook-call-count').textContent()).toBe('3 calls (1 started a run)');
    expect(errors).toEqual([]);
  });
});
