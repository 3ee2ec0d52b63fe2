/**
 * The app's providers and routes. Pages other than the login forms and the workflow list are
 * loaded lazily so React Flow and the rest stay out of the first chunk those need.
 *
 * A page's code and data are fetched side by side: routes declare their code as `lazy` and, where
 * it matters, a loader that starts the page's queries (not awaited) in the shared query cache. The
 * router renders a page only once its code is there, so there is no Suspense fallback to reveal
 * (React holds a revealed fallback back for up to 300 ms) and no request that waits for code, or
 * for the shell's sign-in check, before it is even sent.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import type { ComponentType } from 'react';
import { createBrowserRouter, type LoaderFunctionArgs, RouterProvider } from 'react-router';
import { LoginPage, SignupPage } from './auth/auth-pages.tsx';
import { earlyQueryUrl, prefetchEarly } from './early-answers.ts';
import { AppShell } from './layout/app-shell.tsx';
import { NotFoundPage } from './layout/not-found-page.tsx';
import { PageLoading } from './layout/page-state.tsx';
import { ApiTokensPage } from './settings/api-tokens-page.tsx';
import { TagsPage } from './tags/tags-page.tsx';
import { createQueryClient, createTrpcClient, createTrpcOptions, TRPCProvider } from './trpc.ts';
import { prefetchCompare, readCompareSides } from './versions/compare-queries.ts';
import { prefetchWorkflowList, WorkflowListPage } from './workflows/workflow-list-page.tsx';

const queryClient = createQueryClient();
const trpcClient = createTrpcClient();
const trpc = createTrpcOptions(trpcClient, queryClient);

/** A route's page, fetched when the route is first visited. */
const page = (load: () => Promise<{ default: ComponentType }>) => ({
  lazy: { Component: async () => (await load()).default },
});

const searchOf = (request: Request) => new URL(request.url).searchParams;

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/signup', element: <SignupPage /> },
  {
    element: <AppShell />,
    HydrateFallback: () => <PageLoading />,
    loader: () => {
      prefetchEarly(queryClient, trpc.auth.me.queryOptions(), earlyQueryUrl('auth.me'));
      return null;
    },
    children: [
      {
        path: '/',
        element: <WorkflowListPage />,
        loader: ({ request }: LoaderFunctionArgs) => {
          prefetchWorkflowList(queryClient, trpc, searchOf(request));
          return null;
        },
      },
      { path: '/tags', element: <TagsPage /> },
      { path: '/settings/tokens', element: <ApiTokensPage /> },
      { path: '/settings/providers', ...page(() => import('./settings/providers-page.tsx')) },
      { path: '/settings/notifications', ...page(() => import('./settings/notifications-page.tsx')) },
      { path: '/workflows/:id', ...page(() => import('./editor/editor-page.tsx')) },
      {
        path: '/workflows/:id/compare',
        ...page(() => import('./versions/compare-page.tsx')),
        loader: ({ params, request }: LoaderFunctionArgs) => {
          prefetchCompare(queryClient, trpc, readCompareSides(params.id ?? '', searchOf(request)));
          return null;
        },
      },
      { path: '/workflows/:id/runs', ...page(() => import('./runs/runs-list-page.tsx')) },
      { path: '/runs', ...page(() => import('./runs/runs-list-page.tsx')) },
      { path: '/runs/:id', ...page(() => import('./runs/run-page.tsx')) },
      { path: '/analytics', ...page(() => import('./analytics/analytics-page.tsx')) },
      { path: '/budgets', ...page(() => import('./budgets/budgets-page.tsx')) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <RouterProvider router={router} />
      </TRPCProvider>
    </QueryClientProvider>
  );
}
