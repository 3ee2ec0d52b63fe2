/**
 * An open-loop HTTP load at a steady rate: call `i` is due at `i / rate` seconds and goes out then
 * (on one of at most `connections` keep-alive sockets), whatever the earlier calls are doing, and
 * its latency counts from when it was due — so a harness or server that falls behind shows in the
 * figures instead of thinning the load (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon gives each connection a quota per second, which
 * every connection spends back to back at the start of the second and then waits; "half load" then
 * arrives as bursts at full speed, and its p99 is the full-load p99.
 */
import http from 'node:http';
import { percentile } from './lib.ts';

export interface PacedTarget {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

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
   * How late the generator itself sent calls (the moment `http.request` was called − when the call
   * was due), p99: the part of the latencies that is the harness's own, not the server's.
   */
  sendLagP99Ms: number;
}

export async function pacedLoad(
  target: PacedTarget,
  rate: number,
  seconds: number,
  connections: number,
): Promise<PacedLoad> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(target.url);
  const body = target.body === undefined ? undefined : Buffer.from(target.body);
  const headers = { ...target.headers, ...(body && { 'content-length': String(body.length) }) };
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies: number[] = [];
  const lags: number[] = [];
  let non2xx = 0;
  let errors = 0;

  const send = (due: number) =>
    new Promise<void>((resolve) => {
      lags.push(performance.now() - due);
      const request = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname + url.search,
          method: target.method,
          headers,
          agent,
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - due);
            const status = response.statusCode ?? 0;
            if (status < 200 || status >= 300) non2xx++;
            resolve();
          });
        },
      );
      request.on('error', () => {
        errors++;
        resolve();
      });
      request.end(body);
    });

  const start = performance.now();
  const dueAt = (i: number) => start + (i * 1000) / rate;
  const calls: Promise<void>[] = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      // Every call due by now goes out now (a late timer sends the ones it owes at once).
      while (next < total && dueAt(next) <= performance.now()) calls.push(send(dueAt(next++)));
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, dueAt(next) - performance.now()));
    };
    tick();
  });
  await Promise.all(calls);
  const wallMs = performance.now() - start;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    perSecond: (latencies.length / wallMs) * 1000,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    samples: latencies.length,
    non2xx,
    errors,
    sendLagP99Ms: percentile(lags, 99),
  };
}
