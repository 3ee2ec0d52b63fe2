/**
 * What the fake providers put on the wire in these tests: server-sent-event bodies built from the
 * golden fixtures, and gates that let a handler wait for the test (or the test for the handler)
 * on an event instead of a sleep.
 */
import { HttpResponse } from 'msw';
import { ProviderError } from '../../src/types.ts';

export interface SseEvent {
  /** The `event:` line (Anthropic names its events; OpenAI and Gemini don't). */
  event?: string;
  /** Serialised as JSON unless it is already a string (e.g. `[DONE]` or a broken payload). */
  data: unknown;
}

/**
 * Real providers stream with chunked transfer encoding. It matters here too: without it the end of
 * the body is the socket's close, and msw's socket emulation closing a stream the client already
 * aborted trips an internal undici assertion.
 */
export const SSE_HEADERS = { 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked' };

export function sseBody(events: SseEvent[]): string {
  return events
    .map(({ event, data }) => {
      const payload = typeof data === 'string' ? data : JSON.stringify(data);
      return `${event ? `event: ${event}\n` : ''}data: ${payload}\n\n`;
    })
    .join('');
}

export function sseResponse(
  events: SseEvent[],
  init: { status?: number; headers?: Record<string, string> } = {},
) {
  return new HttpResponse(sseBody(events), {
    status: init.status ?? 200,
    headers: { ...SSE_HEADERS, ...init.headers },
  });
}

/** A one-shot signal: `open()` releases everyone awaiting `opened`. */
export function createGate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Deep copy of a fixture, so a test can tweak it without touching the others. */
export function copy<T>(value: T): T {
  return structuredClone(value);
}

/** The `ProviderError` a call rejected with; fails the test if it resolved or threw something else. */
export async function rejection(call: Promise<unknown>): Promise<ProviderError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ProviderError) return error;
    throw error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
