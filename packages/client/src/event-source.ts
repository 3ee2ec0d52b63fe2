/**
 * A small EventSource over `fetch`, for runtimes without one (Node has no global EventSource
 * without a flag) and for sending headers (`Authorization: Bearer …`), which the browser's
 * EventSource cannot. It follows the parts of the SSE spec tRPC's subscription link relies on:
 * named events, `data`/`id`/`retry` fields, reconnecting after a dropped stream with the
 * `Last-Event-ID` header, and a non-2xx answer closing the source for good.
 */

export interface FetchEventSourceInit {
  withCredentials?: boolean;
  /** Sent with every (re)connect, e.g. `{ authorization: 'Bearer swt_…' }`. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export interface SseMessageEvent {
  type: string;
  data: string;
  lastEventId: string;
}

type Listener = (event: SseMessageEvent | { type: string }) => void;

export class FetchEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;
  readyState = 0;
  readonly url: string;
  readonly withCredentials: boolean;
  readonly #init: FetchEventSourceInit;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #abort = new AbortController();
  #lastEventId = '';
  #retryMs = 1000;

  constructor(url: string, init: FetchEventSourceInit = {}) {
    this.url = url;
    this.withCredentials = init.withCredentials ?? false;
    this.#init = init;
    void this.#run();
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.#listeners.get(type);
    if (!set) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.#listeners.get(type)?.delete(listener);
  }

  close(): void {
    this.readyState = this.CLOSED;
    this.#abort.abort();
  }

  #dispatch(event: SseMessageEvent | { type: string }) {
    for (const listener of [...(this.#listeners.get(event.type) ?? [])]) listener(event);
  }

  async #run() {
    const doFetch = this.#init.fetch ?? fetch;
    while (this.readyState !== this.CLOSED) {
      try {
        const response = await doFetch(this.url, {
          headers: {
            accept: 'text/event-stream',
            ...(this.#lastEventId ? { 'last-event-id': this.#lastEventId } : {}),
            ...this.#init.headers,
          },
          credentials: this.withCredentials ? 'include' : 'same-origin',
          signal: this.#abort.signal,
        });
        const type = response.headers.get('content-type') ?? '';
        if (!response.ok || !type.includes('text/event-stream') || !response.body) {
          // Per the spec, a wrong answer is final: no reconnecting.
          this.readyState = this.CLOSED;
          this.#dispatch({ type: 'error' });
          await response.body?.cancel().catch(() => {});
          return;
        }
        this.readyState = this.OPEN;
        this.#dispatch({ type: 'open' });
        await this.#read(response.body);
      } catch {
        if (this.readyState === this.CLOSED) return;
      }
      if (this.readyState === this.CLOSED) return;
      this.readyState = this.CONNECTING;
      this.#dispatch({ type: 'error' });
      await new Promise((resolve) => setTimeout(resolve, this.#retryMs));
    }
  }

  async #read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    let buffer = '';
    let eventType = '';
    let data: string[] = [];
    const flush = () => {
      if (data.length > 0) {
        this.#dispatch({
          type: eventType || 'message',
          data: data.join('\n'),
          lastEventId: this.#lastEventId,
        });
      }
      eventType = '';
      data = [];
    };
    for await (const chunk of body) {
      buffer += decoder.decode(chunk, { stream: true });
      let newline = buffer.search(/\r\n|\r|\n/);
      // A "\r" at the end may be the first half of "\r\n": wait for the next chunk to tell.
      while (newline >= 0 && !(newline === buffer.length - 1 && buffer.endsWith('\r'))) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') flush();
        else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') eventType = value;
          else if (field === 'data') data.push(value);
          else if (field === 'id' && !value.includes('\0')) this.#lastEventId = value;
          else if (field === 'retry' && /^\d+$/.test(value)) this.#retryMs = Number(value);
        }
        newline = buffer.search(/\r\n|\r|\n/);
      }
      if (this.readyState === this.CLOSED) return;
    }
  }
}
