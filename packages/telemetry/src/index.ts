/**
 * `@swarm/telemetry`: Prometheus metrics (per-process registry, bounded labels, fleet gauges read
 * once per scrape), the runner's metrics endpoint, and OpenTelemetry traces of runs, steps and
 * provider attempts (GenAI semantic conventions), exported over OTLP/HTTP only when configured.
 */

export * from './env.ts';
export * from './metrics.ts';
export * from './metrics-server.ts';
export * from './model-labels.ts';
export * from './run-observer.ts';
export * from './run-trace.ts';
export * from './snapshot-gauges.ts';
export * from './tracing.ts';
