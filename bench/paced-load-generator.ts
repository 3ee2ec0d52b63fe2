/**
 * The process `pacedLoad` (./paced-load.ts) forks to send a paced load: it imports nothing but Node,
 * keeps two numbers per call in preallocated arrays, and sends them back when the last call is
 * answered. See paced-load.ts for why the load runs in a process of its own.
 */
import { connect, type Socket } from 'node:net';

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

/**
 * One keep-alive HTTP/1.1 connection that carries one call at a time (no pipelining). It writes the
 * same request bytes for every call and reads just enough of each answer to know its status and
 * where it ends (`content-length`, or chunked to the last chunk): what wrk does in C. On a 2-vCPU
 * machine the generator's CPU is taken from the server it measures, its garbage collection above
 * all (seen: the generator's GC threads running while the API waited for a CPU). Against Node's
 * `http.request`, on the 2-vCPU test VM at 2,400 calls/s (B2, 2026-12-06, alternated, same server):
 * the generator's CPU 17–26 % → 8–12 % of a core, the webhook's half-load p50 3.95–4.09 → 3.45–3.53
 * ms (its p99 moved within the runs' spread either way).
 */
class Connection {
  private readonly socket: Socket;
  private received: Buffer | null = null;
  private onAnswer: ((status: number) => void) | null = null;
  private onFailure: (() => void) | null = null;
  closed = false;

  constructor(port: number, host: string, onClose: (connection: Connection) => void) {
    this.socket = connect({ port, host, noDelay: true });
    this.socket.on('data', (chunk) => this.read(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      const failed = this.onFailure;
      this.onAnswer = this.onFailure = null;
      failed?.();
      onClose(this);
    });
  }

  /** Sends `request`; `answered(status)` or `failed()` follows, once. */
  call(request: Buffer, answered: (status: number) => void, failed: () => void): void {
    this.onAnswer = answered;
    this.onFailure = failed;
    this.socket.write(request);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    const data = this.received ? Buffer.concat([this.received, chunk]) : chunk;
    const end = answerEnd(data);
    if (end < 0) {
      this.received = data;
      return;
    }
    this.received = end < data.length ? data.subarray(end) : null;
    const answered = this.onAnswer;
    this.onAnswer = this.onFailure = null;
    // The status code: the three digits after "HTTP/1.1 ".
    answered?.((data[9]! - 48) * 100 + (data[10]! - 48) * 10 + (data[11]! - 48));
  }
}

const HEADERS_END = Buffer.from('\r\n\r\n');
const LAST_CHUNK = Buffer.from('\r\n0\r\n\r\n');

/** Where the first whole answer in `data` ends, or -1 while it is incomplete. */
function answerEnd(data: Buffer): number {
  const headersEnd = data.indexOf(HEADERS_END);
  if (headersEnd < 0) return -1;
  const bodyStart = headersEnd + HEADERS_END.length;
  const head = data.toString('latin1', 0, headersEnd).toLowerCase();
  const length = /\r\ncontent-length: *(\d+)/.exec(head);
  if (length) {
    const end = bodyStart + Number(length[1]);
    return data.length >= end ? end : -1;
  }
  if (head.includes('\r\ntransfer-encoding: chunked')) {
    // Good enough for a benchmark's small answers: the body ends at its zero-length chunk.
    const last = data.indexOf(LAST_CHUNK, bodyStart - 2);
    return last < 0 ? -1 : last + LAST_CHUNK.length;
  }
  return bodyStart;
}

async function generate({ target, rate, seconds, connections, warmupSeconds }: LoadOrder): Promise<Measured> {
  const url = new URL(target.url);
  const host = url.hostname;
  const port = Number(url.port || 80);
  const body = target.body === undefined ? Buffer.alloc(0) : Buffer.from(target.body);
  const head = [
    `${target.method} ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    ...Object.entries(target.headers).map(([name, value]) => `${name}: ${value}`),
    ...(target.body === undefined ? [] : [`content-length: ${body.length}`]),
  ];
  const request = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
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

  // Call `i` (warm-up ones negative) is due `i / rate` s after the first measured call.
  const start = performance.now() + warmupSeconds * 1000;
  const dueAt = (i: number) => start + (i * 1000) / rate;

  // Up to `connections` sockets, opened as they are needed; a call due while every one is busy
  // waits for the first to free (its wait counts in its latency: it is timed from when it was due).
  const idle: Connection[] = [];
  const open = new Set<Connection>();
  const queued: number[] = [];
  let queuedFrom = 0;
  const closed = (connection: Connection) => {
    open.delete(connection);
    const at = idle.indexOf(connection);
    if (at >= 0) idle.splice(at, 1);
    // A waiting call goes out on a new socket (its lag was taken when it was queued).
    const fresh = queuedFrom < queued.length ? freeConnection() : undefined;
    if (fresh) run(fresh, queued[queuedFrom++]!);
  };
  const freeConnection = (): Connection | undefined => {
    const free = idle.pop();
    if (free) return free;
    if (open.size >= connections) return undefined;
    const opened = new Connection(port, host, closed);
    open.add(opened);
    return opened;
  };
  const release = (used: Connection) => {
    if (used.closed) return;
    if (queuedFrom < queued.length) run(used, queued[queuedFrom++]!);
    else idle.push(used);
  };
  // Call `i` (warm-up ones negative, nothing kept of them).
  const run = (used: Connection, i: number) => {
    used.call(
      request,
      (status) => {
        if (i >= 0) {
          latencies[i] = performance.now() - dueAt(i);
          if (status < 200 || status >= 300) non2xx++;
          settle();
        }
        release(used);
      },
      () => {
        if (i >= 0) {
          errors++;
          settle();
        }
      },
    );
  };
  const dispatch = (i: number) => {
    if (i >= 0) lags[i] = performance.now() - dueAt(i);
    const free = freeConnection();
    if (free) run(free, i);
    else queued.push(i);
  };

  let next = -Math.round(rate * warmupSeconds);
  await new Promise<void>((resolve) => {
    const tick = () => {
      // Every call due by now goes out now (a late timer sends the ones it owes at once).
      while (next < total && dueAt(next) <= performance.now()) {
        dispatch(next);
        next++;
      }
      if (next >= total) resolve();
      else setTimeout(tick, Math.max(0, dueAt(next) - performance.now()));
    };
    tick();
  });
  await done;
  const wallMs = performance.now() - start;
  for (const used of open) used.destroy();
  return { latencies, startedAt: performance.timeOrigin + start, lags, wallMs, non2xx, errors };
}

if (process.send) {
  process.once('message', (order: LoadOrder) => {
    void generate(order).then((result) => process.send!(result, () => process.exit(0)));
  });
}
