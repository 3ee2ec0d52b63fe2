/**
 * An open-loop HTTP load at a steady rate: call `i` is due at `i / rate` seconds and goes out then
 * (on one of at most `connections` keep-alive sockets), whatever the earlier calls are doing, and
 * its latency counts from when it was due — so a harness or server that falls behind shows in the
 * figures instead of thinning the load (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon gives each connection a quota per second, which
 * every connection spends back to back at the start of the second and then waits; "half load" then
 * arrives as bursts at full speed, and its p99 is the full-load p99.
 *
 * The measured calls follow, without a pause, `PACED_LOAD_WARMUP_SECONDS` (default 6) of calls at
 * the same pace whose answers are not kept, as wrk2 leaves out its calibration period: a phase's
 * first calls otherwise time the generator's own start — a just-forked process, its sockets being
 * opened, its code not yet compiled — and the server's step from idle to load. On the 2-vCPU test
 * VM (2026-12-06, B2 at 1,800 calls/s) the first ~100 ms of a phase without a warm-up held 60–90
 * calls over 20 ms, about a third of what a p99 over 10 s may have; set 0 to see them.
 * Why six seconds, not one: a new client is new traffic to the server's JIT too. B2's half load
 * follows autocannon's full load, whose requests differ in their headers; when the paced calls
 * begin V8 drops the server's optimized request path ("wrong map": Fastify's route handler, the
 * webhook's handler, the HTTP parser's callbacks …) and, at 2,400 calls/s, compiles it again ~4.4
 * s later — ~110 ms of TurboFan work on the other vCPU within a few hundred ms, while the
 * generator's own code tiers up at the same moment. With a one-second warm-up that landed 3.4 s
 * into every measured phase: 30–180 calls over 20 ms, 20–40 ms at worst (`--trace-opt`, `perf
 * sched`; 2026-12-06, late evening). Six seconds holds it.
 *
 * The generator runs in a process of its own (./paced-load-generator.ts), with a fresh heap and
 * nothing kept per call but two numbers in preallocated arrays. In the benchmark's own process (the
 * heap of everything it had loaded and run before, a promise kept per call) its garbage collection
 * stopped it for up to 20–30 ms at a time, and answers that arrived meanwhile were timed late: on
 * the 2-vCPU test VM the generator's own lateness (p99) went from 7–10 ms to 3–4 ms (2026-12-06).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { percentile } from './lib.ts';
import type { LoadOrder, Measured, PacedTarget } from './paced-load-generator.ts';

export type { PacedTarget };

export interface PacedLoad {
  /** Answers per second over the whole phase (sending plus the last answers). */
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  samples: number;
  non2xx: number;
  errors: number;
  /**
   * How late the generator itself took calls up (the moment it wrote a call to a socket, or queued
   * it for the first free one − when the call was due), p99: the part of the latencies that is the
   * harness's own, not the server's.
   */
  sendLagP99Ms: number;
  /** Calls sent before the measured ones (the warm-up), not in any figure above. */
  warmupCalls: number;
}

/**
 * `PACED_LOAD_TRACE=<file>`: every call is appended to the file as a JSON line — when it was due
 * (ms since the epoch), its latency (null: no answer) and how late it was sent — to line the slow
 * ones up with what else happened then (a server's GC, a periodic task).
 */
const TRACE_FILE = process.env.PACED_LOAD_TRACE;
const WARMUP_SECONDS = Number(process.env.PACED_LOAD_WARMUP_SECONDS ?? 6);

/** Runs the load in a child process of its own and returns its figures. */
export async function pacedLoad(
  target: PacedTarget,
  rate: number,
  seconds: number,
  connections: number,
): Promise<PacedLoad> {
  // `fork` starts the child with this process's Node flags, so it loads TypeScript the same way.
  const child = fork(fileURLToPath(new URL('./paced-load-generator.ts', import.meta.url)), [], {
    stdio: 'inherit',
    serialization: 'advanced',
  });
  const exited = once(child, 'exit');
  const answer = once(child, 'message') as Promise<[Measured]>;
  child.send({ target, rate, seconds, connections, warmupSeconds: WARMUP_SECONDS } satisfies LoadOrder);
  const [measured] = await Promise.race([
    answer,
    exited.then(([code]) => {
      throw new Error(`the load generator exited (${code}) without its figures`);
    }),
  ]);
  await exited;
  if (TRACE_FILE) {
    const interval = 1000 / rate;
    const lines = Array.from(measured.latencies, (latency, i) =>
      JSON.stringify({
        dueAt: measured.startedAt + i * interval,
        latencyMs: latency,
        lagMs: measured.lags[i],
      }),
    );
    appendFileSync(TRACE_FILE, `${lines.join('\n')}\n`);
  }
  const latencies = Array.from(measured.latencies)
    .filter((latency) => !Number.isNaN(latency))
    .sort((a, b) => a - b);
  const lags = Array.from(measured.lags).sort((a, b) => a - b);
  return {
    perSecond: (latencies.length / measured.wallMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    samples: latencies.length,
    non2xx: measured.non2xx,
    errors: measured.errors,
    sendLagP99Ms: percentile(lags, 99),
    warmupCalls: Math.round(rate * WARMUP_SECONDS),
  };
}
