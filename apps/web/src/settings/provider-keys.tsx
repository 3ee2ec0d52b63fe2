/**
 * The user's provider API keys. Write-only: the server says which providers have a key (with its
 * last characters as a hint to tell keys apart) and never sends a key back, so this form only
 * ever sets or deletes one.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { fieldErrors, readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { ConfirmDialog } from '../ui/dialog.tsx';
import { inputClass } from '../ui/field.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';

export const KEY_PROVIDERS = [
  { id: 'openai', label: 'OpenAI', placeholder: 'sk-…' },
  { id: 'anthropic', label: 'Anthropic', placeholder: 'sk-ant-…' },
  { id: 'gemini', label: 'Google Gemini', placeholder: 'AIza…' },
] as const;
type KeyProvider = (typeof KEY_PROVIDERS)[number]['id'];

export function ProviderKeys() {
  const trpc = useTRPC();
  const credentials = useQuery(trpc.providers.credentials.list.queryOptions());
  const [deleting, setDeleting] = useState<KeyProvider | null>(null);
  const queryClient = useQueryClient();
  const remove = useMutation(
    trpc.providers.credentials.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(null);
        await queryClient.invalidateQueries({ queryKey: trpc.providers.credentials.list.queryKey() });
      },
    }),
  );

  return (
    <div>
      {credentials.isError ? (
        <p className="text-sm text-rose-600" role="alert">
          {readApiError(credentials.error).message}
        </p>
      ) : null}
      <ul
        className="divide-y divide-slate-100 rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
        data-testid="provider-keys"
      >
        {KEY_PROVIDERS.map((provider) => {
          const stored = credentials.data?.find((c) => c.provider === provider.id);
          return (
            <KeyRow
              key={provider.id}
              provider={provider}
              stored={stored}
              loading={credentials.isPending}
              onDelete={() => setDeleting(provider.id)}
            />
          );
        })}
      </ul>
      <p className="mt-2 text-xs text-slate-500">
        Keys are encrypted on the server and used for your own runs only. The mock provider needs no key.
      </p>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete API key?"
        message={`Runs will use the server's own ${
          KEY_PROVIDERS.find((p) => p.id === deleting)?.label ?? ''
        } key, if it has one, or fail over to other providers.`}
        confirmLabel="Delete key"
        danger
        busy={remove.isPending}
        error={remove.error ? readApiError(remove.error).message : null}
        onConfirm={() => deleting && remove.mutate({ provider: deleting })}
        onCancel={() => {
          remove.reset();
          setDeleting(null);
        }}
      />
    </div>
  );
}

function KeyRow({
  provider,
  stored,
  loading,
  onDelete,
}: {
  provider: (typeof KEY_PROVIDERS)[number];
  stored: { hint: string; updatedAt: Date } | undefined;
  loading: boolean;
  onDelete: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const [editing, setEditing] = useState(false);
  const [apiKey, setApiKey] = useState('');
  const set = useMutation(
    trpc.providers.credentials.set.mutationOptions({
      onSuccess: async () => {
        setApiKey('');
        setEditing(false);
        await queryClient.invalidateQueries({ queryKey: trpc.providers.credentials.list.queryKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (apiKey.trim()) set.mutate({ provider: provider.id, apiKey: apiKey.trim() });
  };
  const error = set.error ? (fieldErrors(set.error).apiKey ?? readApiError(set.error).message) : null;

  return (
    <li
      className="px-5 py-3.5"
      data-testid={`provider-key-${provider.id}`}
      data-set={stored ? 'true' : 'false'}
    >
      <div className="flex flex-wrap items-center gap-3">
        <div className="min-w-40 flex-1">
          <p className="text-sm font-medium text-slate-900">{provider.label}</p>
          <p className="text-xs text-slate-500" data-testid="key-state">
            {loading ? (
              'Checking…'
            ) : stored ? (
              <>
                <span className="mr-1 inline-block size-1.5 rounded-full bg-emerald-500 align-middle" />
                Key set, ending in <span className="font-mono">{stored.hint}</span> · updated{' '}
                <RelativeTime date={stored.updatedAt} />
              </>
            ) : (
              'No key set'
            )}
          </p>
        </div>
        {editing ? null : (
          <div className="flex gap-1">
            <Button size="sm" onClick={() => setEditing(true)} data-testid="set-key">
              {stored ? 'Replace key' : 'Set key'}
            </Button>
            {stored ? (
              <Button
                size="sm"
                variant="ghost"
                className="hover:bg-rose-50 hover:text-rose-700"
                onClick={onDelete}
                data-testid="delete-key"
              >
                Delete
              </Button>
            ) : null}
          </div>
        )}
      </div>
      {editing ? (
        <form onSubmit={submit} className="mt-3 flex flex-wrap items-start gap-2">
          <div className="min-w-64 flex-1">
            <label htmlFor={id} className="sr-only">
              {provider.label} API key
            </label>
            <input
              id={id}
              type="password"
              autoComplete="off"
              spellCheck={false}
              className={`${inputClass} font-mono ${error ? 'ring-rose-400!' : ''}`}
              placeholder={provider.placeholder}
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? `${id}-error` : undefined}
              data-testid="key-input"
            />
            {error ? (
              <p id={`${id}-error`} className="mt-1 text-xs text-rose-600" role="alert">
                {error}
              </p>
            ) : null}
          </div>
          <Button
            type="submit"
            variant="primary"
            disabled={!apiKey.trim() || set.isPending}
            data-testid="save-key"
          >
            {set.isPending ? 'Saving…' : 'Save key'}
          </Button>
          <Button
            onClick={() => {
              setEditing(false);
              setApiKey('');
              set.reset();
            }}
          >
            Cancel
          </Button>
        </form>
      ) : null}
    </li>
  );
}
