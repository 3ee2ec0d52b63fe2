/** One line of run statistics for a version: "3 runs · 67% succeeded · avg 1.2 s". */
import { formatDollars } from '../money/money.ts';

export interface VersionStats {
  runCount: number;
  successRate: number | null;
  avgDurationMs: number | null;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}

export function formatVersionStats({ runCount, successRate, avgDurationMs }: VersionStats): string {
  if (runCount === 0) return 'No runs';
  const parts = [`${runCount} ${runCount === 1 ? 'run' : 'runs'}`];
  if (successRate !== null) parts.push(`${Math.round(successRate * 100)}% succeeded`);
  if (avgDurationMs !== null) parts.push(`avg ${formatDuration(avgDurationMs)}`);
  return parts.join(' · ');
}

export interface VersionCost {
  runCount: number;
  /** What the version's runs cost (priced provider attempts), micro-dollars. */
  costMicros: number;
  avgCostMicros: number | null;
  /** Runs whose cost is unknown: not in the average, and said so. */
  unknownCostRuns?: number | undefined;
}

/** "$1.23 spent · $0.41 per run" beside the run stats; null for a version that never ran. */
export function formatVersionCost({
  runCount,
  costMicros,
  avgCostMicros,
  unknownCostRuns = 0,
}: VersionCost): string | null {
  if (runCount === 0) return null;
  const parts = [`${unknownCostRuns > 0 ? '≥ ' : ''}${formatDollars(costMicros)} spent`];
  if (avgCostMicros !== null) parts.push(`${formatDollars(avgCostMicros)} per run`);
  if (unknownCostRuns > 0)
    parts.push(`${unknownCostRuns} ${unknownCostRuns === 1 ? 'run' : 'runs'} of unknown cost`);
  return parts.join(' · ');
}
