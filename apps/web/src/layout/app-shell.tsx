/**
 * The signed-in frame: header with navigation, the user's email and logout. It asks `auth.me`
 * who is signed in; an UNAUTHORIZED answer sends the visitor to /login and back afterwards.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, Navigate, NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { isUnauthorized, readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Logo } from './logo.tsx';
import { PageError, PageLoading } from './page-state.tsx';

const navLinks = [
  { to: '/', label: 'Workflows', end: true },
  { to: '/runs', label: 'Runs', end: false },
  { to: '/analytics', label: 'Costs', end: false },
  { to: '/budgets', label: 'Budgets', end: false },
  { to: '/tags', label: 'Tags', end: false },
  { to: '/settings/providers', label: 'Providers', end: false },
  { to: '/settings/notifications', label: 'Notifications', end: false },
  { to: '/settings/tokens', label: 'API tokens', end: false },
];

export function AppShell() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const me = useQuery(trpc.auth.me.queryOptions());
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        queryClient.clear();
        navigate('/login', { replace: true });
      },
    }),
  );

  if (me.isPending) return <PageLoading />;
  if (me.isError) {
    if (isUnauthorized(me.error)) {
      const next = `${location.pathname}${location.search}`;
      const query = next === '/' ? '' : `?next=${encodeURIComponent(next)}`;
      return <Navigate to={`/login${query}`} replace />;
    }
    return <PageError message={readApiError(me.error).message} onRetry={() => me.refetch()} />;
  }

  return (
    <div className="flex h-full flex-col">
      <header className="z-10 shrink-0 border-b border-slate-200 bg-white">
        <div className="flex h-14 items-center gap-6 px-4 sm:px-6">
          <Link to="/" className="flex items-center gap-2 font-semibold tracking-tight text-slate-900">
            <Logo />
            SWARM
          </Link>
          <nav aria-label="Main" className="flex items-center gap-1">
            {navLinks.map((link) => (
              <NavLink
                key={link.to}
                to={link.to}
                end={link.end}
                className={({ isActive }) =>
                  `rounded-md px-3 py-1.5 text-sm font-medium transition-colors ${
                    isActive ? 'bg-slate-100 text-slate-900' : 'text-slate-600 hover:text-slate-900'
                  }`
                }
              >
                {link.label}
              </NavLink>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3">
            <span className="hidden text-sm text-slate-600 sm:inline" data-testid="user-email">
              {me.data.email}
            </span>
            <Button
              size="sm"
              variant="ghost"
              onClick={() => logout.mutate()}
              disabled={logout.isPending}
              data-testid="logout"
            >
              Log out
            </Button>
          </div>
        </div>
      </header>
      <main className="min-h-0 flex-1 overflow-auto">
        <Outlet />
      </main>
    </div>
  );
}
