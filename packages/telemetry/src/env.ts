/**
 * The monitoring variables both apps accept, defined once (apps include them in their `env.ts`
 * schemas; this package itself never reads `process.env`): the metrics token and the standard
 * OpenTelemetry exporter variables, turned into `startTracing` options.
 */
import { z } from 'zod';
import { otlpTracesUrl, parseOtelKeyValues, type TracingOptions } from './tracing.ts';

const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().min(1).optional());
const optionalUrl = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
);
const flag = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1')
  .default(false);

export const monitoringEnv = {
  /** Bearer token `/metrics` requires; unset: open (keep the port private then). */
  METRICS_TOKEN: optionalText,
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_HEADERS: optionalText,
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: optionalText,
  OTEL_SERVICE_NAME: optionalText,
  OTEL_RESOURCE_ATTRIBUTES: optionalText,
  /** The specification's switch: true turns tracing off even with an endpoint set. */
  OTEL_SDK_DISABLED: flag,
  /** Opt-in: step inputs and outputs (prompts, answers) on spans. */
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: flag,
};

export type MonitoringEnv = z.output<z.ZodObject<typeof monitoringEnv>>;

/** Tracing options from the parsed variables; null when no endpoint is set (or the SDK is disabled). */
export function tracingOptionsFromEnv(env: MonitoringEnv, defaultServiceName: string): TracingOptions | null {
  const url = otlpTracesUrl(env);
  if (!url || env.OTEL_SDK_DISABLED) return null;
  return {
    url,
    headers: {
      ...parseOtelKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseOtelKeyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    serviceName: env.OTEL_SERVICE_NAME ?? defaultServiceName,
    resourceAttributes: parseOtelKeyValues(env.OTEL_RESOURCE_ATTRIBUTES),
    captureContent: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT,
  };
}
