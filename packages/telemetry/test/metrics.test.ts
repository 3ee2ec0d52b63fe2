/**
 * The metrics registry on its own: bounded model labels, the bearer-token check, webhook outcomes,
 * and the fleet snapshot read once per scrape window (shared by concurrent scrapes) and left out of
 * a scrape when the read fails.
 */
import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  createModelLabels,
  createRunObserver,
  type FleetSnapshot,
  metricsAuthorized,
  OTHER_MODEL,
  webhookOutcome,
} from '../src/index.ts';

const snapshot = (queued: number): FleetSnapshot => ({
  queuedRuns: queued,
  runningRuns: 0,
  oldestQueuedSeconds: 0,
  breakers: [
    { provider: 'openai', model: 'gpt-x', state: 'closed' },
    { provider: 'openai', model: 'gpt-y', state: 'open' },
  ],
  budgets: { under80: 1, from80: 0, exhausted: 0, maxSpendRatio: 0.25 },
});

describe('model labels', () => {
  it('keeps known models and the first few others, then folds the rest into "other"', () => {
    const labels = createModelLabels({ maxModels: 2, isKnownModel: (_, model) => model.startsWith('gpt-') });
    expect(labels.label('mock', 'a')).toBe('a');
    expect(labels.label('mock', 'b')).toBe('b');
    expect(labels.label('mock', 'c')).toBe(OTHER_MODEL);
    expect(labels.label('mock', 'a')).toBe('a');
    expect(labels.label('openai', 'gpt-4o-2099')).toBe('gpt-4o-2099');
  });
});

describe('metrics', () => {
  it('accepts only the configured bearer token, and anyone without one', () => {
    expect(metricsAuthorized(undefined, undefined)).toBe(true);
    expect(metricsAuthorized('Bearer s3cret', 's3cret')).toBe(true);
    expect(metricsAuthorized('Bearer s3cre', 's3cret')).toBe(false);
    expect(metricsAuthorized(undefined, 's3cret')).toBe(false);
  });

  it('maps webhook answers onto a fixed set of outcomes', () => {
    expect([200, 202, 400, 401, 403, 404, 413, 429, 503, 500, 302].map(webhookOutcome)).toEqual([
      'accepted',
      'accepted',
      'rejected',
      'unauthorized',
      'forbidden',
      'not_found',
      'too_large',
      'rate_limited',
      'unavailable',
      'error',
      'other',
    ]);
  });

  it('reads the fleet snapshot once per window, and leaves its gauges out when the read fails', async () => {
    let reads = 0;
    let failing = false;
    const metrics = createMetrics({
      service: 'api',
      processMetrics: false,
      snapshotTtlMs: 60_000,
      readSnapshot: async () => {
        reads++;
        if (failing) throw new Error('database down');
        return snapshot(reads);
      },
    });
    const [a, b] = await Promise.all([metrics.expose(), metrics.expose()]);
    expect(reads).toBe(1);
    expect(a.body).toBe(b.body);
    expect(a.body).toContain('swarm_queue_runs{state="queued",service="api"} 1');
    expect(a.body).toContain('swarm_circuit_breaker_state{provider="openai",model="gpt-y",service="api"} 2');
    expect(a.body).toContain('swarm_budget_spend_ratio_max{service="api"} 0.25');

    const failed = createMetrics({
      service: 'api',
      processMetrics: false,
      readSnapshot: async () => {
        failing = true;
        throw new Error('database down');
      },
    });
    const body = (await failed.expose()).body;
    expect(body).not.toMatch(/^swarm_queue_runs\{/m);
    expect(body).toContain('# TYPE swarm_queue_runs gauge');
  });

  it("measures a scheduled run's start lateness at its first claim only", async () => {
    const metrics = createMetrics({ service: 'runner', processMetrics: false });
    const observer = createRunObserver({ metrics, now: () => Date.parse('2030-01-01T00:00:02.500Z') });
    const run = {
      executionId: 'e',
      workflowId: 'w',
      versionId: null,
      trigger: 'schedule' as const,
      traceParent: null,
      scheduledFor: new Date('2030-01-01T00:00:00.000Z'),
    };
    observer.claimed({ ...run, runAttempt: 1 }).finished('succeeded', null);
    // A resumed claim is late because a runner died, not because the schedule fired late.
    observer.claimed({ ...run, runAttempt: 2 }).finished('failed', null);
    const body = (await metrics.expose()).body;
    expect(body).toContain('swarm_schedule_run_start_lateness_seconds_sum{service="runner"} 2.5');
    expect(body).toContain('swarm_schedule_run_start_lateness_seconds_count{service="runner"} 1');
    expect(body).toContain('swarm_runs_started_total{trigger="schedule",resumed="true",service="runner"} 1');
    expect(body).toContain(
      'swarm_runs_finished_total{trigger="schedule",status="failed",service="runner"} 1',
    );
  });
});
