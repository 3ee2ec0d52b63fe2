/**
 * A run as the web app holds it: the `runs.get` shape, kept current by the events of the
 * `runs.events` subscription (a snapshot first, then step and status changes), plus the status a
 * node shows on the canvas while the run goes on.
 */
import type { RouterOutputs } from '../trpc.ts';

export type RunDetail = RouterOutputs['runs']['get'];
export type RunStep = RunDetail['steps'][number];
export type RunAttempt = RunStep['attempts'][number];
export type RunSummary = RouterOutputs['runs']['list']['items'][number];
export type RunStatus = RunDetail['status'];
type TrackedRunEvent =
  RouterOutputs['runs']['events'] extends AsyncIterable<infer T, unknown, unknown> ? T : never;
export type RunEvent = TrackedRunEvent extends { data: infer D } ? D : never;

export const RUN_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export const isFinished = (status: RunStatus) =>
  status === 'succeeded' || status === 'failed' || status === 'cancelled';

/** The run after one event; `null` until the snapshot arrived (unless a loaded run was given). */
export function applyRunEvent(run: RunDetail | null | undefined, event: RunEvent): RunDetail | null {
  switch (event.kind) {
    case 'snapshot':
      return event.run;
    case 'step': {
      if (!run) return null;
      const index = run.steps.findIndex((step) => step.nodeId === event.step.nodeId);
      // An older event for a step (reordered delivery) never replaces a newer one.
      if (index >= 0 && run.steps[index]!.eventSeq > event.step.eventSeq) return run;
      const steps = index >= 0 ? run.steps.with(index, event.step) : [...run.steps, event.step];
      return {
        ...run,
        steps,
        costMicros: event.costMicros,
        knownCostMicros: event.knownCostMicros,
        unknownCostAttempts: event.unknownCostAttempts,
      };
    }
    case 'status': {
      if (!run) return null;
      if (run.eventSeq > event.run.eventSeq) return run;
      return { ...run, ...event.run, steps: run.steps };
    }
  }
}

/** The newest change a run view has seen (the run's own number counts every step change too). */
export function runEventSeq(run: RunDetail): number {
  return run.steps.reduce((max, step) => Math.max(max, step.eventSeq), run.eventSeq);
}

/** What a node shows during or after a run: its step's status, or whether it may still run. */
export type NodeRunStatus = RunStep['status'] | 'pending' | 'not-run';

export function nodeRunStatuses(run: RunDetail): Map<string, NodeRunStatus> {
  const map = new Map<string, NodeRunStatus>();
  for (const step of run.steps) map.set(step.nodeId, step.status);
  // A node bound as a tool shows its latest call (it runs only when its agent calls it).
  for (const step of run.steps) {
    const node = step.nodeType === 'agent-tool' ? (step.input as { node?: unknown } | null)?.node : null;
    if (typeof node === 'string') map.set(node, step.status);
  }
  return map;
}

export function statusOfNode(
  run: RunDetail,
  statuses: Map<string, NodeRunStatus>,
  nodeId: string,
): NodeRunStatus {
  return statuses.get(nodeId) ?? (isFinished(run.status) ? 'not-run' : 'pending');
}

/** How long a run took, or has been going (until `now`). */
export function runDurationMs(
  run: Pick<RunDetail, 'durationMs' | 'startedAt' | 'finishedAt'>,
  now: number,
): number | null {
  if (run.durationMs !== null) return run.durationMs;
  if (!run.startedAt) return null;
  return (run.finishedAt?.getTime() ?? now) - run.startedAt.getTime();
}

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

/**
 * The providers an agent step went through, in order: `mock/echo → openai/gpt-4o`, each with
 * whether it answered. Consecutive attempts at the same model (retries) are counted, not repeated.
 */
export function fallbackPath(
  attempts: readonly RunAttempt[],
): Array<{ label: string; tries: number; ok: boolean }> {
  const path: Array<{ label: string; tries: number; ok: boolean }> = [];
  for (const attempt of attempts) {
    const label = `${attempt.servedProvider}/${attempt.servedModel}`;
    const last = path.at(-1);
    const ok = attempt.errorClass === null;
    if (last && last.label === label) {
      last.tries++;
      last.ok = last.ok || ok;
    } else path.push({ label, tries: 1, ok });
  }
  return path;
}

export function totalTokens(usage: RunAttempt['usage']): number | null {
  if (!usage) return null;
  return (
    usage.inputTokens +
    usage.cacheReadTokens +
    usage.cacheWriteTokens +
    usage.outputTokens +
    usage.reasoningTokens
  );
}
