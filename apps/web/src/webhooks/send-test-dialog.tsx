/**
 * Sends a test call to a webhook: the payload goes through the mapping and input checks like a real
 * call and starts a run (linked on success); refused calls list their issues. For a sender preset
 * the server signs it the way that service signs (with the event header for GitHub and Shopify)
 * and checks it like a delivery, event filter included.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { readApiError } from '../api-error.ts';
import { useTRPC } from '../trpc.ts';
import { Button } from '../ui/button.tsx';
import { Dialog } from '../ui/dialog.tsx';
import { inputClass } from '../ui/field.tsx';
import { isSenderPreset, SENDER_GUIDES, type WebhookAuth } from './webhook-form.ts';

export function SendTestDialog({
  open,
  webhookId,
  auth,
  initialPayload,
  onClose,
  onSent,
}: {
  open: boolean;
  webhookId: string;
  auth: WebhookAuth;
  initialPayload: string;
  onClose: () => void;
  onSent: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const id = useId();
  const eventId = useId();
  const guide = isSenderPreset(auth) ? SENDER_GUIDES[auth] : null;
  // A sender's test starts from what that sender sends; the mapping is what makes it the input.
  const [text, setText] = useState(() =>
    JSON.stringify(guide ? guide.testPayload : JSON.parse(initialPayload), null, 2),
  );
  const [testEvent, setTestEvent] = useState(guide?.testEvent ?? '');
  const [jsonError, setJsonError] = useState<string | null>(null);
  const send = useMutation(
    trpc.webhooks.test.mutationOptions({
      onSuccess: () => {
        onSent();
        return queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() });
      },
      onError: () => queryClient.invalidateQueries({ queryKey: trpc.webhooks.pathKey() }),
    }),
  );
  const error = send.error ? readApiError(send.error) : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch (err) {
      setJsonError(err instanceof SyntaxError ? err.message : 'Invalid JSON');
      return;
    }
    setJsonError(null);
    send.mutate({
      id: webhookId,
      payload,
      ...(guide?.testEvent != null && testEvent.trim() ? { event: testEvent.trim() } : {}),
    });
  };
  return (
    <Dialog
      open={open}
      title="Send a test call"
      onClose={() => {
        send.reset();
        onClose();
      }}
      testId="webhook-test-dialog"
      size="lg"
    >
      <form onSubmit={submit} className="space-y-3" noValidate>
        <p className="text-xs text-slate-500">
          {guide
            ? `Sent signed the way ${guide.name} signs, with this webhook's secret, and checked like a delivery (signature, event filter), then through the mapping and the input checks; it starts a run and does not count against the rate limit.`
            : 'The payload goes through the mapping and the input checks like a real call (without a signature and without counting against the rate limit), and starts a run.'}
        </p>
        {guide?.testEvent != null ? (
          <div>
            <label htmlFor={eventId} className="block text-sm font-medium text-slate-700">
              Event ({auth === 'github' ? 'X-GitHub-Event' : 'X-Shopify-Topic'})
            </label>
            <input
              id={eventId}
              className={inputClass}
              value={testEvent}
              onChange={(e) => setTestEvent(e.target.value)}
              data-testid="webhook-test-event"
            />
          </div>
        ) : null}
        <label htmlFor={id} className="block text-sm font-medium text-slate-700">
          Payload (JSON)
        </label>
        <textarea
          id={id}
          rows={8}
          spellCheck={false}
          className={`${inputClass} font-mono text-xs`}
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="webhook-test-payload"
        />
        {jsonError ? <p className="text-xs text-rose-600">{jsonError}</p> : null}
        {send.data ? (
          <p className="text-sm text-emerald-700" role="status" data-testid="webhook-test-result">
            Accepted:{' '}
            <Link to={`/runs/${send.data.executionId}`} className="text-indigo-600 hover:underline">
              open the run
            </Link>
          </p>
        ) : null}
        {error ? (
          <div className="text-sm text-rose-600" role="alert" data-testid="webhook-test-error">
            <p>{error.issues.length > 0 ? 'The call was refused:' : error.message}</p>
            {error.issues.length > 0 ? (
              <ul className="mt-1 list-disc pl-5 text-xs">
                {error.issues.slice(0, 8).map((issue) => (
                  <li key={`${issue.path}:${issue.message}`}>
                    <span className="font-mono">{issue.path}</span>: {issue.message}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : null}
        <div className="flex justify-end gap-2">
          <Button
            onClick={() => {
              send.reset();
              onClose();
            }}
          >
            Close
          </Button>
          <Button type="submit" variant="primary" disabled={send.isPending} data-testid="webhook-test-submit">
            {send.isPending ? 'Sending…' : 'Send'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
