/**
 * The queries the compare page reads, in one place so the route's loader can start them the moment
 * the URL is known (alongside the sign-in check and the page's code) and the page finds them in
 * flight or answered instead of asking only once its code has loaded.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { TrpcOptions } from '../trpc.ts';

export interface CompareSides {
  workflowId: string;
  /** A version id, `draft`, or empty while none is chosen. */
  from: string;
  to: string;
}

/** `?from=&to=` as the page reads them: `to` defaults to the draft, `from` must be chosen. */
export function readCompareSides(workflowId: string, params: URLSearchParams): CompareSides {
  return { workflowId, from: params.get('from') ?? '', to: params.get('to') ?? 'draft' };
}

export function compareQueries(trpc: TrpcOptions, { workflowId, from, to }: CompareSides) {
  return {
    versions: trpc.versions.list.queryOptions({ workflowId, limit: 200 }),
    comparison: trpc.versions.compare.queryOptions({ workflowId, from, to }),
    draft: trpc.workflows.get.queryOptions({ id: workflowId }),
    version: (versionId: string) => trpc.versions.get.queryOptions({ versionId }),
    nodeTypes: trpc.nodeTypes.list.queryOptions(),
  };
}

/** Starts every query the page will need for these sides; nothing is awaited. */
export function prefetchCompare(queryClient: QueryClient, trpc: TrpcOptions, sides: CompareSides): void {
  const queries = compareQueries(trpc, sides);
  void queryClient.prefetchQuery(queries.versions);
  void queryClient.prefetchQuery(queries.nodeTypes);
  if (sides.from === '' || sides.to === '') return;
  void queryClient.prefetchQuery(queries.comparison);
  for (const side of new Set([sides.from, sides.to])) {
    if (side === 'draft') void queryClient.prefetchQuery(queries.draft);
    else void queryClient.prefetchQuery(queries.version(side));
  }
}
