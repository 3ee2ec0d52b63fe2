/**
 * What every benchmark shares: the shape of its result, timing helpers, and percentiles. Figures are
 * reported as a ratio to a baseline measured in the same run (see /work/shared/BENCH.md).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';

const execFileAsync = promisify(execFile);

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
  /** Throughput rows: completions per second (then `ratio` is this over the baseline's rate). */
  perSecond?: number;
  p99Ms?: number;
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

/** A throughput row: `perSecond` and its latency percentiles, compared with a same-run baseline rate. */
export function rateRow(
  name: string,
  measured: { perSecond: number; p50Ms: number; p95Ms?: number; p99Ms: number; samples: number },
  baseline: { name: string; perSecond: number } | null,
  bar?: { text: string; met: boolean },
): BenchRow {
  return {
    name,
    perSecond: measured.perSecond,
    p50Ms: measured.p50Ms,
    p95Ms: measured.p95Ms ?? Number.NaN,
    p99Ms: measured.p99Ms,
    samples: measured.samples,
    baseline: baseline?.name ?? null,
    ratio: baseline ? measured.perSecond / baseline.perSecond : null,
    bar: bar?.text ?? null,
    met: bar?.met ?? null,
  };
}

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The database's commit ceiling right now (B0's figure): pgbench's one-row INSERT, each statement
 * its own transaction with synchronous_commit on, `clients` connections for `seconds`. Transactions
 * per second.
 */
export async function pgbenchInsertTps(
  databaseUrl: string,
  clients: number,
  seconds: number,
): Promise<number> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'swarm-pgbench-'));
  try {
    await sql`create table if not exists bench_commit_ceiling (id bigserial primary key, v int not null)`;
    const script = path.join(dir, 'insert.sql');
    writeFileSync(script, 'insert into bench_commit_ceiling (v) values (1);\n');
    const { stdout } = await execFileAsync('pgbench', [
      '-n',
      '-f',
      script,
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, os.cpus().length)),
      '-T',
      String(seconds),
      databaseUrl,
    ]);
    const tps = /tps = ([\d.]+)/.exec(stdout);
    if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
    return Number(tps[1]);
  } finally {
    await sql`drop table if exists bench_commit_ceiling`.catch(() => {});
    await sql.end({ timeout: 5 });
    rmSync(dir, { recursive: true, force: true });
  }
}
