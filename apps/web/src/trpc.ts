/**
 * The typed tRPC client: one batched HTTP link to the same-origin `/trpc` endpoint (the session
 * cookie travels with it), plus the React Query client every page shares.
 */
import type { AppRouter } from '@swarm/api';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import superjson from 'superjson';
import { readApiError } from './api-error.ts';

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

export function createTrpcClient() {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: '/trpc',
        transformer: superjson,
        fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
      }),
    ],
  });
}

export function createQueryClient() {
  return new QueryClient({
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
}

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;
