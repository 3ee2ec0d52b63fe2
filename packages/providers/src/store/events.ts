/**
 * The provider event log (`provider_events`): every fallback, and breaker changes reported from
 * outside the breakers (the breakers write their own transitions in the same transaction).
 */
import { type Db, insertProviderEvent } from '@swarm/db';
import type { ProviderEvent, ProviderEventLog } from '../ports.ts';

export function createProviderEventLog(db: Db): ProviderEventLog {
  return {
    async record(event: ProviderEvent) {
      if (event.kind === 'fallback') {
        await insertProviderEvent(db, {
          kind: 'fallback',
          provider: event.from.provider,
          model: event.from.model,
          errorClass: event.errorClass,
          executionId: event.executionId,
          detail: { to: event.to },
        });
      } else {
        await insertProviderEvent(db, {
          kind: 'breaker',
          provider: event.ref.provider,
          model: event.ref.model,
          detail: { from: event.from, to: event.to },
        });
      }
    },
  };
}
