/**
 * Sign-up and login. Both answer `{ user, token }` and set the session cookie; the user is put
 * straight into the `auth.me` cache so the app shell does not ask again.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { fieldErrors, readApiError } from '../api-error.ts';
import { Logo } from '../layout/logo.tsx';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Field } from '../ui/field.tsx';

type User = RouterOutputs['auth']['login']['user'];

/** Only same-app paths are followed after login, never another origin. */
function useNextPath() {
  const [params] = useSearchParams();
  const next = params.get('next');
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function useSignedIn() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const next = useNextPath();
  return (user: User) => {
    queryClient.clear();
    queryClient.setQueryData(trpc.auth.me.queryKey(), user);
    navigate(next, { replace: true });
  };
}

function AuthLayout({
  title,
  subtitle,
  children,
}: {
  title: string;
  subtitle: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <div className="flex min-h-full items-center justify-center bg-gradient-to-br from-slate-50 via-white to-indigo-50 px-4 py-12">
      <div className="w-full max-w-sm">
        <title>{`${title} · SWARM`}</title>
        <div className="mb-8 flex flex-col items-center text-center">
          <Logo className="size-10" />
          <h1 className="mt-4 text-2xl font-semibold tracking-tight text-slate-900">{title}</h1>
          <p className="mt-2 text-sm text-slate-600">{subtitle}</p>
        </div>
        <div className="rounded-2xl bg-white p-6 shadow-sm ring-1 ring-slate-200">{children}</div>
      </div>
    </div>
  );
}

function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <div
      role="alert"
      data-testid="form-error"
      className="rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-700 ring-1 ring-rose-200"
    >
      {message}
    </div>
  );
}

/** The banner above the form, unless every problem is already shown next to its field. */
function formMessage(error: unknown, shownOnFields: Record<string, string>): string | null {
  if (!error) return null;
  const { message, issues } = readApiError(error);
  if (issues.length > 0 && Object.keys(shownOnFields).length === issues.length) return null;
  return message;
}

export function LoginPage() {
  const trpc = useTRPC();
  const signedIn = useSignedIn();
  const next = useNextPath();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation(trpc.auth.login.mutationOptions({ onSuccess: (data) => signedIn(data.user) }));
  const errors = login.error ? fieldErrors(login.error) : {};

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email, password });
  };

  return (
    <AuthLayout
      title="Log in to SWARM"
      subtitle={
        <>
          New here?{' '}
          <Link
            to={`/signup${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`}
            className="font-medium text-indigo-600 hover:text-indigo-500"
          >
            Create an account
          </Link>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <FormError message={formMessage(login.error, errors)} />
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
          data-testid="email"
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          data-testid="password"
        />
        <Button
          type="submit"
          variant="primary"
          className="w-full"
          disabled={login.isPending}
          data-testid="submit"
        >
          {login.isPending ? 'Logging in…' : 'Log in'}
        </Button>
      </form>
    </AuthLayout>
  );
}

export function SignupPage() {
  const trpc = useTRPC();
  const signedIn = useSignedIn();
  const next = useNextPath();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const signup = useMutation(trpc.auth.signup.mutationOptions({ onSuccess: (data) => signedIn(data.user) }));
  const errors = signup.error ? fieldErrors(signup.error) : {};

  const submit = (event: FormEvent) => {
    event.preventDefault();
    signup.mutate({ email, password, ...(name.trim() ? { name: name.trim() } : {}) });
  };

  return (
    <AuthLayout
      title="Create your account"
      subtitle={
        <>
          Already have one?{' '}
          <Link
            to={`/login${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`}
            className="font-medium text-indigo-600 hover:text-indigo-500"
          >
            Log in
          </Link>
        </>
      }
    >
      <form onSubmit={submit} className="space-y-4" noValidate>
        <FormError message={formMessage(signup.error, errors)} />
        <Field
          label="Name (optional)"
          name="name"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={errors.name}
          data-testid="name"
        />
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
          data-testid="email"
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
          hint="At least 8 characters."
          data-testid="password"
        />
        <Button
          type="submit"
          variant="primary"
          className="w-full"
          disabled={signup.isPending}
          data-testid="submit"
        >
          {signup.isPending ? 'Creating account…' : 'Create account'}
        </Button>
      </form>
    </AuthLayout>
  );
}
