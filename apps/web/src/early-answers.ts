/**
 * Answers index.html asked for before the app's code had loaded. A fresh page load spends
 * ~100–200 ms downloading and running the bundle before any route loader can ask the API for
 * anything; index.html therefore asks for a few queries the moment it is parsed — the sign-in
 * check on every page, and on a compare page the comparison and the node types — and the loaders
 * hand those answers to React Query instead of asking again.
 *
 * The URLs are a lone tRPC query each (`/trpc/<path>?input=<{"json":input}>`), built by index.html
 * and here alike; an answer is taken once, so a later visit of the page asks afresh.
 */
import type { QueryClient, QueryFunction, QueryKey } from '@tanstack/react-query';
import { readQueryAnswer } from './trpc.ts';

declare global {
  interface Window {
    /** By URL: the JSON body of an early query, or null when it failed (see index.html). */
    swarmEarlyAnswers?: Record<string, Promise<unknown>>;
  }
}

/** The URL of a lone GET of this query, as index.html builds it. */
export function earlyQueryUrl(path: string, input?: unknown): string {
  const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
  return `/trpc/${path}${query}`;
}

/**
 * The data index.html's request for `url` answered, once; null when it did not ask, or its answer
 * is not there to read (signed out, not found, network down): the query then asks through tRPC,
 * which reports any error as usual.
 */
function takeEarlyAnswer(url: string): Promise<unknown> | null {
  const answers = window.swarmEarlyAnswers;
  const body = answers?.[url];
  if (!answers || !body) return null;
  delete answers[url];
  return body.then((json) => (json === null ? null : readQueryAnswer(json))).catch(() => null);
}

/**
 * Starts `options`' query (as `prefetchQuery` does), with the answer index.html asked for at `url`
 * when there is one.
 */
export function prefetchEarly<Data>(
  queryClient: QueryClient,
  options: { queryKey: QueryKey; queryFn?: unknown },
  url: string,
): void {
  const early = takeEarlyAnswer(url);
  const { queryKey, queryFn } = options;
  if (!early || typeof queryFn !== 'function') {
    void queryClient.prefetchQuery(options as Parameters<QueryClient['prefetchQuery']>[0]);
    return;
  }
  const askTrpc = queryFn as QueryFunction<Data>;
  // The early answer serves this fetch only; any later one (a refetch) asks through tRPC.
  let answer: Promise<unknown> | null = early;
  void queryClient.prefetchQuery({
    queryKey,
    queryFn: async (context) => {
      const taken = answer;
      answer = null;
      return ((taken && (await taken)) as Data | null) ?? askTrpc(context);
    },
  });
}
