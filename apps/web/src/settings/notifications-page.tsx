/**
 * Notification settings: the owner's channels (add, subscribe to events, per-workflow overrides,
 * send a test) and the delivery log.
 */
import { useQuery } from '@tanstack/react-query';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { useTRPC } from '../trpc.ts';
import { NotificationChannelForm } from './notification-channel-form.tsx';
import { NotificationChannelItem } from './notification-channel-item.tsx';
import { NotificationDeliveryLog } from './notification-delivery-log.tsx';

export default function NotificationsPage() {
  const trpc = useTRPC();
  const channels = useQuery(trpc.notifications.channels.queryOptions());
  const subscriptions = useQuery(trpc.notifications.subscriptions.queryOptions());

  return (
    <div className="mx-auto max-w-3xl px-4 py-8 sm:px-6">
      <title>Notifications · SWARM</title>
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">Notifications</h1>
      <p className="mt-1 text-sm text-slate-600">
        Be told when a run fails, a schedule misses or fails, a budget crosses a threshold, or a model your
        workflows use has its circuit opened.
      </p>

      <div className="mt-6">
        <NotificationChannelForm />
      </div>

      <h2 className="mt-8 text-lg font-semibold text-slate-900">Channels</h2>
      <div className="mt-3">
        {channels.isPending || subscriptions.isPending ? (
          <p className="text-sm text-slate-500">Loading channels…</p>
        ) : channels.isError || subscriptions.isError ? (
          <PageError
            message={readApiError(channels.error ?? subscriptions.error).message}
            onRetry={() => Promise.all([channels.refetch(), subscriptions.refetch()])}
          />
        ) : channels.data.length === 0 ? (
          <p className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-8 text-center text-sm text-slate-500">
            No channels yet.
          </p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            {channels.data.map((channel) => (
              <NotificationChannelItem
                key={channel.id}
                channel={channel}
                subscriptions={subscriptions.data.filter((s) => s.channelId === channel.id)}
              />
            ))}
          </ul>
        )}
      </div>

      <h2 className="mt-8 text-lg font-semibold text-slate-900">Delivery log</h2>
      <div className="mt-3">
        <NotificationDeliveryLog />
      </div>
    </div>
  );
}
