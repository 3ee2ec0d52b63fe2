/**
 * The wire between the expression pool and a worker process (expression-pool.ts,
 * expression-worker.ts): lines of JSON over two pipes, tasks to the worker's fd 3 and answers
 * from its fd 4 (expression-worker-process.ts), or over one socket pair as fd 3 where pipes cannot
 * be made.
 *
 * Why not Node's IPC channel (`fork` and `process.send`): a short evaluation takes a few µs, and
 * the message around it cost more. The channel wraps each message in JSON once more (the data,
 * already JSON text the pool measured, was escaped a second time, then parsed twice), and a worker
 * can only receive between turns of its event loop. Here data and results travel as the JSON text
 * they already are, each on its own line (JSON text holds no raw line break), and a worker that has
 * just answered reads its next task synchronously, polling the channel for a moment instead of
 * sleeping (`createSpinReader`): on a virtual machine a sleeping process is woken through the
 * hypervisor, which cost tens of µs per message, more than the evaluation.
 *
 * Started by Node itself in a worker (erasable TypeScript only, like expression-worker.ts).
 */
import { readSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSpinBackoff } from './busy-wait.ts';
import type { ExpressionLimits } from './expressions.ts';

/** The channel's file descriptor in the worker. */
export const CHANNEL_FD = 3;

export interface ExpressionTask {
  source: string;
  /** The data as JSON text (the pool measured its size). */
  data: string;
  bindings?: Record<string, unknown> | undefined;
  limits: ExpressionLimits;
  maxOutputBytes: number;
}

/** The result as JSON text, or why there is none. */
export type ExpressionAnswer = { result: string } | { error: string };

/** What a worker says: booted, or an answer; with its own CPU time so far either way. */
export type WorkerMessage = { cpuMs: number } & (
  | { ready: true; id?: undefined; answer?: undefined }
  | { ready?: undefined; id: number; answer: ExpressionAnswer }
);

/** An evaluation as the pool sends it: a header line, then the data's JSON text on its own line. */
export function taskText(id: number, { data, ...rest }: ExpressionTask): string {
  return `${JSON.stringify({ id, ...rest })}\n${data}\n`;
}

/** The worker's side: each task whole, from its two lines. */
export function createTaskReader(onTask: (id: number, task: ExpressionTask) => void) {
  let header: (Omit<ExpressionTask, 'data'> & { id: number }) | null = null;
  return createLineSplitter((line) => {
    if (header === null) {
      header = JSON.parse(line);
      return;
    }
    const { id, ...task } = header;
    header = null;
    onTask(id, { ...task, data: line });
  });
}

/**
 * What a worker sends: a header line — `ready`, or an answer's id with its `error` or `ok` — and
 * after `ok` the result's JSON text on its own line.
 */
type WorkerHeader = { cpuMs: number; ready?: true; id?: number; error?: string; ok?: true };

export function workerMessageText(message: WorkerMessage): string {
  const { answer, ...said } = message;
  if (answer === undefined) return `${JSON.stringify(said)}\n`;
  if ('error' in answer) return `${JSON.stringify({ ...said, error: answer.error })}\n`;
  return `${JSON.stringify({ ...said, ok: true })}\n${answer.result}\n`;
}

/** The pool's side: each message a worker sends, whole. */
export function createWorkerMessageReader(onMessage: (message: WorkerMessage) => void) {
  let awaitingResult: WorkerHeader | null = null;
  return createLineSplitter((line) => {
    if (awaitingResult !== null) {
      const { cpuMs, id } = awaitingResult;
      awaitingResult = null;
      return onMessage({ cpuMs, id: id!, answer: { result: line } });
    }
    const said = JSON.parse(line) as WorkerHeader;
    if (said.ok) awaitingResult = said;
    else if (said.ready) onMessage({ cpuMs: said.cpuMs, ready: true });
    else onMessage({ cpuMs: said.cpuMs, id: said.id!, answer: { error: said.error ?? 'no answer' } });
  });
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines and hands each on as text. Chunks end anywhere, even inside a
 * multi-byte character: bytes are kept until their line is complete, then decoded whole.
 */
function createLineSplitter(onLine: (line: string) => void): (chunk: Buffer) => void {
  let held: Buffer[] = [];
  return (chunk) => {
    let from = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, from)) {
      const tail = chunk.subarray(from, at);
      const line = held.length === 0 ? tail : Buffer.concat([...held, tail]);
      held = [];
      from = at + 1;
      onLine(line.toString('utf8'));
    }
    // Copied: a socket may reuse the buffer it handed over.
    if (from < chunk.length) held.push(Buffer.from(chunk.subarray(from)));
  };
}

/**
 * Reads what is waiting on a non-blocking descriptor, polling for up to `windowMs` when nothing is
 * there yet. The caller blocks meanwhile, so only a process with nothing else to do (a worker
 * between two tasks) may call it; a window that brings nothing holds polling off for a while
 * (`createSpinBackoff`: the next message is not about to come — no more work, or a machine so busy
 * that polling keeps the sender from running).
 */
export function createSpinReader(windowMs: number) {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  const backoff = createSpinBackoff();
  /**
   * Bytes now on `fd` (a view into a reused buffer, valid until the next call; empty at the end,
   * when the other side closed), or null when none came.
   */
  function read(fd: number): Buffer | null {
    const started = performance.now();
    const window = backoff.allowed() ? windowMs : 0;
    const bytes = withoutStackTraces(() => {
      do {
        const got = unlessWouldBlock(() => readSync(fd, buffer, 0, buffer.length, null));
        if (got !== null) return got;
      } while (performance.now() - started < window);
      return null;
    });
    if (window > 0) {
      if (bytes === null) backoff.vain();
      else backoff.paid();
    }
    return bytes === null ? null : buffer.subarray(0, bytes);
  }
  return { read };
}

/**
 * Writes `bytes` whole to a non-blocking descriptor, waiting out a full channel (the other side
 * reads on). Only for a process with nothing else to do meanwhile (a worker answering).
 */
export function writeWhole(fd: number, bytes: Buffer): void {
  withoutStackTraces(() => {
    for (let sent = 0; sent < bytes.length; ) sent += unlessWouldBlock(() => writeSync(fd, bytes, sent)) ?? 0;
  });
}

/** What `io` returned, or null when the descriptor was not ready (EAGAIN). */
function unlessWouldBlock(io: () => number): number | null {
  try {
    return io();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    return null;
  }
}

/**
 * Runs synchronous I/O that fails often by design (EAGAIN on every empty poll) without capturing a
 * stack trace for each failure: a poll then costs ~1 µs, not ~3.
 */
function withoutStackTraces<T>(run: () => T): T {
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return run();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

/**
 * A socket's (or pipe's) file descriptor, for synchronous reads. Node has no public way to it:
 * `_handle.fd` has been how for as long as sockets have had descriptors; where it is missing,
 * answers are only read in the event loop.
 */
export function descriptorOf(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}
