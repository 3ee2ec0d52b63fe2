/**
 * One run, live: `runs.get` for the first paint, then the `runs.events` subscription (SSE) writes
 * every event into the same React Query cache entry, so every view of the run stays current. The
 * subscription is only open while the run can still change; the server ends it when the run
 * finishes.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState } from 'react';
import { useTRPC, useTRPCClient } from '../trpc.ts';
import { applyRunEvent, isFinished, type RunDetail, runEventSeq } from './run-state.ts';

export function useLiveRun(id: string | null) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const queryKey = trpc.runs.get.queryKey({ id: id ?? '' });
  const run = useQuery({
    queryKey,
    // The subscription's snapshot may have landed while this read was on its way: keep the newer.
    queryFn: async () => {
      const fresh = await client.runs.get.query({ id: id ?? '' });
      const current = queryClient.getQueryData<RunDetail>(queryKey);
      return current && runEventSeq(current) > runEventSeq(fresh) ? current : fresh;
    },
    enabled: id !== null,
    staleTime: Infinity,
  });
  const finished = run.data ? isFinished(run.data.status) : false;

  const subscription = useSubscription(
    trpc.runs.events.subscriptionOptions(
      { id: id ?? '' },
      {
        enabled: id !== null && !finished,
        onData: (tracked) => {
          queryClient.setQueryData<RunDetail>(
            queryKey,
            (current) => applyRunEvent(current, tracked.data) ?? current,
          );
        },
      },
    ),
  );

  // Lists and cost figures elsewhere are out of date once the run ends.
  useEffect(() => {
    if (finished) void queryClient.invalidateQueries({ queryKey: trpc.runs.list.pathKey() });
  }, [finished, queryClient, trpc]);

  /** `live`: events are arriving; `connecting`: (re)connecting; `error`: the stream broke off. */
  const connection =
    id === null || finished
      ? 'off'
      : subscription.status === 'pending'
        ? 'live'
        : subscription.status === 'error'
          ? 'error'
          : 'connecting';
  return { run, subscription, connection, live: connection === 'live' } as const;
}

/** The current time, ticking every `ms` while `active` (running durations). */
export function useNow(active: boolean, ms = 250): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
  return now;
}
