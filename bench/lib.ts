/**
 * What every benchmark shares: the shape of its result, timing helpers, and percentiles. Figures are
 * reported as a ratio to a baseline measured in the same run (see /work/shared/BENCH.md).
 */
import { performance } from 'node:perf_hooks';

export interface BenchRow {
  /** What was measured. */
  name: string;
  p50Ms: number;
  p95Ms: number;
  samples: number;
  /** The same-run baseline this row is divided by (null for a baseline row itself). */
  baseline: string | null;
  /** p50 / baseline p50. */
  ratio: number | null;
  /** The absolute bar, e.g. "≤ 50 ms", or null. */
  bar: string | null;
  /** Whether p50 met the bar; null when there is no bar. */
  met: boolean | null;
}

export interface BenchResult {
  parameters: Record<string, unknown>;
  /** Versions of what was measured (Postgres under `postgres` when a database was used). */
  versions: Record<string, string>;
  rows: BenchRow[];
  /** Anything a reader should know: skipped parts, sizes, change counts. */
  notes: string[];
}

export interface Benchmark {
  id: string;
  title: string;
  run(): Promise<BenchResult>;
}

export interface Timing {
  samples: number[];
  p50: number;
  p95: number;
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Runs `fn` `warmup` times untimed, then `runs` times timed (ms each). */
export async function time(fn: () => unknown, runs: number, warmup = Math.max(3, Math.ceil(runs / 5))) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  return { samples, p50: percentile(sorted, 50), p95: percentile(sorted, 95) } satisfies Timing;
}

export function baselineRow(name: string, t: Timing): BenchRow {
  return {
    name,
    p50Ms: t.p50,
    p95Ms: t.p95,
    samples: t.samples.length,
    baseline: null,
    ratio: null,
    bar: null,
    met: null,
  };
}

export function measuredRow(
  name: string,
  t: Timing,
  baseline: { name: string; timing: Timing },
  barMs?: number,
): BenchRow {
  return {
    name,
    p50Ms: t.p50,
    p95Ms: t.p95,
    samples: t.samples.length,
    baseline: baseline.name,
    ratio: t.p50 / baseline.timing.p50,
    bar: barMs === undefined ? null : `≤ ${barMs} ms`,
    met: barMs === undefined ? null : t.p50 <= barMs,
  };
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
