/**
 * OpenTelemetry trace export over OTLP/HTTP (JSON), started only when the operator configured an
 * endpoint: the SDK modules are imported here, on demand, so a process without `OTEL_*` settings
 * loads and runs none of it. No global tracer provider and no context manager are installed — the
 * run tracer (`run-trace.ts`) passes parents explicitly — so SWARM's spans never mix with, or
 * depend on, instrumentation another library might register.
 */
import type { Tracer } from '@opentelemetry/api';

export interface TracingOptions {
  /** Where spans are POSTed: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or the base endpoint + `/v1/traces`. */
  url: string;
  /** `OTEL_EXPORTER_OTLP_HEADERS` (or the traces-specific one), parsed. */
  headers?: Record<string, string> | undefined;
  /** `OTEL_SERVICE_NAME`, else `swarm-runner` / `swarm-api`. */
  serviceName: string;
  /** `OTEL_RESOURCE_ATTRIBUTES`, parsed. */
  resourceAttributes?: Record<string, string> | undefined;
  /** Put step inputs and outputs (prompts, answers) on spans. Off unless the operator opts in. */
  captureContent?: boolean | undefined;
  /** How long spans are batched before export, in ms. Default 2000. */
  exportDelayMs?: number | undefined;
}

export interface Tracing {
  tracer: Tracer;
  captureContent: boolean;
  /** Exports what is batched now (tests; before a planned stop). */
  flush(): Promise<void>;
  /** Exports the rest and stops. */
  shutdown(): Promise<void>;
}

export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const [{ BatchSpanProcessor, TracerProvider }, { OTLPTraceExporter }, { resourceFromAttributes }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
    ]);
  const exporter = new OTLPTraceExporter({ url: options.url, headers: options.headers ?? {} });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      ...options.resourceAttributes,
      'service.name': options.serviceName,
    }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter, scheduledDelayMillis: options.exportDelayMs ?? 2_000 }),
    ],
  });
  return {
    tracer: provider.getTracer('swarm'),
    captureContent: options.captureContent ?? false,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * The OTLP traces URL from the standard variables: the traces-specific endpoint as given, else the
 * base endpoint with `/v1/traces` appended (as the OTLP exporter specification says). Null: off.
 */
export function otlpTracesUrl(env: {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
}): string | null {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT)
    return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
  return null;
}

/** `key1=value1,key2=value2` (values percent-encoded), the format of OTEL_*_HEADERS and resource attributes. */
export function parseOtelKeyValues(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    out[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return out;
}
