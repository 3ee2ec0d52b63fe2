/**
 * A sender-preset webhook in a real browser: choosing Stripe shows where the URL and the signing
 * secret go, the secret is pasted (and never shown back), an event filter is set; then a delivery
 * signed the way Stripe signs starts a run and shows its event in the call log, an event outside
 * the filter is logged as ignored, and "Send test" sends a Stripe-signed request too. (The
 * signatures themselves are checked against Stripe's own library in apps/api/test.)
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ secretKey: randomBytes(32).toString('base64') });

const definition = {
  nodes: [
    { id: 'in', type: 'input', name: 'In', position: { x: 0, y: 100 }, config: {} },
    { id: 'out', type: 'output', name: 'Out', position: { x: 320, y: 100 }, config: {} },
  ],
  edges: [{ id: 'e-in-out', source: 'in', target: 'out' }],
  inputSchema: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
};

async function createWorkflowViaApi(page: Page): Promise<string> {
  const response = await page.request.post('/trpc/workflows.create', {
    data: { json: { name: 'Stripe flow', definition } },
  });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
}

/** A delivery as Stripe sends it: `Stripe-Signature: t=<now>,v1=<hex HMAC of "t.body">`. */
async function deliverStripeEvent(url: string, secret: string, event: object) {
  const body = JSON.stringify(event);
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${v1}` },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('sender presets in the webhook panel', () => {
  test('a Stripe webhook: setup guide, pasted secret, event filter, a signed delivery and Send test', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    const workflowId = await createWorkflowViaApi(page);
    await page.goto(`/workflows/${workflowId}`);
    await page.getByTestId('canvas-node').first().waitFor();
    await page.getByTestId('webhooks-toggle').click();
    await page.getByTestId('new-webhook').click();

    const form = page.getByTestId('webhook-form');
    await form.getByTestId('webhook-auth-stripe').check();
    await form
      .getByTestId('webhook-sender-setup')
      .getByText('Signing secret (whsec_…)', { exact: false })
      .waitFor();
    await form.getByTestId('webhook-mapping').fill('{ "topic": type }');
    await form.getByTestId('webhook-event-filter-input').fill('invoice.*');
    // No secret yet: said on the field, nothing created.
    await form.getByTestId('webhook-submit').click();
    await form.getByText(/paste the signing secret from Stripe/).waitFor();
    const secret = 'whsec_pasted_from_the_stripe_dashboard';
    await form.getByTestId('webhook-secret-input').fill(secret);
    await form.getByTestId('webhook-submit').click();

    const item = page.getByTestId('webhook-item');
    await item.getByTestId('webhook-sender-guide').getByText('Connect Stripe').waitFor();
    await item.getByTestId('webhook-event-filter').getByText('invoice.*', { exact: false }).waitFor();
    // Write-only: the pasted secret is not shown back, and there is no curl example to sign with it.
    expect(await item.getByTestId('webhook-secret-reveal').count()).toBe(0);
    expect(await item.getByTestId('webhook-curl').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    const webhookUrl = ((await item.getByTestId('webhook-url').textContent()) ?? '').trim();
    expect(webhookUrl).toMatch(/\/webhooks\/[0-9a-f-]{36}$/);
    const paid = await deliverStripeEvent(webhookUrl, secret, {
      id: 'evt_paid_1',
      object: 'event',
      type: 'invoice.paid',
    });
    expect(paid.status).toBe(202);
    const ignored = await deliverStripeEvent(webhookUrl, secret, {
      id: 'evt_customer_1',
      object: 'event',
      type: 'customer.created',
    });
    expect(ignored).toEqual({ status: 200, body: { ignored: true, event: 'customer.created' } });

    await item.getByTestId('webhook-logs-toggle').click();
    const accepted = item.locator('[data-testid=webhook-log][data-outcome=accepted][data-source=http]');
    await accepted.getByTestId('webhook-log-event').getByText('invoice.paid').waitFor();
    await item
      .locator('[data-testid=webhook-log][data-outcome=ignored]')
      .getByTestId('webhook-log-event')
      .getByText('customer.created')
      .waitFor();

    // Send test starts from a Stripe event and is signed the way Stripe signs.
    await item.getByTestId('webhook-send-test').click();
    const dialog = page.getByTestId('webhook-test-dialog');
    await dialog.getByText(/signed the way Stripe signs/).waitFor();
    await dialog.getByTestId('webhook-test-submit').click();
    await dialog.getByTestId('webhook-test-result').waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await item
      .locator('[data-testid=webhook-log][data-outcome=accepted][data-source=test]')
      .getByTestId('webhook-log-event')
      .getByText('invoice.paid')
      .waitFor();
    expect(errors).toEqual([]);
  });
});
