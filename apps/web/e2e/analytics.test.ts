/**
 * Costs in a real browser, on data made the real way: a price for the offline mock model, runs of
 * a workflow on it executed by a real runner in this process (each run's agent calls cost exactly
 * what its tokens × the price say), and one run on a mock model that has no price. The dashboard
 * must show those totals to the micro-dollar, the unpriced attempt as a count, a drawn chart, and
 * the workflow in the most-expensive table; a budget created in the UI shows its progress.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { formatDollars, microsToDecimal } from '../src/money/money.ts';
import { type Session, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ runner: true });

/** $50,000 and $100,000 per million tokens (five and ten cents a token): a run costs dollars. */
const INPUT_PER_MILLION = 50_000_000_000;
const OUTPUT_PER_MILLION = 100_000_000_000;

const definition = (model: string) => ({
  nodes: [
    { id: 'question', type: 'input', name: 'Question', position: { x: 0, y: 0 }, config: {} },
    {
      id: 'writer',
      type: 'agent',
      name: 'Writer',
      position: { x: 300, y: 0 },
      config: { role: 'writer', provider: 'mock', model, prompt: 'Answer: {{input.query}}' },
    },
    { id: 'answer', type: 'output', name: 'Answer', position: { x: 600, y: 0 }, config: {} },
  ],
  edges: [
    { id: 'e1', source: 'question', target: 'writer' },
    { id: 'e2', source: 'writer', target: 'answer' },
  ],
});

async function trpc<T>(page: Page, kind: 'query' | 'mutation', path: string, input: unknown): Promise<T> {
  const response =
    kind === 'mutation'
      ? await page.request.post(`/trpc/${path}`, { data: { json: input } })
      : await page.request.get(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`);
  const body = (await response.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (!response.ok() || !body.result)
    throw new Error(`${path}: ${response.status()} ${JSON.stringify(body.error)}`);
  return body.result.data.json;
}

interface Attempt {
  usage: { inputTokens: number; outputTokens: number } | null;
  costMicros: number | null;
  costStatus: string;
}
interface RunView {
  id: string;
  status: string;
  costMicros: number | null;
  steps: { nodeId: string; attempts: Attempt[] }[];
}

/** Starts a run and waits (on the API, not the clock) until it has finished. */
async function runToEnd(page: Page, workflowId: string, query: string, versionId?: string): Promise<RunView> {
  const { executionId: id } = await trpc<{ executionId: string }>(page, 'mutation', 'runs.start', {
    workflowId,
    input: { query },
    ...(versionId ? { versionId } : {}),
  });
  // vi.waitFor, not expect.poll: this also runs in beforeAll, outside any test.
  return vi.waitFor(
    async () => {
      const run = await trpc<RunView>(page, 'query', 'runs.get', { id });
      if (run.status !== 'succeeded') throw new Error(`run ${id} is ${run.status}, not succeeded`);
      return run;
    },
    { timeout: 20_000, interval: 50 },
  );
}

/**
 * A zone where it is about noon right now, so "today", "this week" and "this month" cannot roll
 * over while the test runs. (Etc/GMT signs are inverted: Etc/GMT-5 is UTC+5.) Offset 0 is `UTC`,
 * the name Chromium reports for `Etc/GMT` too — the page shows the reported name, so the test ran
 * red from 12:00 to 12:59 UTC when it expected `Etc/GMT`.
 */
function noonTimeZone(now = new Date()): string {
  const offset = 12 - now.getUTCHours();
  return offset === 0 ? 'UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

/** The browser's time zone, which the dashboard counts days and weeks in. */
async function useTimeZone(page: Page, timeZone: string) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId: timeZone });
}

/** The dashboard writes every amount with the app's money helper; the amounts come from usage × price. */
const dollars = (micros: number) => formatDollars(micros);

interface Seeded {
  session: Session;
  timeZone: string;
  priced: string;
  unpriced: string;
  /** The run on the unpriced model, and one of the priced runs. */
  unpricedRun: string;
  pricedRun: string;
  pricedRunCost: number;
  /** What the two priced runs cost, from their usage × the price. */
  expected: number;
  /** Input tokens of all three runs. */
  inputTokens: number;
}

/**
 * Signs up and makes the data the real way: a price for `mock/echo`, two runs of a workflow on it
 * pinned to a committed version, and one run on an unpriced model, all executed by the runner.
 * The runs go at once (the runner takes two at a time) and are waited for on the API.
 */
async function seedCosts(): Promise<Seeded> {
  const { page } = await app.newPage();
  const timeZone = noonTimeZone();
  await signUp(page);
  await trpc(page, 'mutation', 'providers.pricing.upsert', {
    provider: 'mock',
    model: 'echo',
    effectiveFrom: new Date(Date.now() - 60_000).toISOString(),
    inputPerMillionMicros: INPUT_PER_MILLION,
    outputPerMillionMicros: OUTPUT_PER_MILLION,
  });
  const [priced, unpriced] = await Promise.all([
    trpc<{ id: string }>(page, 'mutation', 'workflows.create', {
      name: 'Priced flow',
      definition: definition('echo'),
    }),
    trpc<{ id: string }>(page, 'mutation', 'workflows.create', {
      name: 'Unpriced flow',
      definition: definition('delay:1'),
    }),
  ]);
  // The priced runs pin a committed version, whose history then shows what they cost.
  const version = await trpc<{ id: string }>(page, 'mutation', 'versions.create', {
    workflowId: priced.id,
    commitMessage: 'Priced',
  });
  const [first, second, unpricedRun] = await Promise.all([
    runToEnd(page, priced.id, 'why is the sky blue', version.id),
    runToEnd(page, priced.id, 'how do bees find flowers in a meadow', version.id),
    runToEnd(page, unpriced.id, 'no price for this one'),
  ]);
  // Every priced attempt costs its tokens at the price above: the known answer, from usage alone.
  let expected = 0;
  let inputTokens = 0;
  for (const run of [first, second]) {
    const attempts = run.steps.flatMap((step) => step.attempts);
    expect(attempts).toHaveLength(1);
    const [attempt] = attempts as [Attempt];
    expect(attempt.costStatus).toBe('priced');
    const usage = attempt.usage as { inputTokens: number; outputTokens: number };
    const cost =
      (usage.inputTokens * INPUT_PER_MILLION + usage.outputTokens * OUTPUT_PER_MILLION) / 1_000_000;
    expect(attempt.costMicros).toBe(cost);
    expected += cost;
    inputTokens += usage.inputTokens;
  }
  expect(expected).toBeGreaterThan(1_000_000);
  const [unpricedAttempt] = unpricedRun.steps.flatMap((s) => s.attempts);
  expect(unpricedAttempt?.costStatus).toBe('unpriced');
  // Unpriced attempts still used tokens: they count in the token totals.
  inputTokens += unpricedAttempt?.usage?.inputTokens ?? 0;
  const session = await page.context().storageState();
  return {
    session,
    timeZone,
    priced: priced.id,
    unpriced: unpriced.id,
    unpricedRun: unpricedRun.id,
    pricedRun: first.id,
    pricedRunCost: first.costMicros ?? Number.NaN,
    expected,
    inputTokens,
  };
}

// One user's costs, seeded once; each test below checks one view of them in its own signed-in
// page, so none of them carries the whole journey (and its seeding) inside one test's time limit.
describe('the cost dashboard', () => {
  let seeded: Seeded;
  beforeAll(async () => {
    seeded = await seedCosts();
  });

  /** A page signed in as the seeded user, in the zone where it is about noon. */
  async function openPage() {
    const opened = await app.newPage({ session: seeded.session });
    await useTimeZone(opened.page, seeded.timeZone);
    return opened;
  }

  test('shows the seeded totals to the cent, the unpriced attempt as a count, and draws the charts', async () => {
    const { page, errors } = await openPage();
    const { timeZone, expected, inputTokens, priced, unpriced } = seeded;
    await page.goto('/');
    await page.getByRole('link', { name: 'Costs' }).click();
    await page.waitForURL('**/analytics');
    await page.getByText(`in your time zone (${timeZone})`).waitFor();
    for (const period of ['today', 'thisWeek', 'thisMonth', 'allTime']) {
      const card = page.getByTestId(`total-${period}`);
      await card.getByTestId('total-cost').getByText(dollars(expected), { exact: true }).waitFor();
      await card
        .getByTestId('total-unpriced')
        .getByText('1 attempt without a price', { exact: true })
        .waitFor();
    }
    const inRange = page.getByTestId('range-cost');
    await inRange.getByTestId('figure-value').getByText(dollars(expected), { exact: true }).waitFor();
    // Cost per successful run averages the two priced runs; the run with an unpriced attempt has an
    // unknown cost, so it is left out (and said so), not averaged in as $0.
    const perRun = page.getByTestId('per-run');
    await perRun
      .getByTestId('figure-value')
      .getByText(dollars(Math.round(expected / 2)), { exact: true })
      .waitFor();
    await perRun
      .getByTestId('figure-note')
      .getByText('3 successful runs · excludes 1 run of unknown cost', { exact: true })
      .waitFor();
    await page
      .getByTestId('fallback-rate')
      .getByTestId('figure-value')
      .getByText('0%', { exact: true })
      .waitFor();

    // The charts are drawn: a bar with a height (today's spend) in the trend, and in the provider ×
    // model stack; empty buckets are drawn as zero-height bars.
    const drawnBars = '.recharts-surface .recharts-bar-rectangle rect:not([height="0"])';
    const trendBars = page.getByTestId('trend-chart').locator(drawnBars);
    await trendBars.first().waitFor();
    expect(await trendBars.count()).toBe(1);
    const stack = page.getByTestId('provider-model-chart');
    await stack.locator(drawnBars).first().waitFor();
    expect(await stack.getAttribute('data-series')).toBe('echo');
    await page.getByTestId('provider-panel').getByText('mock/delay:1: 1 attempt without a price').waitFor();
    await page
      .locator('[data-testid=token-bars] [data-testid=ranked-row][data-name=Input]')
      .getByTestId('ranked-value')
      .getByText(String(inputTokens), { exact: true })
      .waitFor();

    // The most expensive workflows: ours first, at its cost; the name opens its runs.
    const row = page.locator(`[data-testid=expensive-row][data-workflow-id="${priced}"]`);
    await row.getByTestId('expensive-cost').getByText(dollars(expected), { exact: true }).waitFor();
    expect(await page.getByTestId('expensive-row').first().getAttribute('data-workflow-id')).toBe(priced);
    await page
      .locator(`[data-testid=expensive-row][data-workflow-id="${unpriced}"]`)
      .getByText('1 attempt without a price')
      .waitFor();
    await page
      .locator(`[data-testid=expensive-row][data-workflow-id="${unpriced}"]`)
      .getByTestId('expensive-per-run-excluded')
      .getByText('excludes 1 run of unknown cost', { exact: true })
      .waitFor();
    await row
      .getByTestId('expensive-per-run')
      .getByText(dollars(Math.round(expected / 2)), { exact: true })
      .waitFor();
    expect(errors).toEqual([]);
  });

  test('shows the unpriced run\'s cost as "unknown", never $0.00: runs list, run page, dashboard', async () => {
    const { page, errors } = await openPage();
    const { unpricedRun, pricedRun, pricedRunCost, unpriced } = seeded;
    await page.goto('/runs');
    const row = (id: string) =>
      page.locator(`[data-testid=run-row][data-run-id="${id}"]`).getByTestId('run-row-cost');
    await row(unpricedRun).getByText('unknown', { exact: true }).waitFor();
    expect(await row(unpricedRun).textContent()).not.toContain('$');
    await row(pricedRun).getByText(dollars(pricedRunCost), { exact: true }).waitFor();

    // The run page: the status bar and the agent's step say "unknown" and why.
    await page.goto(`/runs/${unpricedRun}`);
    const cost = page.getByTestId('run-cost');
    await cost.getByText('unknown', { exact: true }).waitFor();
    expect(await cost.getAttribute('title')).toBe(
      '1 provider call of unknown cost (no price for the model, or no usage reported)',
    );
    await page.getByTestId('step-cost').getByText('unknown', { exact: true }).waitFor();
    expect(await page.getByTestId('run-status-bar').textContent()).not.toContain('$0.00');

    // The dashboard: the workflow made only of unpriced attempts has an unknown cost, not $0.00.
    await page.goto('/analytics');
    const expensive = page.locator(`[data-testid=expensive-row][data-workflow-id="${unpriced}"]`);
    await expensive.getByTestId('expensive-cost').getByTestId('cost-unknown').waitFor();
    expect(await expensive.textContent()).not.toContain('$0.00');
    expect(errors).toEqual([]);
  });

  test('exports the range as CSV, narrows everything to one workflow, and opens its runs', async () => {
    const { page, errors } = await openPage();
    const { expected, priced, unpriced } = seeded;
    await page.goto('/analytics');
    await page
      .getByTestId('range-cost')
      .getByTestId('figure-value')
      .getByText(dollars(expected), { exact: true })
      .waitFor();
    const row = page.locator(`[data-testid=expensive-row][data-workflow-id="${priced}"]`);
    // The CSV button downloads the same range's attempts: the seeded three, adding up to the total.
    const csvHref = await page.getByTestId('export-csv').getAttribute('href');
    const csv = await page.request.get(csvHref ?? '');
    expect(csv.status()).toBe(200);
    const [header, ...lines] = (await csv.text()).trim().split('\r\n');
    // cost_micros is third from the end: counting from there, a quoted comma earlier cannot shift it.
    expect((header ?? '').split(',').slice(-3)).toEqual(['cost_micros', 'cost_usd', 'cost_status']);
    expect(lines).toHaveLength(3);
    const costs = lines.map((line) => line.split(',').at(-3));
    expect(costs.filter((cost) => cost === '')).toHaveLength(1);
    expect(costs.reduce((sum, cost) => sum + Number(cost || 0), 0)).toBe(expected);

    // The CSV link carries the filters; choosing a workflow narrows everything to it.
    await page.getByTestId('analytics-workflow').selectOption(unpriced);
    await page
      .getByTestId('range-cost')
      .getByTestId('figure-value')
      .getByText('unknown', { exact: true })
      .waitFor();
    expect(await page.getByTestId('export-csv').getAttribute('href')).toContain(`workflowId=${unpriced}`);
    await page.getByTestId('analytics-workflow').selectOption('');
    await row.getByTestId('expensive-link').click();
    await page.waitForURL(`**/workflows/${priced}/runs`);
    await expect.poll(() => page.getByTestId('run-row').count()).toBe(2);
    expect(errors).toEqual([]);
  });

  test("shows what the pinned version cost in the editor's version history", async () => {
    const { page, errors } = await openPage();
    const { expected, priced } = seeded;
    await page.goto(`/workflows/${priced}`);
    await page.getByTestId('versions-toggle').click();
    await page
      .getByTestId('version-cost')
      .getByText(`${dollars(expected)} spent · ${dollars(Math.round(expected / 2))} per run`, { exact: true })
      .waitFor();
    expect(errors).toEqual([]);
  });

  test('a custom range that ended before today is empty; a reversed one is refused in place', async () => {
    const { page, errors } = await openPage();
    await page.goto('/analytics?range=custom&from=2025-01-01&to=2025-01-31');
    await page
      .getByTestId('range-cost')
      .getByTestId('figure-value')
      .getByText('$0.00', { exact: true })
      .waitFor();
    await page.getByTestId('trend-panel').getByTestId('chart-empty').waitFor();
    await page.getByTestId('range-to').fill('2024-12-01');
    await page.getByTestId('range-error').getByText('The end date is before the start date').waitFor();
    expect(errors).toEqual([]);
  });

  test("a budget created in the UI shows this month's spend against its limit", async () => {
    const { page, errors } = await openPage();
    const { expected } = seeded;
    await page.goto('/analytics');
    await page.getByRole('link', { name: 'Budgets' }).first().click();
    await page.waitForURL('**/budgets');
    await page.getByTestId('budgets-empty').waitFor();
    await page.getByTestId('new-budget').click();
    const dialog = page.getByTestId('budget-dialog');
    await dialog.getByTestId('budget-scope-select').selectOption('global');
    await dialog.getByTestId('budget-limit').fill(microsToDecimal(expected * 2));
    await dialog.getByTestId('budget-thresholds').fill('50, 150');
    await dialog.getByTestId('budget-submit').click();
    await dialog.getByText('150% is outside 1–100').waitFor();
    await dialog.getByTestId('budget-thresholds').fill('50, 90');
    await dialog.getByTestId('budget-blocking-input').check();
    await dialog.getByTestId('budget-submit').click();
    await dialog.waitFor({ state: 'hidden' });

    const budget = page.getByTestId('budget-row');
    await budget
      .getByTestId('budget-spent')
      .getByText(`${dollars(expected)} of ${dollars(expected * 2)}`, { exact: false })
      .waitFor();
    expect(await budget.getByTestId('budget-progress').getAttribute('aria-valuenow')).toBe('50');
    // The unpriced run's call is not in the spend (its cost is unknown), and the budget says so.
    await budget
      .getByTestId('budget-unknown')
      .getByText('Not counted: 1 provider call', { exact: false })
      .waitFor();
    await budget.getByTestId('budget-blocking').waitFor();
    expect(await budget.getAttribute('data-state')).toBe('warning');
    // Reaching 50% on creation recorded that threshold's alert.
    const alert = page.getByTestId('alert-row');
    await alert.getByText('50%', { exact: true }).waitFor();
    expect(await alert.count()).toBe(1);

    // Editing the limit to what was spent makes it exceeded (and blocking).
    await budget.getByTestId('edit-budget').click();
    await dialog.getByTestId('budget-limit').fill(microsToDecimal(expected));
    await dialog.getByTestId('budget-submit').click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('[data-testid=budget-row][data-state=exceeded]').waitFor();
    await budget.getByTestId('budget-blocked').waitFor();

    await budget.getByTestId('delete-budget').click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('budgets-empty').waitFor();
    expect(errors).toEqual([]);
  });

  test('a new account sees empty states, not zeros pretending to be data', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await page.goto('/analytics');
    await page
      .getByTestId('total-allTime')
      .getByTestId('total-cost')
      .getByText('$0.00', { exact: true })
      .waitFor();
    await page.getByTestId('trend-panel').getByTestId('chart-empty').waitFor();
    await page.getByTestId('expensive-empty').waitFor();
    await page.getByTestId('usage-panel').getByTestId('chart-empty').waitFor();
    expect(await page.getByTestId('total-unpriced').count()).toBe(0);

    // Someone else's (or no) workflow in the URL: the API's NOT_FOUND is shown, with a retry.
    await page.goto('/analytics?workflow=00000000-0000-4000-8000-000000000000');
    await page
      .getByTestId('analytics-page')
      .getByRole('alert')
      .first()
      .getByText(/not found/i)
      .waitFor();
    expect(errors).toEqual([]);
  });
});
