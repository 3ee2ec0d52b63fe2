/**
 * The published build: `dist/index.js` (ESM, platform-neutral: Node ≥ 20 and browsers) and one
 * bundled `dist/index.d.ts`. In the declarations `@swarm/api-router` is swapped for the
 * self-contained router types that `scripts/emit-router-types.ts` writes, so nothing in `dist`
 * points at this repository; `@trpc/*`, `superjson` and `eventsource` stay imports of the
 * package's own dependencies.
 */
import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  tsconfig: 'tsconfig.build.json',
  dts: true,
  // tRPC's own declarations use `Disposable`/`AsyncDisposable`: without this, an app with the
  // default `lib` and `skipLibCheck: false` fails typechecking inside node_modules/@trpc/server.
  banner: { dts: '/// <reference lib="esnext.disposable" />' },
});
