/**
 * For a sender-preset webhook: where, in that service's settings, the URL and the secret go, and
 * which events the webhook takes. The words live in webhook-form.ts (SENDER_GUIDES).
 */
import { SENDER_GUIDES, type SenderPreset } from './webhook-form.ts';

export function SenderGuide({ preset, eventFilter }: { preset: SenderPreset; eventFilter: string[] }) {
  const guide = SENDER_GUIDES[preset];
  return (
    <div
      className="mt-3 rounded-lg bg-slate-50 p-3 text-xs text-slate-600 ring-1 ring-slate-200"
      data-testid="webhook-sender-guide"
    >
      <p className="font-semibold text-slate-800">Connect {guide.name}</p>
      <ol className="mt-1 list-decimal space-y-0.5 pl-4">
        {guide.steps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
      <p className="mt-2" data-testid="webhook-event-filter">
        {eventFilter.length > 0
          ? `Starts runs for: ${eventFilter.join(', ')}. Other events are answered 200 "ignored".`
          : 'Starts a run for every event it is sent.'}
      </p>
    </div>
  );
}
