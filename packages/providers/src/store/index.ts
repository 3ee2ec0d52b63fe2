/**
 * `@swarm/providers/store`: the Postgres-backed implementations of the router's ports (ports.ts) —
 * circuit breakers, the price book, the model map, latency stats, the provider event log — and the
 * encrypted credential store. They need `@swarm/db` (and `node:crypto`); the root entry stays the
 * pure part (types, router, adapters, cost, policy, ports) so it can be used without a database.
 */
export * from './breakers.ts';
export * from './compatible.ts';
export * from './credentials.ts';
export * from './events.ts';
export * from './latency.ts';
export * from './model-map.ts';
export * from './pricing.ts';
