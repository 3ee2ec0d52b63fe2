/**
 * The process `pacedLoad` (./paced-load.ts) forks to send a paced load: it imports nothing but Node,
 * keeps two numbers per call in preallocated arrays, and sends them back when the last call is
 * answered. See paced-load.ts for why the load runs in a process of its own.
 */
import http from 'node:http';

export interface PacedTarget {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

/** What the generator process sends back: per call (by index), its latency (NaN: no answer) and lag. */
export interface Measured {
  latencies: Float64Array;
  /** When call 0 was due (ms since the epoch); call `i` was due `i * 1000 / rate` ms later. */
  startedAt: number;
  lags: Float64Array;
  wallMs: number;
  non2xx: number;
  errors: number;
}

export interface LoadOrder {
  target: PacedTarget;
  rate: number;
  seconds: number;
  connections: number;
  /** Calls sent at the same pace before the measured ones, their answers not kept (see paced-load.ts). */
  warmupSeconds: number;
}

async function generate({ target, rate, seconds, connections, warmupSeconds }: LoadOrder): Promise<Measured> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const url = new URL(target.url);
  const body = target.body === undefined ? undefined : Buffer.from(target.body);
  const headers = { ...target.headers, ...(body && { 'content-length': String(body.length) }) };
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies = new Float64Array(total).fill(Number.NaN);
  const lags = new Float64Array(total);
  let settled = 0;
  let non2xx = 0;
  let errors = 0;
  let allSettled: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  const settle = () => {
    if (++settled === total) allSettled();
  };
  const options = {
    host: url.hostname,
    port: url.port,
    path: url.pathname + url.search,
    method: target.method,
    headers,
    agent,
  };

  // The warm-up's calls: the same pace, straight into the measured ones, nothing kept of them.
  const warmup = Math.round(rate * warmupSeconds);
  const warm = () => {
    const request = http.request(options, (response) => response.resume());
    request.on('error', () => {});
    request.end(body);
  };

  const send = (i: number, due: number) => {
    lags[i] = performance.now() - due;
    const request = http.request(options, (response) => {
      response.resume();
      response.on('end', () => {
        latencies[i] = performance.now() - due;
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) non2xx++;
        settle();
      });
    });
    request.on('error', () => {
      errors++;
      settle();
    });
    request.end(body);
  };

  // Call `i` (warm-up ones negative) is due `i / rate` s after the first measured call.
  const start = performance.now() + warmupSeconds * 1000;
  const dueAt = (i: number) => start + (i * 1000) / rate;
  let next = -warmup;
  await new Promise<void>((resolve) => {
    const tick = () => {
      // Every call due by now goes out now (a late timer sends the ones it owes at once).
      while (next < total && dueAt(next) <= performance.now()) {
        if (next < 0) warm();
        else send(next, dueAt(next));
        next++;
      }
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, dueAt(next) - performance.now()));
    };
    tick();
  });
  await done;
  const wallMs = performance.now() - start;
  agent.destroy();
  return { latencies, startedAt: performance.timeOrigin + start, lags, wallMs, non2xx, errors };
}

if (process.send) {
  process.once('message', (order: LoadOrder) => {
    void generate(order).then((result) => process.send!(result, () => process.exit(0)));
  });
}
