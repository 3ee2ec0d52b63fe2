/**
 * No page sends a request the server refuses for its size: the batched queries of a page stay
 * within the API's route-parameter and URL limits (a batch's procedure names travel in the path),
 * so nothing answers 414 and nothing waits on a retry.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { MAX_URL_LENGTH } from '../src/trpc.ts';
import { signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp({ secretKey: randomBytes(32).toString('base64') });

describe('request limits', () => {
  test('the providers page loads its batched queries without a 414, every URL within the limit', async () => {
    const { page, errors } = await app.newPage();
    const trpcCalls: Array<{ url: string; status: number }> = [];
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.startsWith('/trpc/'))
        trpcCalls.push({ url: response.url(), status: response.status() });
    });
    await signUp(page);
    await page.getByRole('link', { name: 'Providers', exact: true }).click();
    await page.getByRole('heading', { name: 'Providers', exact: true }).waitFor();
    await page.getByTestId('provider-key-openai').getByText('No key set').waitFor();
    // A reload sends the page's queries together, in one batch when nothing splits it.
    await page.reload();
    await page.getByTestId('provider-key-openai').getByText('No key set').waitFor();

    expect(trpcCalls.length).toBeGreaterThan(0);
    expect(trpcCalls.filter((call) => call.status === 414)).toEqual([]);
    expect(trpcCalls.filter((call) => call.url.length - app.url.length > MAX_URL_LENGTH)).toEqual([]);
    expect(errors).toEqual([]);
  });
});
