/**
 * `@swarm/engine/server`: the parts of the engine that need Node — running workflows (the executor
 * and its expression worker pool, `child_process`), outbound HTTP behind the address guard
 * (`node:http`, `node:dns`), the `http` node and the registry that includes it, and loading node
 * type packages from disk. The API and the runner import these; the browser editor never does,
 * which `pnpm lint` (dependency-cruiser) enforces.
 */
export * from './executor.ts';
export * from './expression-pool.ts';
export * from './expression-pool-settings.ts';
export * from './guarded-fetch.ts';
export * from './node-packages.ts';
export * from './nodes/http.ts';
export * from './outbound-http.ts';
export * from './registry.ts';
export * from './ssrf-guard.ts';
