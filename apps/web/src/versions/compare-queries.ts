/**
 * The queries the compare page reads, in one place so the route's loader can start them the moment
 * the URL is known (alongside the sign-in check and the page's code) and the page finds them in
 * flight or answered instead of asking only once its code has loaded.
 *
 * On a fresh load of a compare URL the comparison and the node types are asked for earlier still,
 * by index.html while the app's code loads (see early-answers.ts).
 */
import type { QueryClient } from '@tanstack/react-query';
import { earlyQueryUrl, prefetchEarly } from '../early-answers.ts';
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
    /** The summary and both sides' definitions and names, in one answer. */
    comparison: trpc.versions.compareSides.queryOptions({ workflowId, from, to }),
    nodeTypes: trpc.nodeTypes.list.queryOptions(),
  };
}

/** Starts every query the page will need for these sides; nothing is awaited. */
export function prefetchCompare(queryClient: QueryClient, trpc: TrpcOptions, sides: CompareSides): void {
  const queries = compareQueries(trpc, sides);
  void queryClient.prefetchQuery(queries.versions);
  prefetchEarly(queryClient, queries.nodeTypes, earlyQueryUrl('nodeTypes.list'));
  if (sides.from === '' || sides.to === '') return;
  const { workflowId, from, to } = sides;
  prefetchEarly(
    queryClient,
    queries.comparison,
    earlyQueryUrl('versions.compareSides', { workflowId, from, to }),
  );
}
