/**
 * What the machine was doing while a paced phase's calls were slow — a diagnostic, not a benchmark.
 *
 * `pnpm exec tsx bench/host-timeline.ts record <timeline.jsonl> [seconds]` samples every 10 ms, for
 * `seconds` or until SIGINT/SIGTERM (Ctrl-C; a `kill` of `pnpm exec` in the background does not
 * reach it — hence `seconds`), one JSON line each: the CPU time of both vCPUs by kind
 * (`/proc/stat`: busy, idle, iowait, steal), the sectors written and ms spent writing by the block
 * devices (`/proc/diskstats`), the kernel's dirty and under-writeback page cache (`/proc/meminfo`),
 * and what the local Postgres's busy sessions wait on (`pg_stat_activity`). Start it before `pnpm
 * bench B2` with `PACED_LOAD_TRACE=<calls.jsonl>` (B2 takes ~2 minutes).
 *
 * `pnpm exec tsx bench/host-timeline.ts episodes <calls.jsonl> <timeline.jsonl> [over ms]` groups
 * the first paced phase's calls slower than `over` (default 15) into episodes (slow calls less than
 * 15 ms apart) and prints, for each of ten calls or more, what the timeline saw from 60 ms before
 * it to 30 ms after: the most written in one sample (a burst of writeback), the most under
 * writeback, idle and iowait ticks, and the commonest waits.
 *
 * On the 2-vCPU test VM (2026-12-06, late evening) this is how B2's ~50 ms half-load episodes were
 * found to line up with the kernel writing back 60–70 MB of Postgres's data files at once, its WAL
 * flushes waiting behind them (docs/performance.md, "What changed on 2026-12-06, late evening").
 * Sampling costs ~5 % of a vCPU: ~4 % the sampler's, ~1 % its Postgres session's.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { findTestServer } from '@swarm/db/testing';
import postgres from 'postgres';
import { repoRoot } from './lib.ts';

const SAMPLE_MS = 10;

interface Sample {
  /** ms since the epoch (the paced-load trace's clock). */
  at: number;
  /** Clock ticks since the last sample (100 a second per vCPU). */
  cpu: { busy: number; idle: number; iowait: number; steal: number };
  /** Sectors (512 bytes) written and ms spent writing since the last sample, all disks. */
  disk: { sectorsWritten: number; writeMs: number };
  dirtyKb: number;
  writebackKb: number;
  /** `backend type: wait event` of every session not idle (a busy one without a wait: `…: cpu`). */
  waits: string[];
}

/** `/proc/stat`'s first line: user nice system idle iowait irq softirq steal … (ticks). */
function cpuTicks(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
}

/** Whole disks (not partitions, loops or ram disks): sectors written, ms writing. */
function diskWrites(): [number, number] {
  const disks = new Set(readdirSync('/sys/block').filter((name) => !/^(loop|ram|zram)/.test(name)));
  let sectors = 0;
  let ms = 0;
  for (const line of readFileSync('/proc/diskstats', 'utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!disks.has(fields[2]!)) continue;
    sectors += Number(fields[9]);
    ms += Number(fields[10]);
  }
  return [sectors, ms];
}

function meminfoKb(text: string, name: string): number {
  return Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
}

async function record(file: string, seconds: number): Promise<void> {
  const { adminUrl } = await findTestServer(repoRoot);
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  writeFileSync(file, '');
  let stopping = false;
  process.once('SIGINT', () => (stopping = true));
  process.once('SIGTERM', () => (stopping = true));
  const until = performance.now() + seconds * 1000;
  let lastCpu = cpuTicks();
  let lastDisk = diskWrites();
  let lines: string[] = [];
  while (!stopping && performance.now() < until) {
    const from = performance.now();
    const rows = (await sql`
      select backend_type, wait_event_type, wait_event from pg_stat_activity
      where state is distinct from 'idle' and pid <> pg_backend_pid()
        and backend_type = any(array['client backend', 'walwriter', 'checkpointer',
                                     'background writer', 'autovacuum worker'])`) as unknown as {
      backend_type: string;
      wait_event_type: string | null;
      wait_event: string | null;
    }[];
    const cpu = cpuTicks();
    const disk = diskWrites();
    const meminfo = readFileSync('/proc/meminfo', 'utf8');
    const delta = (i: number) => (cpu[i] ?? 0) - (lastCpu[i] ?? 0);
    const sample: Sample = {
      at: Date.now(),
      cpu: {
        busy: delta(0) + delta(1) + delta(2) + delta(5) + delta(6),
        idle: delta(3),
        iowait: delta(4),
        steal: delta(7),
      },
      disk: { sectorsWritten: disk[0] - lastDisk[0], writeMs: disk[1] - lastDisk[1] },
      dirtyKb: meminfoKb(meminfo, 'Dirty'),
      writebackKb: meminfoKb(meminfo, 'Writeback'),
      waits: rows
        // The background processes idle in their own "Activity" waits: not worth a line.
        .filter((row) => row.wait_event_type !== 'Activity')
        .map((row) => `${row.backend_type}: ${row.wait_event ?? 'cpu'}`),
    };
    lastCpu = cpu;
    lastDisk = disk;
    lines.push(JSON.stringify(sample));
    if (lines.length >= 100) {
      appendFileSync(file, `${lines.join('\n')}\n`);
      lines = [];
    }
    await sleep(Math.max(0, SAMPLE_MS - (performance.now() - from)));
  }
  if (lines.length > 0) appendFileSync(file, `${lines.join('\n')}\n`);
  await sql.end();
}

/** A line of `PACED_LOAD_TRACE` (./paced-load.ts). */
interface TracedCall {
  dueAt: number;
  latencyMs: number | null;
}

function readJsonLines<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function episodes(callsFile: string, timelineFile: string, overMs: number): void {
  const all = readJsonLines<TracedCall>(callsFile);
  // The trace holds every paced phase of the run, one after the other (the next one's warm-up
  // between them, not traced): the first is B2's webhook.
  const phaseEnd = all.findIndex((call, i) => i > 0 && call.dueAt - all[i - 1]!.dueAt > 1000);
  const calls = phaseEnd < 0 ? all : all.slice(0, phaseEnd);
  const timeline = readJsonLines<Sample>(timelineFile);
  const start = calls[0]!.dueAt;
  const found: { from: number; to: number; calls: number; worstMs: number }[] = [];
  for (const call of calls) {
    const ms = call.latencyMs ?? Number.POSITIVE_INFINITY;
    if (ms <= overMs) continue;
    const last = found.at(-1);
    if (last && call.dueAt - last.to < 15) {
      last.to = call.dueAt;
      last.calls++;
      last.worstMs = Math.max(last.worstMs, ms);
    } else found.push({ from: call.dueAt, to: call.dueAt, calls: 1, worstMs: ms });
  }
  console.log(
    `${calls.length} calls from ${new Date(start).toISOString()}; ${found.reduce((n, e) => n + e.calls, 0)} over ${overMs} ms`,
  );
  for (const episode of found.filter((e) => e.calls >= 10)) {
    const around = timeline.filter((s) => s.at >= episode.from - 60 && s.at <= episode.to + 30);
    const waits = new Map<string, number>();
    for (const sample of around) for (const wait of sample.waits) waits.set(wait, (waits.get(wait) ?? 0) + 1);
    const commonest = [...waits].sort((a, b) => b[1] - a[1]).slice(0, 3);
    const max = (pick: (s: Sample) => number) => Math.max(0, ...around.map(pick));
    const sum = (pick: (s: Sample) => number) => around.reduce((n, s) => n + pick(s), 0);
    console.log(
      [
        `+${(episode.from - start).toFixed(0)} ms: ${episode.calls} calls over ${overMs} ms within ${(episode.to - episode.from).toFixed(0)} ms, worst ${episode.worstMs.toFixed(1)} ms`,
        `  ${around.length} samples: most written in one ${(max((s) => s.disk.sectorsWritten) / 2048).toFixed(1)} MB, under writeback up to ${(max((s) => s.writebackKb) / 1024).toFixed(1)} MB; ticks busy ${sum((s) => s.cpu.busy)}, idle ${sum((s) => s.cpu.idle)}, iowait ${sum((s) => s.cpu.iowait)}, steal ${sum((s) => s.cpu.steal)}`,
        `  waits: ${commonest.map(([wait, n]) => `${wait} ×${n}`).join(', ') || 'none'}`,
      ].join('\n'),
    );
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'record' && args[0]) await record(args[0], Number(args[1] ?? Number.POSITIVE_INFINITY));
else if (mode === 'episodes' && args[0] && args[1]) episodes(args[0], args[1], Number(args[2] ?? 15));
else {
  console.error(
    'usage: host-timeline.ts record <timeline.jsonl> [seconds] | episodes <calls.jsonl> <timeline.jsonl> [over ms]',
  );
  process.exitCode = 2;
}
