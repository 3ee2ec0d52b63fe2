/**
 * Running a workflow end to end in a real browser, with a real runner in this process on the
 * offline mock provider: the input form from the workflow's input schema (a refused input shows on
 * its field), the run lighting up the canvas live, a node's step with its output and provider
 * attempt, re-running from a node, and the runs list and run page.
 */
import { sampleWorkflowDefinition } from '@swarm/engine';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ runner: true });

const definition = {
  nodes: [
    { id: 'question', type: 'input', name: 'Question', position: { x: 0, y: 100 }, config: {} },
    {
      id: 'writer',
      type: 'agent',
      name: 'Writer',
      position: { x: 320, y: 100 },
      config: { role: 'writer', provider: 'mock', model: 'echo', prompt: 'Answer this: {{input.query}}' },
    },
    { id: 'answer', type: 'output', name: 'Answer', position: { x: 640, y: 100 }, config: {} },
  ],
  edges: [
    { id: 'e-question-writer', source: 'question', target: 'writer' },
    { id: 'e-writer-answer', source: 'writer', target: 'answer' },
  ],
  inputSchema: {
    type: 'object',
    properties: { query: { type: 'string', minLength: 1, description: 'What to ask' } },
    required: ['query'],
  },
};

/** Creates the workflow through the same tRPC endpoint the app uses, with the page's session. */
async function createWorkflowViaApi(page: Page, name: string, graph: object = definition): Promise<string> {
  const response = await page.request.post('/trpc/workflows.create', {
    data: { json: { name, definition: graph } },
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { result: { data: { json: { id: string } } } };
  return body.result.data.json.id;
}

const node = (page: Page, id: string) => page.locator(`[data-testid=canvas-node][data-node-id="${id}"]`);

describe('running a workflow', () => {
  test('runs from the editor, lights up every node, and shows the agent step with its attempt', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createWorkflowViaApi(page, 'Echo flow');
    await page.goto(`/workflows/${workflowId}`);
    await page.getByTestId('canvas').waitFor();
    await expect.poll(() => page.getByTestId('canvas-node').count()).toBe(3);

    // The input form comes from the input schema and starts from an example it accepts (never an
    // empty required query); the query is marked required, and an emptied one is refused on its
    // field in plain words, in the browser, without a request to the server.
    const startRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('runs.start')) startRequests.push(request.url());
    });
    await page.getByTestId('run-workflow').click();
    const dialog = page.getByTestId('run-dialog');
    const query = dialog.getByTestId('run-input-query');
    await query.waitFor();
    await dialog.getByText('What to ask').waitFor();
    await dialog.getByTestId('run-input-query-required').waitFor();
    expect(await query.getAttribute('aria-required')).toBe('true');
    expect(await query.inputValue()).not.toBe('');
    await query.fill('');
    await dialog.getByTestId('run-submit').click();
    await dialog.getByTestId('run-input-query-error').waitFor();
    expect(await dialog.getByTestId('run-input-query-error').textContent()).toBe('required');
    expect(await query.getAttribute('aria-invalid')).toBe('true');
    expect(startRequests).toEqual([]);
    // As JSON, the same check names the field in a sentence.
    await dialog.getByTestId('run-input-toggle-json').click();
    await dialog.getByTestId('run-submit').click();
    await dialog.getByTestId('run-input-json-issue').getByText('Query is required').waitFor();
    expect(startRequests).toEqual([]);
    await dialog.getByTestId('run-input-toggle-json').click();

    await query.fill('why is the sky blue');
    await dialog.getByTestId('run-submit').click();
    await dialog.waitFor({ state: 'hidden' });

    const bar = page.getByTestId('run-status-bar');
    await page.locator('[data-testid=run-status-bar][data-status=succeeded]').waitFor();
    const firstRunId = await bar.getAttribute('data-run-id');
    for (const id of ['question', 'writer', 'answer']) {
      await node(page, id).and(page.locator('[data-run-status=succeeded]')).waitFor();
    }

    // The agent's step: its output (the mock echoes the rendered prompt) and the attempt that served it.
    await node(page, 'writer').click();
    const step = page.getByTestId('step-details');
    await step.and(page.locator('[data-node-id=writer]')).waitFor();
    await step.getByTestId('step-output').getByText('Answer this: why is the sky blue').waitFor();
    const attempt = step.getByTestId('attempt-row');
    await attempt.first().waitFor();
    expect(await attempt.count()).toBe(1);
    expect(await attempt.getByTestId('attempt-served').textContent()).toBe('mock/echo');
    expect(await step.getByTestId('step-status').getAttribute('data-status')).toBe('succeeded');

    // Re-run from the agent: a new run, whose input step is reused and whose agent runs again.
    await step.getByTestId('rerun-from-node').click();
    await page.locator(`[data-testid=run-status-bar]:not([data-run-id="${firstRunId}"])`).waitFor();
    await page.locator('[data-testid=run-status-bar][data-status=succeeded]').waitFor();
    const secondRunId = await bar.getAttribute('data-run-id');
    expect(secondRunId).not.toBe(firstRunId);
    await node(page, 'question').click();
    await page
      .getByTestId('step-details')
      .getByText('Reused from the earlier run', { exact: false })
      .waitFor();

    // Both runs are in the workflow's run list; the newer one opens on its own page.
    await page.getByTestId('workflow-runs-tab').click();
    const rows = page.getByTestId('run-row');
    await expect.poll(() => rows.count()).toBe(2);
    await page.locator(`[data-testid=run-row][data-run-id="${secondRunId}"]`).getByTestId('run-link').click();
    await page.waitForURL(`**/runs/${secondRunId}`);
    await page.locator('[data-testid=run-status-bar][data-status=succeeded]').waitFor();
    await expect
      .poll(() => page.locator('[data-testid=canvas-node][data-run-status=succeeded]').count())
      .toBe(3);
    await page.getByTestId('run-output').getByText('why is the sky blue', { exact: false }).waitFor();

    // The provider health page counts the calls those runs made.
    await page.goto('/settings/providers');
    const health = page.locator('[data-testid=health-row][data-provider=mock][data-model=echo]');
    await health.getByTestId('breaker-state').getByText('Closed').waitFor();
    expect(errors).toEqual([]);
  });

  test('runs the sample multi-agent workflow out of the box: every node turns green', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const sample = sampleWorkflowDefinition();
    const workflowId = await createWorkflowViaApi(page, 'Research brief', sample);
    await page.goto(`/workflows/${workflowId}`);
    await page.getByTestId('canvas').waitFor();
    await page.getByTestId('run-workflow').click();
    const dialog = page.getByTestId('run-dialog');
    await dialog.getByTestId('run-input-query').fill('how do bees find flowers');
    await dialog.getByTestId('run-submit').click();
    await page.locator('[data-testid=run-status-bar][data-status=succeeded]').waitFor();
    for (const { id } of sample.nodes) {
      await node(page, id).and(page.locator('[data-run-status=succeeded]')).waitFor();
    }
    await node(page, 'writer').click();
    await page.getByTestId('step-output').getByText('how do bees find flowers', { exact: false }).waitFor();
    expect(errors).toEqual([]);
  });

  test('cancels a run while it is running', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const slow = {
      ...definition,
      nodes: definition.nodes.map((n) =>
        n.id === 'writer' ? { ...n, config: { ...n.config, model: 'delay:60000' } } : n,
      ),
    };
    const response = await page.request.post('/trpc/workflows.create', {
      data: { json: { name: 'Slow flow', definition: slow } },
    });
    expect(response.status()).toBe(200);
    const id = ((await response.json()) as { result: { data: { json: { id: string } } } }).result.data.json
      .id;
    await page.goto(`/workflows/${id}`);
    // An unsaved change: the run saves the draft first, and says so.
    await node(page, 'writer').click();
    await page.getByTestId('node-name-input').fill('Slow writer');
    await page.getByTestId('unsaved-indicator').waitFor();
    await page.getByTestId('run-workflow').click();
    await page.getByTestId('run-saves-first').waitFor();
    await page.getByTestId('run-input-query').fill('take your time');
    await page.getByTestId('run-submit').click();
    await page.getByTestId('saved-indicator').waitFor();

    await node(page, 'writer').and(page.locator('[data-run-status=running]')).waitFor();
    await node(page, 'question').and(page.locator('[data-run-status=succeeded]')).waitFor();
    await page.getByTestId('run-live').waitFor();
    await page.getByTestId('cancel-run').click();
    await page.locator('[data-testid=run-status-bar][data-status=cancelled]').waitFor();
    await node(page, 'writer').and(page.locator('[data-run-status=cancelled]')).waitFor();
    await node(page, 'answer').and(page.locator('[data-run-status=not-run]')).waitFor();
    // A finished run offers a re-run instead of a cancel.
    await page.getByTestId('rerun-run').waitFor();
    expect(await page.getByTestId('cancel-run').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  test('the runs list filters by status and the run page shows a failed step', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createWorkflowViaApi(page, 'Echo flow');
    // A second workflow whose agent always fails: mock model `fail`.
    const failing = {
      ...definition,
      nodes: definition.nodes.map((n) =>
        n.id === 'writer' ? { ...n, config: { ...n.config, model: 'fail' } } : n,
      ),
    };
    const response = await page.request.post('/trpc/workflows.create', {
      data: { json: { name: 'Failing flow', definition: failing } },
    });
    expect(response.status()).toBe(200);
    const failingId = ((await response.json()) as { result: { data: { json: { id: string } } } }).result.data
      .json.id;

    for (const id of [workflowId, failingId]) {
      const started = await page.request.post('/trpc/runs.start', {
        data: { json: { workflowId: id, input: { query: 'hello' } } },
      });
      expect(started.status()).toBe(200);
    }

    await page.goto('/runs');
    const rows = page.getByTestId('run-row');
    await expect.poll(() => rows.count()).toBe(2);
    await page.locator('[data-testid=run-row][data-status=failed]').waitFor();
    await page.locator('[data-testid=run-row][data-status=succeeded]').waitFor();

    await page.getByTestId('filter-status').selectOption('failed');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.getAttribute('data-status')).toBe('failed');
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');

    await rows.getByTestId('run-link').click();
    await page.locator('[data-testid=run-status-bar][data-status=failed]').waitFor();
    await node(page, 'writer').and(page.locator('[data-run-status=failed]')).waitFor();
    await node(page, 'writer').click();
    const step = page.getByTestId('step-details');
    await step.getByTestId('step-error').waitFor();
    await expect.poll(() => step.getByTestId('attempt-row').count()).toBeGreaterThan(0);
    expect(await step.locator('[data-testid=attempt-row][data-ok=false]').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
