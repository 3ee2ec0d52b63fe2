/**
 * API tokens for scripts and other apps (`Authorization: Bearer …`). A new token is shown once,
 * right after it is created; the server only keeps its hash.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { PageError } from '../layout/page-state.tsx';
import { type RouterOutputs, useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { Field } from '../ui/field.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';

type ApiToken = RouterOutputs['auth']['listApiTokens'][number];

export function ApiTokensPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const tokens = useQuery(trpc.auth.listApiTokens.queryOptions());
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.auth.listApiTokens.queryKey() });

  const create = useMutation(
    trpc.auth.createApiToken.mutationOptions({
      onSuccess: async (result) => {
        setCreated(result.token);
        setCopied(false);
        setName('');
        await invalidate();
      },
    }),
  );
  const revoke = useMutation(
    trpc.auth.revokeApiToken.mutationOptions({
      onSuccess: async () => {
        setRevoking(null);
        await invalidate();
      },
    }),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) create.mutate({ name: name.trim() });
  };

  return (
    <div className="mx-auto max-w-3xl px-4 py-8 sm:px-6">
      <title>API tokens · SWARM</title>
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900">API tokens</h1>
      <p className="mt-1 text-sm text-slate-600">
        Use a token as{' '}
        <code className="rounded bg-slate-100 px-1 py-0.5 text-xs">Authorization: Bearer …</code> from scripts
        and the SWARM client.
      </p>

      <form
        onSubmit={submit}
        className="mt-6 flex flex-wrap items-end gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200"
      >
        <Field
          label="Token name"
          className="min-w-56 flex-1"
          placeholder="e.g. CI deploy script"
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          error={create.error ? readApiError(create.error).message : undefined}
        />
        <Button type="submit" variant="primary" disabled={!name.trim() || create.isPending}>
          Create token
        </Button>
      </form>

      {created ? (
        <div className="mt-4 rounded-xl bg-emerald-50 p-4 ring-1 ring-emerald-200" role="status">
          <p className="text-sm font-medium text-emerald-900">
            Copy your new token now — it will not be shown again.
          </p>
          <div className="mt-2 flex items-center gap-2">
            <code className="min-w-0 flex-1 truncate rounded-md bg-white px-3 py-2 font-mono text-xs text-slate-800 ring-1 ring-emerald-200">
              {created}
            </code>
            <Button
              size="sm"
              onClick={() => navigator.clipboard.writeText(created).then(() => setCopied(true))}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setCreated(null)}>
              Done
            </Button>
          </div>
        </div>
      ) : null}

      <div className="mt-6">
        {tokens.isPending ? (
          <p className="text-sm text-slate-500">Loading tokens…</p>
        ) : tokens.isError ? (
          <PageError message={readApiError(tokens.error).message} onRetry={() => tokens.refetch()} />
        ) : tokens.data.length === 0 ? (
          <p className="rounded-xl border-2 border-dashed border-slate-200 px-6 py-10 text-center text-sm text-slate-500">
            No API tokens.
          </p>
        ) : (
          <ul className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            {tokens.data.map((token) => (
              <li key={token.id} className="flex items-center gap-3 px-5 py-3">
                <div className="min-w-0 flex-1">
                  <p className="truncate text-sm font-medium text-slate-900">{token.name}</p>
                  <p className="text-xs text-slate-500">
                    Created <RelativeTime date={token.createdAt} />
                    {token.lastUsedAt ? (
                      <>
                        {' · '}last used <RelativeTime date={token.lastUsedAt} />
                      </>
                    ) : (
                      ' · never used'
                    )}
                  </p>
                </div>
                <Button
                  size="sm"
                  variant="ghost"
                  className="hover:bg-rose-50 hover:text-rose-700"
                  onClick={() => setRevoking(token)}
                >
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
      </div>

      <ConfirmDialog
        open={revoking !== null}
        title="Revoke token?"
        message={`Scripts using “${revoking?.name ?? ''}” will stop working immediately.`}
        confirmLabel="Revoke"
        danger
        busy={revoke.isPending}
        error={revoke.error ? readApiError(revoke.error).message : null}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
        onCancel={() => {
          revoke.reset();
          setRevoking(null);
        }}
      />
    </div>
  );
}
