/**
 * Cross-site request forgery in a real browser: a signed-in user visits a page served from
 * another port of the same host. That page is same-site (SameSite=Lax still sends the session
 * cookie) but another origin; it tries what such pages can do without a CORS preflight — a
 * `no-cors` fetch importing a workflow as text/plain, a multipart `auth.logout`, a form POST — and
 * a JSON fetch, which needs a preflight. Nothing changes: the session stays valid, no workflow is
 * imported; the app itself, on its own origin, keeps working.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createWorkflow, signUp, useBrowserApp } from './harness.ts';

const app = useBrowserApp();

/** The attacker's site: one page with a form that posts a multipart logout to the API. */
let attacker: Server | undefined;
let attackerUrl = '';
beforeAll(async () => {
  attacker = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Win a prize</title>
<form id="forged" method="POST" action="${app.url}/trpc/auth.logout" enctype="multipart/form-data">
  <input name="x" value="1"><button type="submit">Claim</button>
</form>`);
  });
  await new Promise<void>((resolve) => attacker!.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
});

/** A query with the page's cookie (from the test, not from a page: no Origin header). */
async function query<T>(page: Page, path: string, input?: unknown): Promise<T> {
  const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  const response = await page.request.get(`/trpc/${path}${search}`);
  const body = (await response.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (!response.ok() || !body.result)
    throw new Error(`${path}: ${response.status()} ${JSON.stringify(body.error)}`);
  return body.result.data.json;
}

describe('cross-site request forgery', () => {
  test('a page on another port cannot import, log out or create with the session cookie', async () => {
    const { page, errors } = await app.newPage();
    const email = await signUp(page);
    const workflowId = await createWorkflow(page, 'Victim flow');
    const exported = await page.request.get(`/api/workflows/${workflowId}/export`);
    expect(exported.status()).toBe(200);
    const documentText = await exported.text();
    const count = async () => (await query<{ items: unknown[] }>(page, 'workflows.list', {})).items.length;
    expect(await count()).toBe(1);

    await page.goto(attackerUrl);
    const outcomes = await page.evaluate(
      async ({ api, documentText }) => {
        const results: string[] = [];
        // What a form or a `no-cors` fetch may send: the response is opaque, the request is not stopped.
        await fetch(`${api}/api/workflows/import`, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          headers: { 'content-type': 'text/plain' },
          body: documentText,
        });
        results.push('import sent');
        await fetch(`${api}/trpc/auth.logout`, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          body: new FormData(),
        });
        results.push('logout sent');
        await fetch(`${api}/trpc/workflows.create`, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          body: JSON.stringify({ json: { name: 'Forged without a type' } }),
        });
        results.push('create sent');
        // JSON needs a CORS preflight, which the API never approves: the browser stops it.
        try {
          await fetch(`${api}/trpc/workflows.create`, {
            method: 'POST',
            credentials: 'include',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ json: { name: 'Forged JSON' } }),
          });
          results.push('json fetch answered');
        } catch {
          results.push('json fetch blocked');
        }
        return results;
      },
      { api: app.url, documentText },
    );
    expect(outcomes).toEqual(['import sent', 'logout sent', 'create sent', 'json fetch blocked']);

    // A real form submission: the browser lands on the API's refusal.
    const [answer] = await Promise.all([
      page.waitForResponse((response) => response.url().endsWith('/trpc/auth.logout')),
      page.getByRole('button', { name: 'Claim' }).click(),
    ]);
    expect(answer.status()).toBe(403);
    expect(answer.request().headers().origin).toBe(attackerUrl);
    expect(await answer.text()).toContain('Cross-origin request refused');

    // Still signed in, nothing imported or created.
    expect((await query<{ email: string }>(page, 'auth.me')).email).toBe(email);
    expect(await count()).toBe(1);

    // Back on our own origin the app still changes things (a same-origin mutation from the page).
    await page.goto('/');
    await page.getByTestId('workflow-row').first().waitFor();
    await createWorkflow(page, 'Made on our own page');
    expect(await count()).toBe(2);
    expect(errors).toEqual([]);
  });
});
