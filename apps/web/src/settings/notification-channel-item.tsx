/**
 * One notification channel: what it is, which events it gets for every workflow (checkboxes), the
 * workflows that override that (their own event list, empty = silenced), *Send test*, pausing
 * and deleting.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { readApiError } from '../api-error.ts';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { inputClass } from '../ui/field.tsx';

type Channel = RouterOutputs['notifications']['channels'][number];
type Subscription = RouterOutputs['notifications']['subscriptions'][number];
type EventKind = Subscription['events'][number];

export const EVENT_LABELS: Record<EventKind, string> = {
  run_failed: 'Run failed',
  schedule_failed: 'Schedule missed or failed',
  budget_threshold: 'Budget threshold crossed',
  circuit_opened: 'Circuit opened for a model in use',
};
const EVENT_KINDS = Object.keys(EVENT_LABELS) as EventKind[];

function EventChecks(props: {
  events: EventKind[];
  onChange: (events: EventKind[]) => void;
  disabled: boolean;
  testId: string;
}) {
  return (
    <div className="flex flex-wrap gap-x-4 gap-y-1" data-testid={props.testId}>
      {EVENT_KINDS.map((kind) => (
        <label key={kind} className="flex items-center gap-1.5 text-sm text-slate-700">
          <input
            type="checkbox"
            checked={props.events.includes(kind)}
            disabled={props.disabled}
            onChange={(e) =>
              props.onChange(
                e.target.checked ? [...props.events, kind] : props.events.filter((k) => k !== kind),
              )
            }
            data-testid={`event-${kind}`}
          />
          {EVENT_LABELS[kind]}
        </label>
      ))}
    </div>
  );
}

export function NotificationChannelItem({
  channel,
  subscriptions,
}: {
  channel: Channel;
  subscriptions: Subscription[];
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const [overrideWorkflow, setOverrideWorkflow] = useState('');
  const workflows = useQuery(trpc.workflows.list.queryOptions({ limit: 200 }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.notifications.channels.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.notifications.subscriptions.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.notifications.deliveries.queryKey() }),
    ]);
  const subscribe = useMutation(trpc.notifications.subscribe.mutationOptions({ onSuccess: refresh }));
  const unsubscribe = useMutation(trpc.notifications.unsubscribe.mutationOptions({ onSuccess: refresh }));
  const update = useMutation(trpc.notifications.updateChannel.mutationOptions({ onSuccess: refresh }));
  const sendTest = useMutation(trpc.notifications.sendTest.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.notifications.deleteChannel.mutationOptions({ onSuccess: refresh }));

  const ownerWide = subscriptions.find((s) => s.workflowId === null);
  const overrides = subscriptions.filter((s) => s.workflowId !== null);
  const workflowName = (id: string) => workflows.data?.items.find((w) => w.id === id)?.name ?? id;
  const error = [subscribe, unsubscribe, update, sendTest, remove].find((m) => m.error)?.error;

  return (
    <li className="space-y-3 px-5 py-4" data-testid="channel-item">
      <div className="flex flex-wrap items-center gap-3">
        <div className="min-w-0 flex-1">
          <p className="truncate text-sm font-medium text-slate-900">
            {channel.name}
            {channel.enabled ? null : <span className="ml-2 text-xs text-amber-700">paused</span>}
          </p>
          <p className="truncate text-xs text-slate-500">
            {channel.kind} · {channel.target} · quiet window{' '}
            {channel.digestMinutes === 0 ? 'off' : `${channel.digestMinutes} min`}
          </p>
        </div>
        <Button
          size="sm"
          onClick={() => sendTest.mutate({ channelId: channel.id })}
          disabled={sendTest.isPending}
          data-testid="channel-send-test"
        >
          Send test
        </Button>
        <Button
          size="sm"
          variant="ghost"
          onClick={() => update.mutate({ id: channel.id, enabled: !channel.enabled })}
        >
          {channel.enabled ? 'Pause' : 'Resume'}
        </Button>
        <Button
          size="sm"
          variant="ghost"
          className="hover:bg-rose-50 hover:text-rose-700"
          onClick={() => setDeleting(true)}
        >
          Delete
        </Button>
      </div>
      <div>
        <p className="mb-1 text-xs font-medium uppercase tracking-wide text-slate-500">All workflows</p>
        <EventChecks
          events={ownerWide?.events ?? []}
          disabled={subscribe.isPending}
          onChange={(events) => subscribe.mutate({ channelId: channel.id, workflowId: null, events })}
          testId="channel-events"
        />
      </div>
      {overrides.map((override) => (
        <div key={override.id} className="rounded-lg bg-slate-50 p-3">
          <div className="mb-1 flex items-center gap-2">
            <p className="flex-1 text-xs font-medium text-slate-600">
              Only for “{workflowName(override.workflowId!)}”
              {override.events.length === 0 ? ' — silenced' : ''}
            </p>
            <Button size="sm" variant="ghost" onClick={() => unsubscribe.mutate({ id: override.id })}>
              Remove override
            </Button>
          </div>
          <EventChecks
            events={override.events}
            disabled={subscribe.isPending}
            onChange={(events) =>
              subscribe.mutate({ channelId: channel.id, workflowId: override.workflowId, events })
            }
            testId="override-events"
          />
        </div>
      ))}
      <div className="flex items-center gap-2">
        <select
          className={`${inputClass} max-w-xs`}
          value={overrideWorkflow}
          onChange={(e) => setOverrideWorkflow(e.target.value)}
          aria-label="Workflow to override"
        >
          <option value="">Override for a workflow…</option>
          {(workflows.data?.items ?? []).map((w) => (
            <option key={w.id} value={w.id}>
              {w.name}
            </option>
          ))}
        </select>
        <Button
          size="sm"
          disabled={!overrideWorkflow || subscribe.isPending}
          onClick={() =>
            subscribe.mutate(
              { channelId: channel.id, workflowId: overrideWorkflow, events: ownerWide?.events ?? [] },
              { onSuccess: () => setOverrideWorkflow('') },
            )
          }
        >
          Add override
        </Button>
      </div>
      {error ? (
        <p className="text-sm text-rose-600" role="alert">
          {readApiError(error).message}
        </p>
      ) : null}
      <ConfirmDialog
        open={deleting}
        title="Delete channel?"
        message={`“${channel.name}” and its delivery log go away; nothing more is sent to it.`}
        confirmLabel="Delete"
        danger
        busy={remove.isPending}
        error={remove.error ? readApiError(remove.error).message : null}
        onConfirm={() => remove.mutate({ id: channel.id })}
        onCancel={() => setDeleting(false)}
      />
    </li>
  );
}
