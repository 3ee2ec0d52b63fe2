/**
 * Node's `--trace-gc-nvp` trace, read back: one record per collection, and a summary of the
 * scavenges and mark-compacts in a window of the traced process's clock. The API's scavenges
 * were where B2's slowest half-load calls were (docs/performance.md, "What changed on 2026-12-06,
 * day").
 */
import { percentile } from './lib.ts';

export interface GcEvent {
  /** When it started, in ms of the traced process's clock (from its isolate's start). */
  atMs: number;
  /** `s` scavenge, `mc` mark-compact, `mmc` memory-reducing mark-compact, … (V8's names). */
  kind: string;
  pauseMs: number;
  /** JS time since the previous collection, ms. */
  mutatorMs: number;
  /** Bytes allocated since the previous collection. */
  allocated: number;
  /** Bytes the collection moved to the old generation. */
  promoted: number;
  /** Bytes of the young generation that survived it (kept young or promoted). */
  survived: number;
}

export function parseGcTrace(text: string): GcEvent[] {
  const events: GcEvent[] = [];
  for (const line of text.split('\n')) {
    const at = /\]\s+([\d.]+) ms: /.exec(line);
    const kind = / gc=(\w+) /.exec(line);
    if (!at || !kind) continue;
    const field = (name: string) => Number(new RegExp(` ${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    events.push({
      atMs: Number(at[1]),
      kind: kind[1]!,
      pauseMs: field('pause'),
      mutatorMs: field('mutator'),
      allocated: field('allocated'),
      promoted: field('promoted'),
      survived: field('new_space_survived'),
    });
  }
  return events;
}

export interface GcSummary {
  scavenges: number;
  scavengePauseP50Ms: number;
  scavengePauseMaxMs: number;
  markCompacts: number;
  markCompactPauseMaxMs: number;
  /** Per second of `seconds`, MB (10⁶ bytes), over the scavenges. */
  allocatedMBps: number;
  survivedMBps: number;
  promotedMBps: number;
}

/** The collections in `events`, with the scavenges' bytes per second of `seconds`. */
export function summariseGc(events: GcEvent[], seconds: number): GcSummary {
  const scavenges = events.filter((e) => e.kind === 's');
  const markCompacts = events.filter((e) => e.kind === 'mc' || e.kind === 'mmc');
  const pauses = scavenges.map((e) => e.pauseMs).sort((a, b) => a - b);
  const perSecond = (key: 'allocated' | 'survived' | 'promoted') =>
    scavenges.reduce((total, e) => total + e[key], 0) / seconds / 1e6;
  return {
    scavenges: scavenges.length,
    scavengePauseP50Ms: pauses.length ? percentile(pauses, 50) : 0,
    scavengePauseMaxMs: pauses.at(-1) ?? 0,
    markCompacts: markCompacts.length,
    markCompactPauseMaxMs: Math.max(0, ...markCompacts.map((e) => e.pauseMs)),
    allocatedMBps: perSecond('allocated'),
    survivedMBps: perSecond('survived'),
    promotedMBps: perSecond('promoted'),
  };
}

export function formatGcSummary(gc: GcSummary): string {
  return (
    `${gc.scavenges} scavenge${gc.scavenges === 1 ? '' : 's'} (pause p50 ${gc.scavengePauseP50Ms.toFixed(1)} ms, ` +
    `max ${gc.scavengePauseMaxMs.toFixed(1)} ms), ` +
    `${gc.markCompacts} mark-compact${gc.markCompacts === 1 ? '' : 's'}` +
    (gc.markCompacts ? ` (max ${gc.markCompactPauseMaxMs.toFixed(1)} ms)` : '') +
    `; per second: allocated ${gc.allocatedMBps.toFixed(1)} MB, survived ${gc.survivedMBps.toFixed(2)} MB, ` +
    `promoted ${gc.promotedMBps.toFixed(2)} MB`
  );
}
