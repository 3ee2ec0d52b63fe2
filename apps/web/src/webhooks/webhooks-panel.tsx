/**
 * The editor's webhook panel: a workflow's webhooks (each a `WebhookItem`), or the settings form
 * when one is being created or edited.
 *
 * Secrets are only ever returned by create and regenerate: the panel keeps the one just returned so
 * its webhook can show it once, right then, with the `curl` example signed with it, and forgets it
 * when dismissed.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { JsonSchema } from '../schemas/schema-text.ts';
import { useTRPC } from '../trpc.ts';
import { ItemListPanel } from '../ui/item-list-panel.tsx';
import { type RevealedSecret, samplePayload, type Webhook } from './webhook-form.ts';
import { WebhookItem } from './webhook-item.tsx';
import { WebhookSettingsForm } from './webhook-settings-form.tsx';

interface WebhooksPanelProps {
  workflowId: string;
  inputSchema: JsonSchema | undefined;
}

export function WebhooksPanel({ workflowId, inputSchema }: WebhooksPanelProps) {
  const trpc = useTRPC();
  const webhooks = useQuery({ ...trpc.webhooks.list.queryOptions({ workflowId }), refetchInterval: 15_000 });
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [revealed, setRevealed] = useState<RevealedSecret | null>(null);
  // The sample payload last used in a webhook's form: the body of its curl example and test call.
  const [samples, setSamples] = useState<Record<string, string>>({});

  if (editing) {
    return (
      <WebhookSettingsForm
        key={editing === 'new' ? 'new' : editing.id}
        workflowId={workflowId}
        webhook={editing === 'new' ? null : editing}
        inputSchema={inputSchema}
        onDone={(result) => {
          if (result?.revealed) setRevealed(result.revealed);
          if (result) setSamples((current) => ({ ...current, [result.webhookId]: result.sample }));
          setEditing(null);
        }}
      />
    );
  }

  return (
    <ItemListPanel
      title="Webhooks"
      newLabel="New webhook"
      onNew={() => setEditing('new')}
      query={webhooks}
      loadingText="Loading webhooks…"
      emptyText="No webhooks. Add one to start this workflow from another system with an HTTP POST."
      testIds={{ panel: 'webhooks-panel', create: 'new-webhook', empty: 'no-webhooks', list: 'webhook-list' }}
    >
      {(items) =>
        items.map((webhook) => (
          <WebhookItem
            key={webhook.id}
            webhook={webhook}
            payload={samples[webhook.id] ?? samplePayload(inputSchema)}
            revealed={revealed?.webhookId === webhook.id ? revealed : null}
            onReveal={setRevealed}
            onForget={() => setRevealed(null)}
            onEdit={() => setEditing(webhook)}
          />
        ))
      }
    </ItemListPanel>
  );
}
