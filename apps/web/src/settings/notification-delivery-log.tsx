/**
 * The delivery log: every notification sent, retried, failed, counted into a digest or tested,
 * newest first, with a link to the run it was about. Refreshed while something is still pending.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { RelativeTime } from '../ui/relative-time.tsx';
import { EVENT_LABELS } from './notification-channel-item.tsx';

type Delivery = RouterOutputs['notifications']['deliveries'][number];

const STATUS_CLASSES: Record<Delivery['status'], string> = {
  pending: 'bg-slate-100 text-slate-700',
  retrying: 'bg-amber-100 text-amber-800',
  sent: 'bg-emerald-100 text-emerald-800',
  failed: 'bg-rose-100 text-rose-800',
  suppressed: 'bg-slate-100 text-slate-500',
};

function what(delivery: Delivery): string {
  if (delivery.kind === 'test') return 'Test notification';
  const event = delivery.eventKind ? EVENT_LABELS[delivery.eventKind] : 'Event';
  if (delivery.kind === 'digest') return `${event}: digest of ${delivery.digestCount}`;
  return delivery.status === 'suppressed' ? `${event} (in the digest)` : event;
}

export function NotificationDeliveryLog() {
  const trpc = useTRPC();
  const deliveries = useQuery({
    ...trpc.notifications.deliveries.queryOptions({ limit: 100 }),
    refetchInterval: (query) =>
      query.state.data?.some((d) => d.status === 'pending' || d.status === 'retrying') ? 1000 : false,
  });
  if (deliveries.isPending) return <p className="text-sm text-slate-500">Loading the delivery log…</p>;
  if (deliveries.isError)
    return (
      <PageError message={readApiError(deliveries.error).message} onRetry={() => deliveries.refetch()} />
    );
  if (deliveries.data.length === 0)
    return (
      <p className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-8 text-center text-sm text-slate-500">
        Nothing sent yet.
      </p>
    );
  return (
    <ul
      className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
      data-testid="delivery-log"
    >
      {deliveries.data.map((delivery) => (
        <li
          key={delivery.id}
          id={`delivery-${delivery.id}`}
          className="flex items-center gap-3 px-5 py-2.5"
          data-testid="delivery-row"
        >
          <span
            className={`rounded-full px-2 py-0.5 text-xs font-medium ${STATUS_CLASSES[delivery.status]}`}
            data-testid="delivery-status"
          >
            {delivery.status}
          </span>
          <div className="min-w-0 flex-1">
            <p className="truncate text-sm text-slate-900">
              {what(delivery)} → {delivery.channelName}
            </p>
            <p className="truncate text-xs text-slate-500">
              <RelativeTime date={delivery.createdAt} />
              {delivery.attempts > 1 ? ` · ${delivery.attempts} tries` : ''}
              {delivery.lastError ? ` · ${delivery.lastError}` : ''}
            </p>
          </div>
          {delivery.executionId ? (
            <Link to={`/runs/${delivery.executionId}`} className="text-xs text-indigo-600 hover:underline">
              Run
            </Link>
          ) : null}
        </li>
      ))}
    </ul>
  );
}
