/**
 * Rotates a webhook's secret: asks how long the old one keeps working, then hands the new one to
 * the panel, which shows it once. A sender preset takes the service's new secret, pasted here (and
 * not shown back); GitHub's may be left empty to get a generated one.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { inputClass } from '../ui/field.tsx';
import {
  GRACE_OPTIONS,
  isSenderPreset,
  type RevealedSecret,
  SENDER_GUIDES,
  type WebhookAuth,
} from './webhook-form.ts';

export function RegenerateSecretDialog({
  open,
  webhookId,
  auth,
  onClose,
  onRegenerated,
}: {
  open: boolean;
  webhookId: string;
  auth: WebhookAuth;
  onClose: () => void;
  /** With the new secret when we generated it; without, when the owner pasted the service's. */
  onRegenerated: (secret: RevealedSecret | null) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const secretId = useId();
  const guide = isSenderPreset(auth) ? SENDER_GUIDES[auth] : null;
  const [pasted, setPasted] = useState('');
  const [grace, setGrace] = useState(24 * 3600);
  const regenerate = useMutation(trpc.webhooks.regenerateSecret.mutationOptions());
  const confirm = async () => {
    try {
      const secret = pasted.trim();
      const result = await regenerate.mutateAsync({
        id: webhookId,
        graceSeconds: grace,
        ...(guide && secret ? { secret } : {}),
      });
      await queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
      setPasted('');
      onRegenerated(
        guide && secret ? null : { webhookId, secret: result.secret, triggerUrl: result.triggerUrl },
      );
    } catch {
      // Shown below.
    }
  };
  return (
    <Dialog open={open} title="Generate a new secret?" onClose={onClose} testId="webhook-regenerate-dialog">
      <div className="space-y-3 text-sm text-slate-600">
        <p>
          {guide
            ? `Roll the secret in ${guide.name} first, then paste the new one here. Deliveries signed with the old one keep working during the grace period.`
            : 'The new secret is shown once. Senders using the old one keep working during the grace period.'}
        </p>
        {guide ? (
          <div>
            <label htmlFor={secretId} className="mb-1.5 block text-sm font-medium text-slate-700">
              New {guide.secretLabel.toLowerCase()}
            </label>
            <input
              id={secretId}
              type="password"
              autoComplete="off"
              className={inputClass}
              placeholder={guide.secretPlaceholder}
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
              data-testid="webhook-regenerate-secret"
            />
          </div>
        ) : null}
        <div>
          <label htmlFor={id} className="mb-1.5 block text-sm font-medium text-slate-700">
            Old secret keeps working for
          </label>
          <select
            id={id}
            className={inputClass}
            value={grace}
            onChange={(e) => setGrace(Number(e.target.value))}
            data-testid="webhook-grace"
          >
            {GRACE_OPTIONS.map((option) => (
              <option key={option.seconds} value={option.seconds}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        {regenerate.error ? (
          <p className="text-rose-600" role="alert">
            {readApiError(regenerate.error).message}
          </p>
        ) : null}
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            onClick={() => void confirm()}
            disabled={regenerate.isPending}
            data-testid="webhook-regenerate-confirm"
          >
            {regenerate.isPending ? 'Working…' : 'New secret'}
          </Button>
        </div>
      </div>
    </Dialog>
  );
}
