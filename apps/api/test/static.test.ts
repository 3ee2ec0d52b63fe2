/**
 * The built web app served by the API: hashed assets are cached for good, pages revalidate, and
 * client-side routes load the single-page app.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';

const webDistDir = mkdtempSync(path.join(os.tmpdir(), 'swarm-web-dist-'));
mkdirSync(path.join(webDistDir, 'assets'));
writeFileSync(path.join(webDistDir, 'index.html'), '<!doctype html><title>SWARM</title>');
writeFileSync(path.join(webDistDir, 'assets', 'index-3f9a1c2b.js'), 'console.log(1)');
const api = useApiServer({ webDistDir });
afterAll(() => rmSync(webDistDir, { recursive: true, force: true }));

describe('serving the web app', () => {
  it('caches hashed assets as immutable and revalidates pages', async () => {
    const asset = await fetch(`${api.url}/assets/index-3f9a1c2b.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');

    for (const page of ['/', '/workflows/some-id/compare']) {
      const response = await fetch(`${api.url}${page}`);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('<title>SWARM</title>');
      expect(response.headers.get('cache-control') ?? '').not.toContain('immutable');
    }
    expect((await fetch(`${api.url}/api/nothing-here`)).status).toBe(404);
  });
});
