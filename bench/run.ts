/**
 * `pnpm bench` runs every registered benchmark; `pnpm bench B9` runs one. Each prints a table and
 * writes bench/results/<id>.json with the machine, versions, parameters and figures.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { b0 } from './b0-commit-ceiling.ts';
import { b1 } from './b1-pgboss-raw.ts';
import { b2 } from './b2-webhook-ingest.ts';
import { b3 } from './b3-end-to-end.ts';
import { b4 } from './b4-webhook-latency.ts';
import { b5 } from './b5-step-overhead.ts';
import { b6 } from './b6-scale-out.ts';
import { b7 } from './b7-cron-precision.ts';
import { b8 } from './b8-analytics.ts';
import { b9 } from './b9-versions.ts';
import type { Benchmark, BenchResult, BenchRow } from './lib.ts';

const benchmarks: Benchmark[] = [b0, b1, b2, b3, b4, b5, b6, b7, b8, b9];

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '—');

function printTable(id: string, title: string, rows: BenchRow[]): void {
  const header = ['measurement', 'n', '/s', 'p50 ms', 'p95 ms', 'p99 ms', 'baseline', 'ratio', 'bar', 'met'];
  const body = rows.map((r) => [
    r.name,
    String(r.samples),
    r.perSecond === undefined ? '' : r.perSecond.toFixed(0),
    ms(r.p50Ms),
    ms(r.p95Ms),
    r.p99Ms === undefined ? '' : ms(r.p99Ms),
    r.baseline ?? '(baseline)',
    r.ratio === null ? '' : `${r.ratio.toFixed(2)}×`,
    r.bar ?? '',
    r.met === null ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(`\n${id} — ${title}`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) console.log(line(row));
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((arg) => arg !== '--');
  const known = benchmarks.map((b) => b.id);
  const unknown = wanted.filter((id) => !known.some((k) => k.toLowerCase() === id.toLowerCase()));
  if (unknown.length > 0) {
    console.error(
      `Unknown benchmark ${unknown.map((u) => `"${u}"`).join(', ')}. Known: ${known.join(', ')}.`,
    );
    process.exit(2);
  }
  const selected =
    wanted.length === 0
      ? benchmarks
      : benchmarks.filter((b) => wanted.some((w) => w.toLowerCase() === b.id.toLowerCase()));

  mkdirSync(path.join(benchDir, 'results'), { recursive: true });
  for (const bench of selected) {
    const started = new Date();
    const result: BenchResult = await bench.run();
    printTable(bench.id, bench.title, result.rows);
    for (const note of result.notes) console.log(`  note: ${note}`);
    const cpus = os.cpus();
    const report = {
      id: bench.id,
      title: bench.title,
      date: started.toISOString(),
      durationMs: Date.now() - started.getTime(),
      machine: {
        hostname: os.hostname(),
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        cpus: cpus.length,
        cpuModel: cpus[0]?.model ?? 'unknown',
        memoryBytes: os.totalmem(),
        node: process.version,
        postgres: result.versions.postgres ?? null,
      },
      versions: { swarm: gitCommit(), ...result.versions },
      parameters: result.parameters,
      rows: result.rows,
      notes: result.notes,
    };
    const file = path.join(benchDir, 'results', `${bench.id}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`  wrote ${path.relative(repoRoot, file)}`);
  }
}

await main();
