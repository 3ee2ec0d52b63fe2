/**
 * Run events: the small NOTIFY a write sends so live viewers (and the runner executing a run, for
 * `cancel`) re-read the run. A notice is only a wake-up; the state is always read back.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { notifyRunEventsIfWatched } from '../run-watchers.ts';

/** The Postgres channel of run events; payloads are `RunEventNotice` JSON. */
export const RUN_EVENTS_CHANNEL = 'swarm_run_events';

/** What a NOTIFY says: which run changed and how. Readers re-read the state; this is only a wake-up. */
export interface RunEventNotice {
  executionId: string;
  /** `status`: the run's status or outcome changed; `step`: a step changed; `cancel`: cancel requested. */
  kind: 'status' | 'step' | 'cancel';
  /** The run's `event_seq` after the change. */
  seq: number;
}

export function parseRunEventNotice(payload: string): RunEventNotice | null {
  try {
    const value = JSON.parse(payload) as Partial<RunEventNotice>;
    if (typeof value.executionId !== 'string' || typeof value.seq !== 'number') return null;
    if (value.kind !== 'status' && value.kind !== 'step' && value.kind !== 'cancel') return null;
    return { executionId: value.executionId, kind: value.kind, seq: value.seq };
  } catch {
    return null;
  }
}

/**
 * Sends a run event. Every call site runs it AFTER the statement of its transaction that updated the
 * run's `executions` row (holding the row lock until commit): that order is what lets live viewers
 * register without missing a change (see run-watchers.ts), so keep it. Status and step events go
 * only to runs somebody watches; `cancel` always goes out, since the runner executing the run
 * listens for it without registering.
 */
export async function notifyRunEvent(tx: DbOrTx, notice: RunEventNotice) {
  const payload = JSON.stringify(notice);
  if (notice.kind === 'cancel') await tx.execute(sql`select pg_notify(${RUN_EVENTS_CHANNEL}, ${payload})`);
  else await notifyRunEventsIfWatched(tx, RUN_EVENTS_CHANNEL, [notice]);
}

/** `notifyRunEvent` for several runs' status or step events, in one statement (same rule on order). */
export async function notifyRunEvents(
  tx: DbOrTx,
  notices: readonly (RunEventNotice & { kind: 'status' | 'step' })[],
) {
  if (notices.length > 0) await notifyRunEventsIfWatched(tx, RUN_EVENTS_CHANNEL, notices);
}
