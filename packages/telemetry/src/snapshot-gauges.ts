/**
 * Gauges of fleet-wide state — queue depth, the oldest queued run, circuit breakers per model,
 * budget spend — filled from one database read per scrape, shared by concurrent scrapes and reused
 * for `snapshotTtlMs` (Prometheus servers in HA pairs and several scrapers do not multiply the
 * reads). Every instance reports the same values: aggregate them with `max`, not `sum`.
 */
import { Gauge, type Registry } from 'prom-client';
import type { ModelLabels } from './model-labels.ts';

/** What `readMonitoringSnapshot` of `@swarm/db` returns (kept structural: no database import). */
export interface FleetSnapshot {
  queuedRuns: number;
  runningRuns: number;
  oldestQueuedSeconds: number;
  breakers: ReadonlyArray<{ provider: string; model: string; state: string }>;
  budgets: { under80: number; from80: number; exhausted: number; maxSpendRatio: number };
}

export interface SnapshotGaugeOptions {
  readSnapshot: () => Promise<FleetSnapshot>;
  /** How long one read serves scrapes. Default 5 s. */
  snapshotTtlMs?: number | undefined;
  /** A failed read leaves the gauges out of that scrape; this hears why. */
  onSnapshotError?: ((err: unknown) => void) | undefined;
}

const BREAKER_STATE_VALUE: Record<string, number> = { closed: 0, half_open: 1, open: 2 };

export function registerSnapshotGauges(
  registry: Registry,
  models: ModelLabels,
  options: SnapshotGaugeOptions,
) {
  const ttlMs = options.snapshotTtlMs ?? 5_000;
  let cached: { at: number; value: Promise<FleetSnapshot | null> } | null = null;
  const snapshot = (): Promise<FleetSnapshot | null> => {
    const now = performance.now();
    if (cached && now - cached.at < ttlMs) return cached.value;
    const value = options.readSnapshot().catch((err: unknown) => {
      options.onSnapshotError?.(err);
      cached = null;
      return null;
    });
    cached = { at: now, value };
    return value;
  };
  const registers = [registry];

  new Gauge({
    name: 'swarm_queue_runs',
    help: 'Runs waiting for a runner (queued) and being executed (running), fleet-wide.',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      this.set({ state: 'queued' }, s.queuedRuns);
      this.set({ state: 'running' }, s.runningRuns);
    },
  });
  new Gauge({
    name: 'swarm_queue_oldest_queued_run_age_seconds',
    help: 'Age of the oldest run still waiting for a runner (0 when none waits), fleet-wide.',
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s) this.set(s.oldestQueuedSeconds);
    },
  });
  new Gauge({
    name: 'swarm_circuit_breaker_state',
    help: 'Shared circuit breaker per model: 0 closed, 1 half-open, 2 open.',
    labelNames: ['provider', 'model'] as const,
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      // Several models folded into `other` report the worst of them.
      const worst = new Map<string, { provider: string; model: string; value: number }>();
      for (const breaker of s.breakers) {
        const model = models.label(breaker.provider, breaker.model);
        const key = `${breaker.provider}/${model}`;
        const value = BREAKER_STATE_VALUE[breaker.state] ?? 0;
        if ((worst.get(key)?.value ?? -1) < value)
          worst.set(key, { provider: breaker.provider, model, value });
      }
      for (const { provider, model, value } of worst.values()) this.set({ provider, model }, value);
    },
  });
  new Gauge({
    name: 'swarm_budgets',
    help: "Budgets by this month's spend: under 80% of the limit, 80-100%, exhausted (100% or more).",
    labelNames: ['state'] as const,
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (!s) return;
      this.set({ state: 'under_80' }, s.budgets.under80);
      this.set({ state: 'from_80' }, s.budgets.from80);
      this.set({ state: 'exhausted' }, s.budgets.exhausted);
    },
  });
  new Gauge({
    name: 'swarm_budget_spend_ratio_max',
    help: "The highest spent/limit ratio of any budget this month (1 = a budget's limit reached).",
    registers,
    async collect() {
      this.reset();
      const s = await snapshot();
      if (s) this.set(s.budgets.maxSpendRatio);
    },
  });
}
