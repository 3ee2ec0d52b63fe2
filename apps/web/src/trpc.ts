/**
 * The typed tRPC client: subscriptions (live runs) over server-sent events, everything else over
 * one batched HTTP link, both to the same-origin `/trpc` endpoint so the session cookie travels
 * with them; plus the React Query client every page shares.
 */
import type { AppRouter } from '@swarm/api-router';
import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { createTRPCContext, createTRPCOptionsProxy, type TRPCOptionsProxy } from '@trpc/tanstack-react-query';
import superjson from 'superjson';
import { readApiError } from './api-error.ts';

/**
 * superjson, reading answers in place: each answer is a fresh `JSON.parse` nobody else holds, so
 * superjson's defensive deep copy of it (~10 ms of main thread for two 500-node definitions) buys
 * nothing.
 */
const transformer = {
  serialize: superjson.serialize,
  deserialize: (payload: Parameters<typeof superjson.deserialize>[0]) =>
    superjson.deserialize(payload, { inPlace: true }),
};

/**
 * The data of a lone query's JSON answer (`{ result: { data } }`, the data in the transformer's
 * format), read as tRPC's link reads it; throws on anything else, such as an error answer.
 */
export function readQueryAnswer(body: unknown): unknown {
  const data = (body as { result?: { data?: unknown } } | null)?.result?.data;
  if (data === undefined || data === null) throw new Error('not a query answer');
  return transformer.deserialize(data as Parameters<typeof transformer.deserialize>[0]);
}

/** The longest URL a batched query request may have; a longer batch is split. */
export const MAX_URL_LENGTH = 2_000;

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function createTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // EventSource reconnects by itself and sends the last event id, so a stream resumes where
        // it broke off instead of starting over.
        true: httpSubscriptionLink({
          url: '/trpc',
          transformer,
          eventSourceOptions: { withCredentials: true },
        }),
        false: httpBatchLink({
          url: '/trpc',
          transformer,
          // A batch whose URL would be longer goes as several requests: within the API's limits
          // (`maxParamLength`, see apps/api/src/server.ts) and those of proxies in front of it.
          maxURLLength: MAX_URL_LENGTH,
          fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
        }),
      }),
    ],
  });
}

/** tRPC's query key prefix for `auth.me`, the query the app shell decides "signed in?" with. */
const ME_KEY = [['auth', 'me']];

export function createQueryClient() {
  // A session that expires mid-use makes some call answer UNAUTHORIZED: ask `auth.me` again, and
  // the app shell, seeing it fail too, sends the user to the login page.
  const onError = (error: unknown, queryKey?: readonly unknown[]) => {
    if (readApiError(error).code !== 'UNAUTHORIZED') return;
    if (JSON.stringify(queryKey?.[0]) === JSON.stringify(ME_KEY[0])) return;
    void queryClient.invalidateQueries({ queryKey: ME_KEY });
  };
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: (error, query) => onError(error, query.queryKey) }),
    mutationCache: new MutationCache({ onError: (error) => onError(error) }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // Client errors (bad input, not found, signed out) will not fix themselves on retry.
        retry: (failureCount, error) => {
          const { code } = readApiError(error);
          if (code && code !== 'INTERNAL_SERVER_ERROR' && code !== 'TOO_MANY_REQUESTS') return false;
          return failureCount < 2;
        },
      },
    },
  });
  return queryClient;
}

/** Query and mutation options for every procedure, the same ones `useTRPC()` gives components. */
export type TrpcOptions = TRPCOptionsProxy<AppRouter>;

/** Options outside React (route loaders) that share keys and cache with the components' ones. */
export function createTrpcOptions(
  client: ReturnType<typeof createTrpcClient>,
  queryClient: QueryClient,
): TrpcOptions {
  return createTRPCOptionsProxy<AppRouter>({ client, queryClient });
}

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
