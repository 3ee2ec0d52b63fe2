/**
 * Adding a notification channel: email, a Slack-compatible incoming webhook, or a signed webhook.
 * A webhook channel's signing secret comes back once, in the create answer, and is shown here
 * until dismissed; the server never shows it again.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { fieldErrors, readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Field, inputClass } from '../ui/field.tsx';

type Kind = 'email' | 'slack' | 'webhook';

const KIND_LABELS: Record<Kind, string> = {
  email: 'Email',
  slack: 'Slack (incoming webhook)',
  webhook: 'Webhook (signed)',
};

export function NotificationChannelForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>('email');
  const [name, setName] = useState('');
  const [destination, setDestination] = useState('');
  const [digestMinutes, setDigestMinutes] = useState('60');
  const [secret, setSecret] = useState<string | null>(null);

  const create = useMutation(
    trpc.notifications.createChannel.mutationOptions({
      onSuccess: async (result) => {
        setSecret(result.signingSecret);
        setName('');
        setDestination('');
        await queryClient.invalidateQueries({ queryKey: trpc.notifications.channels.queryKey() });
      },
    }),
  );
  const errors = create.error ? fieldErrors(create.error) : {};

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const common = { name: name.trim(), digestMinutes: Number(digestMinutes) };
    create.mutate(
      kind === 'email'
        ? { kind, ...common, address: destination.trim() }
        : { kind, ...common, url: destination.trim() },
    );
  };

  return (
    <div>
      <form
        onSubmit={submit}
        className="grid gap-3 rounded-xl bg-white p-4 shadow-sm ring-1 ring-slate-200 sm:grid-cols-2"
        data-testid="channel-form"
      >
        <div>
          <label htmlFor="channel-kind" className="mb-1.5 block text-sm font-medium text-slate-700">
            Kind
          </label>
          <select
            id="channel-kind"
            className={inputClass}
            value={kind}
            onChange={(e) => setKind(e.target.value as Kind)}
            data-testid="channel-kind"
          >
            {(Object.keys(KIND_LABELS) as Kind[]).map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <Field
          label="Name"
          placeholder="e.g. On-call"
          value={name}
          limit={100}
          onChange={(e) => setName(e.target.value)}
          error={errors.name}
          data-testid="channel-name"
        />
        <Field
          label={kind === 'email' ? 'Email address' : 'URL'}
          placeholder={kind === 'email' ? 'ops@example.com' : 'https://…'}
          value={destination}
          onChange={(e) => setDestination(e.target.value)}
          error={errors.address ?? errors.url}
          data-testid="channel-destination"
        />
        <Field
          label="Quiet window (minutes)"
          hint="After a notification, more of the same within this are sent as one digest; 0 sends each."
          type="number"
          min={0}
          max={1440}
          value={digestMinutes}
          onChange={(e) => setDigestMinutes(e.target.value)}
          error={errors.digestMinutes}
          data-testid="channel-digest"
        />
        <div className="flex items-center gap-3 sm:col-span-2">
          <Button
            type="submit"
            variant="primary"
            disabled={!name.trim() || !destination.trim() || create.isPending}
            data-testid="channel-create"
          >
            Add channel
          </Button>
          {create.error && Object.keys(errors).length === 0 ? (
            <p className="text-sm text-rose-600" role="alert">
              {readApiError(create.error).message}
            </p>
          ) : null}
        </div>
      </form>
      {secret ? (
        <div className="mt-4 rounded-xl bg-emerald-50 p-4 ring-1 ring-emerald-200" role="status">
          <p className="text-sm font-medium text-emerald-900">
            Signing secret — copy it now, it will not be shown again. Verify deliveries with any Standard
            Webhooks library.
          </p>
          <div className="mt-2 flex items-center gap-2">
            <code
              className="min-w-0 flex-1 truncate rounded-md bg-white px-3 py-2 font-mono text-xs text-slate-800 ring-1 ring-emerald-200"
              data-testid="channel-secret"
            >
              {secret}
            </code>
            <Button size="sm" variant="ghost" onClick={() => setSecret(null)}>
              Done
            </Button>
          </div>
        </div>
      ) : null}
    </div>
  );
}
