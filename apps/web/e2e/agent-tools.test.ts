/**
 * An agent that calls tools, seen in a real browser on the run page: the mock provider, scripted
 * to send arguments that miss a required field and then correct ones, drives a real runner in
 * this process. The agent's step lists its turns (model, tokens, what it called) and its tool
 * calls (arguments, result, the refused call's error); a node bound as a tool shows its call's
 * status on the canvas.
 */
import { toolAgent } from '@swarm/runner/testing';
import { describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ runner: true });

const systemPrompt = [
  'You forecast the weather.',
  '@turn1 lookup_city {"town":"Paris"}',
  '@turn2 lookup_city {"city":"Paris"}',
  '@turn2 convert_temp {"celsius":21}',
].join('\n');

describe('an agent with tools', () => {
  test('shows its turns and tool calls on the run page', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const definition = toolAgent({ provider: 'mock', model: 'template:Forecast: {{input}}', systemPrompt });
    const created = await page.request.post('/trpc/workflows.create', {
      data: { json: { name: 'Forecaster', definition } },
    });
    expect(created.status()).toBe(200);
    const workflowId = ((await created.json()) as { result: { data: { json: { id: string } } } }).result.data
      .json.id;
    const started = await page.request.post('/trpc/runs.start', {
      data: { json: { workflowId, input: { city: 'Paris' } } },
    });
    expect(started.status()).toBe(200);
    const runId = ((await started.json()) as { result: { data: { json: { executionId: string } } } }).result
      .data.json.executionId;

    await page.goto(`/runs/${runId}`);
    await page.locator('[data-testid=run-status-bar][data-status=succeeded]').waitFor();
    // The tool nodes ran as tools: they show their calls' status.
    await page
      .locator('[data-testid=canvas-node][data-node-id="lookup"][data-run-status=succeeded]')
      .waitFor();
    // The steps list holds the graph's nodes, not the agent's turns.
    await expect.poll(() => page.getByTestId('run-step-row').count()).toBe(3);

    await page.locator('[data-testid=canvas-node][data-node-id="agent"]').click();
    const turns = page.getByTestId('step-details').getByTestId('agent-turns');
    await turns.waitFor();
    await expect.poll(() => turns.getByTestId('agent-turn').count()).toBe(3);
    await expect.poll(() => turns.getByTestId('agent-tool-call').count()).toBe(3);
    const refused = turns.locator('[data-testid=agent-tool-call][data-status=failed]');
    expect(await refused.count()).toBe(1);
    await refused.getByText('invalid_arguments', { exact: false }).waitFor();
    await refused.getByText('"town": "Paris"', { exact: false }).waitFor();
    await turns.getByTestId('agent-turn').first().getByText('called lookup_city').waitFor();
    await turns.getByText('"fahrenheit": 69.8', { exact: false }).waitFor();
    await turns.getByTestId('agent-turn').last().getByText('answered', { exact: false }).waitFor();
    expect(errors).toEqual([]);
  });
});
