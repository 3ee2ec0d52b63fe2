/**
 * SWARM's Prometheus metrics: one registry per process (API instance or runner), so every process
 * exports only what it saw and a scrape of several instances adds up. Updates on hot paths are a
 * counter increment or a histogram observation on label values already bounded — no run ids, no
 * users, model names capped (`model-labels.ts`) — and never a database query. Fleet-wide facts
 * (queue depth, breakers, budgets) are read from Postgres when scraped, at most once per
 * `snapshotTtlMs` (`snapshot-gauges.ts`).
 */
import type { AttemptRecord, ExecutionTrigger } from '@swarm/engine';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { createModelLabels, type ModelLabelOptions } from './model-labels.ts';
import { registerSnapshotGauges, type SnapshotGaugeOptions } from './snapshot-gauges.ts';

/** Connections of a process's database pool, when the pool can say. */
export interface PoolStats {
  /** Connections running a query or held by a transaction. */
  inUse: number;
  /** Connections open and idle. */
  idle: number;
  /** Queries waiting for a connection. */
  waiting: number;
}

export interface MetricsOptions extends ModelLabelOptions, Partial<SnapshotGaugeOptions> {
  /** `api` or `runner`: a constant `service` label on every series. */
  service: 'api' | 'runner';
  poolStats?: (() => PoolStats) | undefined;
  /** Node's process metrics (CPU, memory, GC, event-loop lag). Default true. */
  processMetrics?: boolean | undefined;
}

const RUN_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];
const STEP_SECONDS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const PROVIDER_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];
const LATENESS_SECONDS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600];

const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export type RunStatus = 'succeeded' | 'failed' | 'cancelled';

export function createMetrics(options: MetricsOptions) {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry });
    // Gauges named like counters, which `promtool check metrics` rejects; the per-type
    // `nodejs_active_handles` / `_requests` / `_resources` gauges say the same.
    for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
  }
  const models = createModelLabels(options);
  const registers = [registry];

  const runsStarted = new Counter({
    name: 'swarm_runs_started_total',
    help: 'Runs this runner started executing; resumed="true" for a claim continuing an earlier one.',
    labelNames: ['trigger', 'resumed'] as const,
    registers,
  });
  const runsFinished = new Counter({
    name: 'swarm_runs_finished_total',
    help: 'Runs this runner finished, by final status.',
    labelNames: ['trigger', 'status'] as const,
    registers,
  });
  const runDuration = new Histogram({
    name: 'swarm_run_duration_seconds',
    help: "Time from this runner's claim of a run to its end.",
    labelNames: ['trigger', 'status'] as const,
    buckets: RUN_SECONDS,
    registers,
  });
  const stepDuration = new Histogram({
    name: 'swarm_step_duration_seconds',
    help: 'Time one step (node) took, by node type and status.',
    labelNames: ['node_type', 'status'] as const,
    buckets: STEP_SECONDS,
    registers,
  });
  const scheduleLateness = new Histogram({
    name: 'swarm_schedule_run_start_lateness_seconds',
    help: 'How long after its occurrence was due a scheduled run was first claimed by a runner.',
    buckets: LATENESS_SECONDS,
    registers,
  });
  const providerAttempts = new Counter({
    name: 'swarm_provider_attempts_total',
    help: 'Provider attempts by provider, model and outcome (success or the error class).',
    labelNames: ['provider', 'model', 'outcome'] as const,
    registers,
  });
  const providerLatency = new Histogram({
    name: 'swarm_provider_latency_seconds',
    help: 'Duration of provider attempts that were sent (circuit-open skips excluded).',
    labelNames: ['provider', 'model', 'outcome'] as const,
    buckets: PROVIDER_SECONDS,
    registers,
  });
  const timeToFirstToken = new Histogram({
    name: 'swarm_provider_time_to_first_token_seconds',
    help: 'Time to the first streamed token of successful provider attempts.',
    labelNames: ['provider', 'model'] as const,
    buckets: PROVIDER_SECONDS,
    registers,
  });
  const providerTokens = new Counter({
    name: 'swarm_provider_tokens_total',
    help: 'Tokens reported by providers (input includes cache reads and writes; output reasoning).',
    labelNames: ['provider', 'model', 'direction'] as const,
    registers,
  });
  const providerCost = new Counter({
    name: 'swarm_provider_cost_microdollars_total',
    help: 'Priced cost of provider attempts, in micro-dollars (unknown costs are not counted).',
    labelNames: ['provider', 'model'] as const,
    registers,
  });
  const webhookCalls = new Counter({
    name: 'swarm_webhook_calls_total',
    help: 'Calls to webhook endpoints by outcome.',
    labelNames: ['outcome'] as const,
    registers,
  });

  const { poolStats } = options;
  if (poolStats) {
    new Gauge({
      name: 'swarm_db_pool_connections',
      help: "Connections of this process's data pool, by state.",
      labelNames: ['state'] as const,
      registers,
      collect() {
        const stats = poolStats();
        this.set({ state: 'in_use' }, stats.inUse);
        this.set({ state: 'idle' }, stats.idle);
      },
    });
    new Gauge({
      name: 'swarm_db_pool_waiting_queries',
      help: "Queries waiting for a connection of this process's data pool.",
      registers,
      collect() {
        this.set(poolStats().waiting);
      },
    });
  }
  if (options.readSnapshot)
    registerSnapshotGauges(registry, models, {
      readSnapshot: options.readSnapshot,
      snapshotTtlMs: options.snapshotTtlMs,
      onSnapshotError: options.onSnapshotError,
    });

  return {
    registry,
    runStarted(trigger: ExecutionTrigger, resumed: boolean, latenessSeconds: number | null) {
      runsStarted.inc({ trigger, resumed: resumed ? 'true' : 'false' });
      if (latenessSeconds !== null) scheduleLateness.observe(Math.max(0, latenessSeconds));
    },
    runFinished(trigger: ExecutionTrigger, status: RunStatus, seconds: number) {
      runsFinished.inc({ trigger, status });
      runDuration.observe({ trigger, status }, seconds);
    },
    stepFinished(nodeType: string, status: string, seconds: number) {
      stepDuration.observe({ node_type: nodeType, status }, seconds);
    },
    attempts(attempts: readonly AttemptRecord[]) {
      for (const attempt of attempts) {
        const provider = attempt.servedProvider;
        const model = models.label(provider, attempt.servedModel);
        const outcome = attempt.errorClass ?? 'success';
        providerAttempts.inc({ provider, model, outcome });
        if (attempt.errorClass === 'circuit_open') continue;
        providerLatency.observe(
          { provider, model, outcome: attempt.errorClass ? 'error' : 'success' },
          attempt.latencyMs / 1000,
        );
        if (attempt.timeToFirstTokenMs !== null)
          timeToFirstToken.observe({ provider, model }, attempt.timeToFirstTokenMs / 1000);
        const usage = attempt.usage;
        if (usage) {
          const input = usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens;
          providerTokens.inc({ provider, model, direction: 'input' }, input);
          providerTokens.inc(
            { provider, model, direction: 'output' },
            usage.outputTokens + usage.reasoningTokens,
          );
        }
        if (attempt.costStatus === 'priced' && attempt.costMicros)
          providerCost.inc({ provider, model }, attempt.costMicros);
      }
    },
    webhookCall(status: number) {
      webhookCalls.inc({ outcome: webhookOutcome(status) });
    },
    /** The exposition text and its content type, for a `/metrics` answer. */
    async expose(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** A webhook answer's status as a small, fixed set of outcomes. */
export function webhookOutcome(status: number): string {
  if (status === 200 || status === 202) return 'accepted';
  if (status === 400 || status === 422) return 'rejected';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'error' : 'other';
}
