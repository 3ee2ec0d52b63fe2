/**
 * On a failed run's page: the notifications its failure sent (or counted into a digest), each
 * linking to its row in the delivery log. Nothing is shown when none were sent.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useTRPC } from '../trpc.ts';

export function RunNotifications({ executionId }: { executionId: string }) {
  const trpc = useTRPC();
  const deliveries = useQuery(trpc.notifications.deliveries.queryOptions({ executionId, limit: 20 }));
  if (!deliveries.data || deliveries.data.length === 0) return null;
  return (
    <div className="rounded-lg bg-slate-50 p-3 ring-1 ring-slate-200" data-testid="run-notifications">
      <p className="text-xs font-medium text-slate-600">Notifications</p>
      <ul className="mt-1 space-y-0.5">
        {deliveries.data.map((d) => (
          <li key={d.id} className="text-sm">
            <Link to={`/settings/notifications#delivery-${d.id}`} className="text-indigo-600 hover:underline">
              {d.channelName}
            </Link>{' '}
            <span className="text-slate-500">· {d.status === 'suppressed' ? 'in the digest' : d.status}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
