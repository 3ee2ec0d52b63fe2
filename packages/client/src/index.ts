/**
 * The typed SWARM client for other TypeScript apps: the tRPC client over `AppRouter`, with the
 * transformer and bearer-token plumbing already set up.
 *
 *   const swarm = createSwarmClient({ url: 'https://swarm.example.com', token: process.env.SWARM_TOKEN });
 *   const { items } = await swarm.workflows.list.query({ search: 'brief' });
 */
import type { AppRouter } from '@swarm/api';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import superjson from 'superjson';

export interface SwarmClientOptions {
  /** Where the SWARM API is served, e.g. `http://localhost:3000` (the `/trpc` path is added). */
  url: string;
  /** An API token (`swt_…`) or a session token (`sws_…`). */
  token?: string | undefined;
  /** A custom fetch (proxies, instrumentation); defaults to the global one. */
  fetch?: typeof fetch;
}

export function createSwarmClient(options: SwarmClientOptions) {
  const base = options.url.replace(/\/+$/, '');
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${base}/trpc`,
        transformer: superjson,
        headers: () => (options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    ],
  });
}

export type SwarmClient = ReturnType<typeof createSwarmClient>;
export type SwarmInputs = inferRouterInputs<AppRouter>;
export type SwarmOutputs = inferRouterOutputs<AppRouter>;
export type { AppRouter };

/** True for errors the API answered (as opposed to network failures), with its code in `data.code`. */
export function isSwarmError(error: unknown): error is TRPCClientError<AppRouter> {
  return error instanceof TRPCClientError;
}
