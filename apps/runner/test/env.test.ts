import { tracingOptionsFromEnv } from '@swarm/telemetry';
import { describe, expect, it } from 'vitest';
import { parseRunnerEnv } from '../src/env.ts';

const base = { DATABASE_URL: 'postgres://localhost/swarm' };

describe('runner environment', () => {
  it('remembers accepted webhook deliveries for WEBHOOK_IDEMPOTENCY_DAYS (7 by default, whole days from 1 to 365)', () => {
    expect(parseRunnerEnv(base).WEBHOOK_IDEMPOTENCY_DAYS).toBe(7);
    expect(parseRunnerEnv({ ...base, WEBHOOK_IDEMPOTENCY_DAYS: '14' }).WEBHOOK_IDEMPOTENCY_DAYS).toBe(14);
    for (const bad of ['0', '1.5', '366', 'a week'])
      expect(() => parseRunnerEnv({ ...base, WEBHOOK_IDEMPOTENCY_DAYS: bad }), bad).toThrow(
        /WEBHOOK_IDEMPOTENCY_DAYS:/,
      );
  });

  it('serves metrics only with RUNNER_METRICS_PORT, and traces only with an OTLP endpoint', () => {
    const plain = parseRunnerEnv(base);
    expect(plain.RUNNER_METRICS_PORT).toBeUndefined();
    expect(tracingOptionsFromEnv(plain, 'swarm-runner')).toBeNull();
    expect(parseRunnerEnv({ ...base, RUNNER_METRICS_PORT: '9464' }).RUNNER_METRICS_PORT).toBe(9464);
    expect(() => parseRunnerEnv({ ...base, RUNNER_METRICS_PORT: '70000' })).toThrow(/RUNNER_METRICS_PORT:/);

    const traced = parseRunnerEnv({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc,x-tenant=t1',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
    });
    expect(tracingOptionsFromEnv(traced, 'swarm-runner')).toEqual({
      url: 'http://collector:4318/v1/traces',
      headers: { authorization: 'Basic abc', 'x-tenant': 't1' },
      serviceName: 'swarm-runner',
      resourceAttributes: { 'deployment.environment': 'prod' },
      captureContent: false,
    });
    // The traces-specific endpoint is used as given; the SDK switch turns tracing off.
    const specific = { ...base, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo.example/otlp/traces' };
    expect(tracingOptionsFromEnv(parseRunnerEnv(specific), 'swarm-runner')?.url).toBe(
      'https://tempo.example/otlp/traces',
    );
    expect(
      tracingOptionsFromEnv(parseRunnerEnv({ ...specific, OTEL_SDK_DISABLED: 'true' }), 'swarm-runner'),
    ).toBeNull();
    expect(() => parseRunnerEnv({ ...base, OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT:/,
    );
  });
});
