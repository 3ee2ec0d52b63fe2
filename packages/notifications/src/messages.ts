/**
 * What a notification says: one message per delivery (a subject line, plain text for email and
 * Slack, and the JSON body a webhook receives). Built only from the event's recorded facts —
 * never from a channel (its URL or secret) — so nothing secret can reach a message.
 */
import type { DeliveryForSending } from '@swarm/db';

export interface NotificationMessage {
  subject: string;
  text: string;
  /** The signed webhook's body (`type` is the event kind, `test` or `digest`). */
  json: { type: string; timestamp: string; data: Record<string, unknown> };
}

const EVENT_TITLES = {
  run_failed: 'Run failed',
  schedule_failed: 'Schedule fire failed',
  budget_threshold: 'Budget threshold crossed',
  circuit_opened: 'Circuit opened',
} as const;

const dollars = (micros: unknown) => (typeof micros === 'number' ? `$${(micros / 1e6).toFixed(2)}` : '?');

/** Links to the app, when the runner knows where it is served (SWARM_PUBLIC_URL). */
function runLink(publicUrl: string | null, executionId: string | null): string | null {
  return publicUrl && executionId ? `${publicUrl.replace(/\/+$/, '')}/runs/${executionId}` : null;
}

function eventLines(delivery: DeliveryForSending, publicUrl: string | null): string[] {
  const p = delivery.eventPayload ?? {};
  const workflow = delivery.workflowName ?? (p.workflowName as string | undefined) ?? 'a workflow';
  switch (delivery.eventKind) {
    case 'run_failed': {
      const error = (p.error ?? {}) as { code?: string; message?: string };
      const node = p.nodeId ? `${p.nodeName ? `${String(p.nodeName)} ` : ''}(${String(p.nodeId)})` : null;
      const link = runLink(publicUrl, delivery.executionId);
      return [
        `A run of "${workflow}" failed${node ? ` at node ${node}` : ''}.`,
        `Error: ${error.code ?? 'error'}: ${error.message ?? 'no message'}`,
        `Run: ${delivery.executionId ?? '?'} (trigger: ${String(p.trigger ?? '?')})`,
        ...(link ? [link] : []),
        ...(p.errorWorkflowRunId ? [`Error workflow run: ${String(p.errorWorkflowRunId)}`] : []),
      ];
    }
    case 'schedule_failed':
      return [
        `A scheduled fire of "${workflow}" (${String(p.cron ?? '')}) was ${String(p.outcome ?? 'not run')}.`,
        `Due at: ${String(p.fireAt ?? '?')}`,
        ...(p.reason ? [`Why: ${String(p.reason)}`] : []),
      ];
    case 'budget_threshold':
      return [
        `A budget${delivery.workflowId ? ` of "${workflow}"` : ' (all workflows)'} reached ${String(p.threshold)}%` +
          ` in ${String(p.period)}: ${dollars(p.spentMicros)} of ${dollars(p.limitMicros)}.`,
      ];
    case 'circuit_opened':
      return [
        `The circuit for ${String(p.provider)}/${String(p.model)} opened: calls to it fail over or fail`,
        'until it recovers. Your workflows use this model.',
      ];
    default:
      return [];
  }
}

export function notificationMessage(
  delivery: DeliveryForSending,
  publicUrl: string | null,
): NotificationMessage {
  const timestamp = (delivery.eventCreatedAt ?? delivery.createdAt).toISOString();
  if (delivery.kind === 'test') {
    return {
      subject: '[SWARM] Test notification',
      text: 'This is a test notification from SWARM: this channel works.',
      json: { type: 'test', timestamp, data: { deliveryId: delivery.id } },
    };
  }
  const title = delivery.eventKind ? EVENT_TITLES[delivery.eventKind] : 'Notification';
  const workflow = delivery.workflowName ?? null;
  if (delivery.kind === 'digest') {
    const count = delivery.digestCount;
    return {
      subject: `[SWARM] ${count} more: ${title}${workflow ? ` - ${workflow}` : ''}`,
      text:
        `${count} more "${title}" event${count === 1 ? '' : 's'}${workflow ? ` for "${workflow}"` : ''} ` +
        'happened in the quiet window after the last notification; they were counted instead of sent.',
      json: {
        type: 'digest',
        timestamp,
        data: { eventKind: delivery.eventKind, workflowId: delivery.workflowId, count },
      },
    };
  }
  const lines = eventLines(delivery, publicUrl);
  return {
    subject: `[SWARM] ${title}${workflow ? ` - ${workflow}` : ''}`,
    text: lines.join('\n'),
    json: {
      type: delivery.eventKind ?? 'event',
      timestamp,
      data: {
        ...(delivery.eventPayload ?? {}),
        workflowId: delivery.workflowId,
        executionId: delivery.executionId,
      },
    },
  };
}
