/**
 * Live run events across processes: one LISTEN connection per process on `RUN_EVENTS_CHANNEL`,
 * fanned out in memory to whoever watches a run (API subscriptions, a runner's cancel watch).
 * Notices only say "run X changed"; subscribers re-read the state, so a coalesced or missed notice
 * costs nothing but a read. After the listener reconnects, every subscriber is told to resync.
 */
import type postgres from 'postgres';
import { parseRunEventNotice, RUN_EVENTS_CHANNEL, type RunEventNotice } from './queries/executions/index.ts';

/**
 * What a watcher hears: a notice about its run; `resync` after the listener reconnected (notices
 * may have been missed: re-read); `closed` when the feed stops (end the watch).
 */
export type RunEventSignal = RunEventNotice | { kind: 'resync' } | { kind: 'closed' };
export type RunEventListener = (signal: RunEventSignal) => void;

export interface RunEventFeed {
  /** Resolves once the LISTEN is in place: a change committed after that is heard. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Calls `listener` for every notice about `executionId`; returns the unsubscribe. */
  subscribe(executionId: string, listener: RunEventListener): () => void;
}

export function createRunEventFeed(
  sql: postgres.Sql,
  options: { onError?: ((error: unknown) => void) | undefined } = {},
): RunEventFeed {
  const listeners = new Map<string, Set<RunEventListener>>();
  let handle: { unlisten(): Promise<void> } | null = null;
  let listening = false;

  const deliver = (executionId: string, signal: RunEventSignal) => {
    for (const listener of listeners.get(executionId) ?? []) {
      try {
        listener(signal);
      } catch (error) {
        options.onError?.(error);
      }
    }
  };

  return {
    async start() {
      if (handle) return;
      handle = await sql.listen(
        RUN_EVENTS_CHANNEL,
        (payload) => {
          const notice = parseRunEventNotice(payload);
          if (notice) deliver(notice.executionId, notice);
        },
        () => {
          // Called on the first LISTEN and again after every reconnect: anything committed while the
          // connection was down was not heard, so every watcher re-reads.
          if (listening) for (const executionId of listeners.keys()) deliver(executionId, { kind: 'resync' });
          listening = true;
        },
      );
    },
    async stop() {
      const current = handle;
      handle = null;
      listening = false;
      for (const executionId of [...listeners.keys()]) deliver(executionId, { kind: 'closed' });
      await current?.unlisten().catch((error: unknown) => options.onError?.(error));
    },
    subscribe(executionId, listener) {
      let set = listeners.get(executionId);
      if (!set) {
        set = new Set();
        listeners.set(executionId, set);
      }
      set.add(listener);
      return () => {
        const current = listeners.get(executionId);
        current?.delete(listener);
        if (current?.size === 0) listeners.delete(executionId);
      };
    },
  };
}
