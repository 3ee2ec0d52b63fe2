/**
 * The typed SWARM client for other TypeScript apps: the tRPC client over `AppRouter`, with the
 * transformer and bearer-token plumbing already set up. Queries and mutations go over batched
 * HTTP; subscriptions (`runs.events`) over Server-Sent Events.
 *
 *   const swarm = createSwarmClient({ url: 'https://swarm.example.com', token: process.env.SWARM_TOKEN });
 *   const { items } = await swarm.workflows.list.query({ search: 'brief' });
 *   swarm.runs.events.subscribe({ id }, { onData: ({ data }) => console.log(data.kind) });
 */
import type { AppRouter } from '@swarm/api-router';
import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
} from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { EventSource } from 'eventsource';
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
  const headers = (): Record<string, string> =>
    options.token ? { authorization: `Bearer ${options.token}` } : {};
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        // The `eventsource` package everywhere, not the browser's own: it follows the SSE spec
        // (reconnecting with Last-Event-ID, so `runs.events` resumes where it dropped), runs on
        // Node and in browsers, and goes through a fetch of ours, which adds the bearer token.
        true: httpSubscriptionLink({
          url: `${base}/trpc`,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (url, init) =>
              (options.fetch ?? globalThis.fetch)(url, {
                ...init,
                headers: { ...init.headers, ...headers() },
              }),
          }),
        }),
        false: httpBatchLink({
          url: `${base}/trpc`,
          transformer: superjson,
          maxURLLength: 2_000, // split longer batches: within the API's and proxies' URL limits
          headers,
          ...(options.fetch ? { fetch: options.fetch } : {}),
        }),
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
