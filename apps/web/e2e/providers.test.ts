/**
 * The provider settings page in a real browser: API keys are write-only (set, shown as "set" with
 * a hint, replaced, deleted — never shown back), a price typed in dollars is stored as exact
 * micro-dollars, and model equivalents are added and edited.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ secretKey: randomBytes(32).toString('base64') });

describe('provider settings', () => {
  test('sets, replaces and deletes an API key without ever showing it', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await page.getByRole('link', { name: 'Providers', exact: true }).click();
    await page.getByRole('heading', { name: 'Providers', exact: true }).waitFor();

    const openai = page.getByTestId('provider-key-openai');
    await openai.getByText('No key set').waitFor();
    await openai.getByTestId('set-key').click();
    // Too short: the server's message shows on the field.
    await openai.getByTestId('key-input').fill('sk-1');
    await openai.getByTestId('save-key').click();
    await openai.getByText('at least 8 characters').waitFor();

    const secret = 'sk-test-abcdefgh12345678WXYZ';
    await openai.getByTestId('key-input').fill(secret);
    await openai.getByTestId('save-key').click();
    await page.locator('[data-testid=provider-key-openai][data-set=true]').waitFor();
    await openai.getByTestId('key-state').getByText('WXYZ', { exact: false }).waitFor();
    expect(await page.content()).not.toContain(secret);
    expect(await page.getByTestId('provider-key-anthropic').getAttribute('data-set')).toBe('false');

    // The list the page reads carries no key either.
    const listed = await page.request.get('/trpc/providers.credentials.list');
    expect(await listed.text()).not.toContain(secret);

    await page.reload();
    await page.locator('[data-testid=provider-key-openai][data-set=true]').waitFor();
    await openai.getByTestId('set-key').click();
    await openai.getByTestId('key-input').fill('sk-test-replaced-key-QRST');
    await openai.getByTestId('save-key').click();
    await openai.getByTestId('key-state').getByText('QRST', { exact: false }).waitFor();

    await openai.getByTestId('delete-key').click();
    await page.getByTestId('confirm-button').click();
    await page.locator('[data-testid=provider-key-openai][data-set=false]').waitFor();
    await openai.getByText('No key set').waitFor();
    expect(errors).toEqual([]);
  });

  test('adds a price typed in dollars as exact micro-dollars, and edits the model map', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await page.goto('/settings/providers');
    await page.getByTestId('pricing-table').waitFor();

    await page.getByTestId('add-price').click();
    const form = page.getByTestId('add-price-form');
    await form.getByTestId('new-price-provider').selectOption('gemini');
    await form.getByTestId('new-price-model').fill('e2e-model');
    await form.getByTestId('new-price-inputPerMillionMicros').fill('1e3');
    await form.getByTestId('new-price-outputPerMillionMicros').fill('-1');
    await form.getByTestId('save-price').click();
    await form.getByText('without an exponent', { exact: false }).waitFor();
    await form.getByText('must not be negative').waitFor();

    await form.getByTestId('new-price-inputPerMillionMicros').fill('0.075');
    await form.getByTestId('new-price-outputPerMillionMicros').fill('8.2');
    await form.getByTestId('save-price').click();
    await form.waitFor({ state: 'detached' });
    const row = page.locator('[data-testid=price-row][data-provider=gemini][data-model=e2e-model]');
    await row.waitFor();
    expect(await row.getByTestId('price-inputPerMillionMicros').textContent()).toBe('$0.075');
    expect(await row.getByTestId('price-outputPerMillionMicros').textContent()).toBe('$8.20');

    // What the server stored: exact integers (8.2 × 10⁶ in floating point would be 8199999.999…).
    const response = await page.request.get(
      `/trpc/providers.pricing.list?input=${encodeURIComponent(JSON.stringify({ json: { provider: 'gemini', model: 'e2e-model' } }))}`,
    );
    const body = (await response.json()) as {
      result: { data: { json: Array<{ inputPerMillionMicros: number; outputPerMillionMicros: number }> } };
    };
    expect(body.result.data.json).toMatchObject([
      { inputPerMillionMicros: 75_000, outputPerMillionMicros: 8_200_000 },
    ]);

    // Model map: gpt-e2e stands in as anthropic/claude-e2e, then gains a second stand-in.
    await page.getByTestId('add-mapping').click();
    const editor = page.getByTestId('mapping-editor');
    await editor.getByTestId('mapping-from-model').fill('gpt-e2e');
    await editor.getByTestId('mapping-to-0-model').fill('claude-e2e');
    await editor.getByTestId('save-mapping').click();
    const mapping = page.locator('[data-testid=model-map-row][data-from="openai/gpt-e2e"]');
    await mapping.getByText('anthropic/claude-e2e').waitFor();

    await mapping.getByTestId('edit-mapping').click();
    await mapping.getByRole('button', { name: '+ Add stand-in' }).click();
    await mapping.getByTestId('mapping-to-1-model').fill('gemini-e2e');
    await mapping.getByTestId('save-mapping').click();
    await mapping.getByText('gemini/gemini-e2e').waitFor();
    expect(errors).toEqual([]);
  });
});
