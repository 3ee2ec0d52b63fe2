/**
 * What every benchmark shares: the shape of its result, timing helpers, and percentiles. Figures are
 * reported as a ratio to a baseline measured in the same run (see docs/benchmarks.md).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSwarmClient } from '@swarm/client';
import {
  createTestDatabase,
  findTestServer,
  prepareTestTemplate,
  type TestDatabase,
} from '@swarm/db/testing';
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

// ── Shared by the end-to-end benchmarks (B3, B5, B6): a user, a workflow, runs, and the database's
// own counters. ──

/** input → agent (offline mock provider, `model` e.g. `echo` or `delay:50`) → output. */
export function agentWorkflowDefinition(model: string) {
  return {
    nodes: [
      { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
      {
        id: 'agent',
        type: 'agent',
        name: 'Agent',
        position: { x: 200, y: 0 },
        config: { role: 'echo', provider: 'mock', model, prompt: 'Q: {{input.query}}' },
      },
      { id: 'output', type: 'output', name: 'Output', position: { x: 400, y: 0 }, config: {} },
    ],
    edges: [
      { id: 'e1', source: 'input', target: 'agent' },
      { id: 'e2', source: 'agent', target: 'output' },
    ],
  };
}

/** Signs a fresh user up on `serverUrl`; returns its session token. */
export async function signUpBenchUser(serverUrl: string, tag: string): Promise<string> {
  const anonymous = createSwarmClient({ url: serverUrl });
  const { token } = await anonymous.auth.signup.mutate({
    email: `bench-${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`,
    password: 'correct horse battery',
  });
  return token;
}

/**
 * Starts `total` runs of `workflowId` through the API's `runs.start`, `starters` calls in flight at
 * once. Each starter has its own client, so tRPC's batch link never folds calls together. Returns
 * each call's answer time (ms) and how many calls failed.
 */
export async function startRunsThroughApi(
  serverUrl: string,
  token: string,
  workflowId: string,
  total: number,
  starters: number,
): Promise<{ answerMs: number[]; failures: number; firstError: string | null; wallMs: number }> {
  const answerMs: number[] = [];
  let failures = 0;
  let firstError: string | null = null;
  let next = 0;
  const wallStart = performance.now();
  await Promise.all(
    Array.from({ length: starters }, async () => {
      const swarm = createSwarmClient({ url: serverUrl, token });
      while (next < total) {
        const i = next++;
        const sentAt = performance.now();
        try {
          await swarm.runs.start.mutate({ workflowId, input: { query: `run ${i}` } });
          answerMs.push(performance.now() - sentAt);
        } catch (error) {
          failures++;
          firstError ??= (error as Error).message;
        }
      }
    }),
  );
  return { answerMs, failures, firstError, wallMs: performance.now() - wallStart };
}

/**
 * Polls `executions` every `intervalMs` until `expected` runs have finished (or `timeoutMs`
 * passes). Returns the status counts and how many polls it made — each poll is one transaction
 * the caller may want to subtract from a commit count.
 */
export async function waitForFinishedRuns(
  sql: postgres.Sql,
  expected: number,
  timeoutMs: number,
  intervalMs = 250,
): Promise<{ succeeded: number; failed: number; unfinished: number; polls: number }> {
  const deadline = Date.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    polls++;
    const [counts] = (await sql`
      select count(*) filter (where status = 'succeeded')::int as succeeded,
        count(*) filter (where status in ('failed', 'cancelled'))::int as failed,
        count(*) filter (where status in ('queued', 'running'))::int as unfinished
      from executions`) as unknown as [{ succeeded: number; failed: number; unfinished: number }];
    if (counts.succeeded + counts.failed >= expected || Date.now() > deadline) return { ...counts, polls };
    await sleep(intervalMs);
  }
}

/** `pg_stat_database.xact_commit` of the connected database (one transaction itself). */
export async function xactCommits(sql: postgres.Sql): Promise<number> {
  const [{ commits }] = (await sql`
    select xact_commit::bigint::text as commits from pg_stat_database where datname = current_database()`) as unknown as [
    { commits: string },
  ];
  return Number(commits);
}

/**
 * Postgres 15 backends publish their counters at most once a second while busy and within ~10 s
 * once idle, so a commit count read right after a burst misses some of it. Waiting this long
 * before reading makes the count complete.
 */
export const PG_STATS_FLUSH_MS = 11_000;

/**
 * CPU seconds (user + system) the server's backends for the connected database have used over
 * their lifetimes, read from /proc/<pid>/stat (Postgres on this machine). Null when /proc is not
 * readable (another machine, or no permission).
 */
export async function databaseBackendCpuSeconds(sql: postgres.Sql): Promise<number | null> {
  const rows = (await sql`
    select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`) as unknown as {
    pid: number;
  }[];
  // The server must be on this machine: its backends' pids must be ours to read.
  if (rows.length === 0 || !existsSync(`/proc/${rows[0]?.pid}/stat`)) return null;
  const ticksPerSecond = 100; // USER_HZ on Linux
  let ticks = 0;
  for (const { pid } of rows) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // the backend ended meanwhile
    }
    // Fields after the command name (in parentheses, may hold spaces): utime is the 14th field
    // overall, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

/**
 * A fresh migrated database of its own for one benchmark (cloned from the test template on the
 * machine's Postgres, or the embedded one), and the server's version for the report. The caller
 * drops it (`database.drop()`) when done.
 */
export async function scratchDatabase(): Promise<{ database: TestDatabase; postgresVersion: string }> {
  const pg = await findTestServer(repoRoot);
  const database = await createTestDatabase(pg.adminUrl, await prepareTestTemplate(pg.adminUrl));
  const [row] = (await database.sql`show server_version`) as unknown as [{ server_version: string }];
  return { database, postgresVersion: row.server_version };
}
