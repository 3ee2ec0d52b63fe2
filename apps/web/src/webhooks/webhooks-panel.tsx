/** The editor's webhook panel (being built: waits for the `webhooks` API). */
import type { JsonSchema } from '../schemas/schema-text.ts';

export function WebhooksPanel(_props: { workflowId: string; inputSchema: JsonSchema | undefined }) {
  return (
    <div className="space-y-4" data-testid="webhooks-panel">
      <p className="text-sm font-semibold text-slate-900">Webhooks</p>
      <p className="text-sm text-slate-500">Webhooks are not available yet.</p>
    </div>
  );
}
