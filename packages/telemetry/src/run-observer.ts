/**
 * What a runner's run service reports per run, in one place: metrics (counters and histograms,
 * updated in memory) and, when tracing is on, the run's spans. The run service calls it at the
 * claim, at each finished step and at the end; with neither metrics nor tracing configured the
 * runner has no observer and pays nothing.
 */
import type { ExecutionTrigger, RunError, StepFinished } from '@swarm/engine';
import type { Metrics, RunStatus } from './metrics.ts';
import { type RunTrace, startRunTrace } from './run-trace.ts';
import type { Tracing } from './tracing.ts';

export interface ObservedRun {
  executionId: string;
  workflowId: string;
  versionId: string | null;
  trigger: ExecutionTrigger;
  runAttempt: number;
  traceParent: string | null;
  /** For a scheduled run: when its occurrence was due. */
  scheduledFor: Date | null;
}

export interface RunObserverOptions {
  metrics?: Metrics | undefined;
  tracing?: Tracing | undefined;
  now?: (() => number) | undefined;
}

/** `options` is read at each claim: tracing may be set once its exporter has started. */
export function createRunObserver(options: RunObserverOptions) {
  const now = options.now ?? Date.now;
  return {
    claimed(run: ObservedRun) {
      const { metrics, tracing } = options;
      const claimedAt = performance.now();
      const resumed = run.runAttempt > 1;
      if (metrics) {
        const lateness = run.scheduledFor && !resumed ? (now() - run.scheduledFor.getTime()) / 1000 : null;
        metrics.runStarted(run.trigger, resumed, lateness);
      }
      const span: RunTrace | null = tracing ? startRunTrace(tracing, run) : null;
      return {
        traceParentToSave: span?.traceParentToSave ?? null,
        step(step: StepFinished) {
          if (metrics) {
            if (step.startedAt)
              metrics.stepFinished(
                step.nodeType,
                step.status,
                (step.finishedAt.getTime() - step.startedAt.getTime()) / 1000,
              );
            if (step.attempts.length > 0) metrics.attempts(step.attempts);
          }
          span?.step(step);
        },
        finished(status: RunStatus, error: RunError | null) {
          metrics?.runFinished(run.trigger, status, (performance.now() - claimedAt) / 1000);
          span?.finished(status, error);
        },
        interrupted(reason: string) {
          span?.interrupted(reason);
        },
      };
    },
  };
}

export type RunObserver = ReturnType<typeof createRunObserver>;
export type RunObservation = ReturnType<RunObserver['claimed']>;
