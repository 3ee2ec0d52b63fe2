/**
 * One run's spans: the run (one span per claim), a span per step, and under each step a span per
 * provider attempt following the OpenTelemetry GenAI semantic conventions (`gen_ai.*`). Step and
 * attempt spans are created when the step finishes, with their real start and end times, from the
 * step record the executor hands the runner anyway — nothing is added to the provider call path.
 *
 * A resumed run continues its trace: the first claim's `traceparent` is stored on the execution
 * row, and a later claim (another runner after a crash) starts its run span under it.
 */
import {
  type Context,
  type Attributes as OtelAttributes,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { AttemptRecord, RunError, StepFinished } from '@swarm/engine';
import type { Tracing } from './tracing.ts';

export interface TracedRun {
  executionId: string;
  workflowId: string;
  versionId: string | null;
  trigger: string;
  runAttempt: number;
  /** Stored by an earlier claim; null for a run's first traced claim. */
  traceParent: string | null;
}

/** Longest captured input/output (opt-in content), in characters. */
const MAX_CONTENT_CHARS = 16_384;

/** `gen_ai.provider.name` values of the semantic conventions for our provider ids. */
const GEN_AI_PROVIDER: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  mock: 'mock',
};

/** Parses a W3C `traceparent` into a remote parent context; null when malformed. */
export function parentFromTraceParent(traceParent: string): Context | null {
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceParent);
  if (!match) return null;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

const traceParentOf = (span: Span) => {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
};

const contentOf = (value: unknown): string => {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null');
  return text.length > MAX_CONTENT_CHARS ? `${text.slice(0, MAX_CONTENT_CHARS)}…` : text;
};

export function startRunTrace(tracing: Tracing, run: TracedRun) {
  const parent = (run.traceParent && parentFromTraceParent(run.traceParent)) || ROOT_CONTEXT;
  const resumed = parent !== ROOT_CONTEXT;
  const runSpan = tracing.tracer.startSpan(
    'swarm.run',
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'swarm.execution.id': run.executionId,
        'swarm.workflow.id': run.workflowId,
        ...(run.versionId ? { 'swarm.workflow.version_id': run.versionId } : {}),
        'swarm.run.trigger': run.trigger,
        'swarm.run.attempt': run.runAttempt,
        'swarm.run.resumed': resumed,
      },
    },
    parent,
  );
  const runContext = trace.setSpan(ROOT_CONTEXT, runSpan);
  let knownCostMicros = 0;

  function attemptSpan(stepContext: Context, attempt: AttemptRecord) {
    const started = attempt.startedAt.getTime();
    const attributes: OtelAttributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': attempt.requestedProvider,
      'gen_ai.provider.name': GEN_AI_PROVIDER[attempt.requestedProvider] ?? attempt.requestedProvider,
      'gen_ai.request.model': attempt.requestedModel,
      'swarm.attempt.reason': attempt.reason,
      'swarm.cost_status': attempt.costStatus,
    };
    if (attempt.errorClass === null) attributes['gen_ai.response.model'] = attempt.servedModel;
    else attributes['error.type'] = attempt.errorClass;
    if (attempt.usage) {
      const u = attempt.usage;
      attributes['gen_ai.usage.input_tokens'] = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
      attributes['gen_ai.usage.output_tokens'] = u.outputTokens + u.reasoningTokens;
      attributes['gen_ai.usage.cache_read.input_tokens'] = u.cacheReadTokens;
    }
    if (attempt.costMicros !== null) attributes['swarm.cost_micros'] = attempt.costMicros;
    if (attempt.timeToFirstTokenMs !== null)
      attributes['swarm.time_to_first_token_ms'] = attempt.timeToFirstTokenMs;
    const span = tracing.tracer.startSpan(
      `chat ${attempt.requestedModel}`,
      { kind: SpanKind.CLIENT, startTime: started, attributes },
      stepContext,
    );
    if (attempt.errorClass !== null)
      span.setStatus({ code: SpanStatusCode.ERROR, message: attempt.errorMessage ?? attempt.errorClass });
    span.end(started + attempt.latencyMs);
  }

  return {
    /** The `traceparent` to store on the execution row, when this claim started the trace. */
    traceParentToSave: resumed ? null : traceParentOf(runSpan),
    step(step: StepFinished) {
      // Skipped and reused steps never ran in this claim: no span.
      if (step.startedAt === null) return;
      const stepCost = step.attempts.reduce((sum, a) => sum + (a.costMicros ?? 0), 0);
      knownCostMicros += stepCost;
      const attributes: OtelAttributes = {
        'swarm.node.id': step.nodeId,
        'swarm.node.type': step.nodeType,
        'swarm.step.status': step.status,
      };
      if (step.attempts.length > 0) {
        attributes['gen_ai.operation.name'] = 'invoke_agent';
        attributes['swarm.cost_micros'] = stepCost;
      }
      if (tracing.captureContent) {
        attributes['swarm.step.input'] = contentOf(step.input);
        if (step.status === 'succeeded') attributes['swarm.step.output'] = contentOf(step.output);
      }
      const span = tracing.tracer.startSpan(
        `swarm.step ${step.nodeId}`,
        { kind: SpanKind.INTERNAL, startTime: step.startedAt, attributes },
        runContext,
      );
      if (step.error) span.setStatus({ code: SpanStatusCode.ERROR, message: step.error.message });
      const stepContext = trace.setSpan(ROOT_CONTEXT, span);
      for (const attempt of step.attempts) attemptSpan(stepContext, attempt);
      span.end(step.finishedAt);
    },
    finished(status: string, error: RunError | null) {
      runSpan.setAttributes({ 'swarm.run.status': status, 'swarm.cost_micros': knownCostMicros });
      if (error) runSpan.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      runSpan.end();
    },
    /** The claim ended without an outcome (lost, interrupted): the next claim continues the trace. */
    interrupted(reason: string) {
      runSpan.setAttributes({ 'swarm.run.interrupted': reason });
      runSpan.end();
    },
  };
}

export type RunTrace = ReturnType<typeof startRunTrace>;
