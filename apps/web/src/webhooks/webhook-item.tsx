/**
 * One webhook in the panel's list: its auth mode, version, call count and rate limit, the
 * enable/disable switch, its URL and a ready `curl` example (signed with the secret while it is
 * revealed) — or, for a sender preset, where to paste the URL and secret in that service — and its actions — send a test call, show the call log, edit, rotate the secret, delete.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { DeleteWithConfirm } from '../ui/dialog.tsx';
import { RelativeTime } from '../ui/relative-time.tsx';
import { CopyField } from './copy-field.tsx';
import { RegenerateSecretDialog } from './regenerate-secret-dialog.tsx';
import { SendTestDialog } from './send-test-dialog.tsx';
import { SenderGuide } from './sender-guide.tsx';
import {
  AUTH_MODES,
  callCountLabel,
  curlCommand,
  isSenderPreset,
  type RevealedSecret,
  type Webhook,
} from './webhook-form.ts';
import { WebhookLogs } from './webhook-logs.tsx';

export function WebhookItem({
  webhook,
  payload,
  revealed,
  onReveal,
  onForget,
  onEdit,
}: {
  webhook: Webhook;
  /** Compact JSON text. */
  payload: string;
  revealed: RevealedSecret | null;
  onReveal: (secret: RevealedSecret) => void;
  onForget: () => void;
  onEdit: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSuccess: refresh }));
  const [showLogs, setShowLogs] = useState(revealed !== null);
  const [regenerateOpen, setRegenerateOpen] = useState(false);
  const [testOpen, setTestOpen] = useState(false);
  const auth = webhook.auth;
  const curl = isSenderPreset(auth)
    ? null
    : curlCommand({ url: webhook.url, auth, secret: revealed?.secret ?? null, body: payload });

  return (
    <li
      className="rounded-lg p-3 ring-1 ring-slate-200"
      data-testid="webhook-item"
      data-webhook-id={webhook.id}
      data-enabled={webhook.enabled}
    >
      <div className="flex items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="text-sm font-medium text-slate-900">
            {AUTH_MODES.find((mode) => mode.value === webhook.auth)?.label}
            {webhook.versionTag ? (
              <span className="font-normal text-slate-500"> · version {webhook.versionTag}</span>
            ) : (
              <span className="font-normal text-slate-500"> · draft</span>
            )}
          </p>
          <p className="text-xs text-slate-500">
            <span data-testid="webhook-call-count">{callCountLabel(webhook)}</span>
            {webhook.lastTriggeredAt ? (
              <>
                , last <RelativeTime date={webhook.lastTriggeredAt} />
              </>
            ) : null}{' '}
            · {webhook.rateLimitPerHour}/hour
            {webhook.ipAllowlist.length > 0 ? ` · ${webhook.ipAllowlist.length} allowed IP ranges` : ''}
          </p>
        </div>
        <label className="flex shrink-0 cursor-pointer items-center gap-1.5 text-xs text-slate-600">
          <input
            type="checkbox"
            className="size-4 rounded border-slate-300 text-indigo-600"
            checked={webhook.enabled}
            disabled={update.isPending}
            onChange={(e) => update.mutate({ id: webhook.id, enabled: e.target.checked })}
            data-testid="webhook-enabled"
          />
          {webhook.enabled ? 'Enabled' : 'Disabled'}
        </label>
      </div>

      <CopyField label="URL" value={webhook.url} testId="webhook-url" />

      {revealed ? (
        <div
          className="mt-3 space-y-2 rounded-lg bg-amber-50 p-3 ring-1 ring-amber-200"
          role="status"
          data-testid="webhook-secret-reveal"
        >
          <p className="text-xs font-semibold text-amber-900">
            Copy the secret now: you won't be able to see it again.
          </p>
          <CopyField label="Secret" value={revealed.secret} testId="webhook-secret" />
          {webhook.auth === 'url-secret' ? (
            <CopyField label="URL with the secret" value={revealed.triggerUrl} testId="webhook-trigger-url" />
          ) : null}
          <div className="flex justify-end">
            <Button size="sm" onClick={onForget} data-testid="webhook-secret-done">
              I've stored it
            </Button>
          </div>
        </div>
      ) : webhook.previousSecretExpiresAt && webhook.previousSecretExpiresAt.getTime() > Date.now() ? (
        <p className="mt-2 text-xs text-slate-500">
          The previous secret still works until {webhook.previousSecretExpiresAt.toLocaleString()}.
        </p>
      ) : null}

      {isSenderPreset(auth) ? (
        <SenderGuide preset={auth} eventFilter={webhook.eventFilter} />
      ) : (
        <div className="mt-3">
          <CopyField
            label={
              revealed
                ? 'Try it (signed with the new secret)'
                : 'Try it (set SECRET to the webhook secret first)'
            }
            value={curl ?? ''}
            multiline
            testId="webhook-curl"
          />
        </div>
      )}

      {update.error ? (
        <p className="mt-2 text-xs text-rose-600" role="alert">
          {readApiError(update.error).message}
        </p>
      ) : null}
      <div className="mt-2 flex flex-wrap gap-1">
        <Button size="sm" variant="ghost" onClick={() => setTestOpen(true)} data-testid="webhook-send-test">
          Send test
        </Button>
        <Button
          size="sm"
          variant="ghost"
          onClick={() => setShowLogs((v) => !v)}
          aria-expanded={showLogs}
          data-testid="webhook-logs-toggle"
        >
          Calls
        </Button>
        <Button size="sm" variant="ghost" onClick={onEdit} data-testid="edit-webhook">
          Edit
        </Button>
        <Button
          size="sm"
          variant="ghost"
          onClick={() => setRegenerateOpen(true)}
          data-testid="webhook-regenerate"
        >
          New secret
        </Button>
        <DeleteWithConfirm
          title="Delete this webhook?"
          message="Calls to its URL will be refused from now on, and its call log is removed. Runs it started stay."
          testId="delete-webhook"
          mutation={remove}
          onDelete={(done) => remove.mutate({ id: webhook.id }, { onSuccess: done })}
        />
      </div>
      {showLogs ? <WebhookLogs webhookId={webhook.id} /> : null}

      <SendTestDialog
        open={testOpen}
        webhookId={webhook.id}
        auth={auth}
        initialPayload={payload}
        onClose={() => setTestOpen(false)}
        onSent={() => setShowLogs(true)}
      />
      <RegenerateSecretDialog
        open={regenerateOpen}
        webhookId={webhook.id}
        auth={auth}
        onClose={() => setRegenerateOpen(false)}
        onRegenerated={(secret) => {
          setRegenerateOpen(false);
          if (secret) onReveal(secret);
        }}
      />
    </li>
  );
}
