/**
 * Recent latency per provider/model for the lowest-latency routing strategy: the average of
 * successful calls in the health buckets of the last few minutes, shared by every runner.
 */
import { type Db, recentAverageLatency } from '@swarm/db';
import type { LatencyStats } from '../ports.ts';

export interface LatencyStatsOptions {
  /** How far back successes are averaged. Default 5 minutes (rounded out to minute buckets). */
  windowMs?: number | undefined;
  /** How long an answer is reused in this process. Default 5 s; 0 disables. */
  cacheMs?: number | undefined;
}

export function createLatencyStats(db: Db, options: LatencyStatsOptions = {}): LatencyStats {
  const windowMs = options.windowMs ?? 5 * 60_000;
  const cacheMs = Math.max(options.cacheMs ?? 5_000, 0);
  const cache = new Map<string, { until: number; latencyMs: number | null }>();
  return {
    async recentLatencyMs(ref) {
      const key = `${ref.provider}\u0000${ref.model}`;
      const hit = cache.get(key);
      if (hit && hit.until > performance.now()) return hit.latencyMs;
      const latencyMs = await recentAverageLatency(db, ref, windowMs);
      if (cacheMs > 0) cache.set(key, { until: performance.now() + cacheMs, latencyMs });
      return latencyMs;
    },
  };
}
