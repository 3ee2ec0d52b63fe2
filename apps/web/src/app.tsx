/**
 * The app's providers and routes. The editor, the run pages and the provider settings are loaded
 * lazily so React Flow and the rest stay out of the first chunk that the login page and the
 * workflow list need.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import { lazy, type ReactNode, Suspense, useState } from 'react';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { LoginPage, SignupPage } from './auth/auth-pages.tsx';
import { AppShell } from './layout/app-shell.tsx';
import { NotFoundPage } from './layout/not-found-page.tsx';
import { PageLoading } from './layout/page-state.tsx';
import { ApiTokensPage } from './settings/api-tokens-page.tsx';
import { TagsPage } from './tags/tags-page.tsx';
import { createQueryClient, createTrpcClient, TRPCProvider } from './trpc.ts';
import { WorkflowListPage } from './workflows/workflow-list-page.tsx';

const EditorPage = lazy(() => import('./editor/editor-page.tsx'));
const ComparePage = lazy(() => import('./versions/compare-page.tsx'));
const RunPage = lazy(() => import('./runs/run-page.tsx'));
const RunsListPage = lazy(() => import('./runs/runs-list-page.tsx'));
const ProvidersPage = lazy(() => import('./settings/providers-page.tsx'));
const AnalyticsPage = lazy(() => import('./analytics/analytics-page.tsx'));
const BudgetsPage = lazy(() => import('./budgets/budgets-page.tsx'));

const loading = (label: string, page: ReactNode) => (
  <Suspense fallback={<PageLoading label={label} />}>{page}</Suspense>
);

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/signup', element: <SignupPage /> },
  {
    element: <AppShell />,
    children: [
      { path: '/', element: <WorkflowListPage /> },
      { path: '/tags', element: <TagsPage /> },
      { path: '/settings/tokens', element: <ApiTokensPage /> },
      { path: '/settings/providers', element: loading('Loading…', <ProvidersPage />) },
      { path: '/workflows/:id', element: loading('Loading editor…', <EditorPage />) },
      { path: '/workflows/:id/compare', element: loading('Loading comparison…', <ComparePage />) },
      { path: '/workflows/:id/runs', element: loading('Loading runs…', <RunsListPage />) },
      { path: '/runs', element: loading('Loading runs…', <RunsListPage />) },
      { path: '/runs/:id', element: loading('Loading run…', <RunPage />) },
      { path: '/analytics', element: loading('Loading costs…', <AnalyticsPage />) },
      { path: '/budgets', element: loading('Loading budgets…', <BudgetsPage />) },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);

export function App() {
  const [queryClient] = useState(createQueryClient);
  const [trpcClient] = useState(createTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <RouterProvider router={router} />
      </TRPCProvider>
    </QueryClientProvider>
  );
}
