/**
 * OpenAI-compatible endpoints on the provider settings page in a real browser: a named credential
 * is added with a base URL, a key and an extra header (shown back only as the key's last
 * characters and the header's name), a link-local base URL is refused with the server's reason,
 * and a price typed in dollars for one of the endpoint's models is listed under it.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ secretKey: randomBytes(32).toString('base64') });

describe('OpenAI-compatible endpoints', () => {
  test('adds a named endpoint, refuses a metadata address, and prices a model', async () => {
    const { page, errors } = await app.newPage();
    await signUp(page);
    await page.goto('/settings/providers');
    const section = page.getByTestId('providers-compatible');
    await section.getByText('No endpoints yet.').waitFor();

    const key = 'gsk-e2e-secret-key-000000WXYZ';
    const headerValue = 'org-e2e-secret-header';
    const form = section.getByTestId('add-endpoint');
    await form.getByLabel('Name', { exact: true }).fill('groq');
    // A public address literal: this test machine has no DNS for real provider hosts.
    await form.getByLabel('Base URL').fill('https://93.184.216.34/openai/v1');
    await form.getByLabel('API key').fill(key);
    await form.getByLabel('Extra headers (Name: value, one per line)').fill(`X-Org: ${headerValue}`);
    await form.getByTestId('save-endpoint').click();

    const groq = section.getByTestId('compatible-groq');
    await groq.getByText('https://93.184.216.34/openai/v1').waitFor();
    await groq.getByTestId('endpoint-details').getByText('key ending in WXYZ · headers: X-Org').waitFor();
    expect(await page.content()).not.toContain(key);
    expect(await page.content()).not.toContain(headerValue);

    // The cloud metadata address is refused, with the reason on the base URL field.
    await form.getByLabel('Name', { exact: true }).fill('metadata');
    await form.getByLabel('Base URL').fill('http://169.254.169.254/');
    await form.getByLabel('API key').fill('anything');
    await form.getByTestId('save-endpoint').click();
    await form.getByText('link-local', { exact: false }).waitFor();
    expect(await section.getByTestId('compatible-metadata').count()).toBe(0);

    const price = groq.getByTestId('add-endpoint-price');
    await price.getByLabel('Model on groq').fill('llama-3.3-70b');
    await price.getByLabel('Input price, dollars per 1M tokens').fill('0.59');
    await price.getByLabel('Output price, dollars per 1M tokens').fill('0.79');
    await price.getByRole('button', { name: 'Add price' }).click();
    await groq.getByTestId('endpoint-price').getByText('$0.59 in / $0.79 out per 1M tokens').waitFor();

    const listed = await page.request.get('/trpc/providers.compatible.prices.list');
    expect(await listed.text()).toContain('"inputPerMillionMicros":590000');
    expect(errors).toEqual([]);
  });
});
