/**
 * Per-workflow concurrency: a workflow's limit on runs executing at once, and how its run jobs are
 * grouped in pg-boss so queued runs of a workflow at its limit are not even fetched.
 */
import type { WorkflowDefinition } from '@swarm/engine';

/** The highest per-workflow limit; pg-boss gets one group tier per value up to it. */
export const MAX_CONCURRENT_RUNS = 100;

/**
 * A workflow's limit on runs executing at once, from `settings.maxConcurrentRuns` of the
 * definition the run snapshotted (an integer 1…MAX_CONCURRENT_RUNS); null means no limit.
 */
export function runConcurrencyLimit(definition: WorkflowDefinition): number | null {
  const value = definition.settings?.maxConcurrentRuns;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_CONCURRENT_RUNS
    ? value
    : null;
}

/**
 * pg-boss group concurrency for `run` workers: a limited workflow's jobs carry the group
 * `{ id: workflowId, tier: "<limit>" }`, and a worker fetches none of a group already at its tier's
 * limit — so queued runs wait in the queue without being polled. The fetch counts active jobs from a
 * snapshot, so two runners fetching at the same instant can both win; the claim's gate (below) is
 * the strict check and defers the loser.
 */
export const RUN_GROUP_CONCURRENCY = {
  default: MAX_CONCURRENT_RUNS,
  tiers: Object.fromEntries(Array.from({ length: MAX_CONCURRENT_RUNS }, (_, i) => [String(i + 1), i + 1])),
};

/** The pg-boss send options of a run job: its concurrency group, when the workflow has a limit. */
export function runJobOptions(workflowId: string, definition: WorkflowDefinition) {
  const limit = runConcurrencyLimit(definition);
  return limit === null ? {} : { group: { id: workflowId, tier: String(limit) } };
}
