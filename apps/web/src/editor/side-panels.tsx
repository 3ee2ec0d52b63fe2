/**
 * The editor's right-hand side: the selected item's view, or one of the workflow's tool panels
 * (schemas, schedules, webhooks, versions) toggled from the toolbar (which is in front: see
 * use-side-panel.ts).
 */
import { lazy, type ReactNode, Suspense } from 'react';
import type { ApiIssue } from '../api-error.ts';
import type { JsonSchema } from '../schemas/schema-text.ts';
import type { SchemaKey } from '../schemas/schemas-panel.tsx';
import { VersionsPanel } from '../versions/versions-panel.tsx';
import type { DefinitionExtras } from './graph.ts';

export type SidePanel = 'schemas' | 'schedules' | 'webhooks' | 'versions';
export const SIDE_PANELS: Array<{ id: SidePanel; label: string }> = [
  { id: 'schemas', label: 'Schemas' },
  { id: 'schedules', label: 'Schedules' },
  { id: 'webhooks', label: 'Webhooks' },
  { id: 'versions', label: 'Versions' },
];

// The trigger and schema panels bring ajv, cronstrue and jsonata: loaded when first opened.
const SchemasPanel = lazy(() =>
  import('../schemas/schemas-panel.tsx').then((m) => ({ default: m.SchemasPanel })),
);
const SchedulesPanel = lazy(() =>
  import('../schedules/schedules-panel.tsx').then((m) => ({ default: m.SchedulesPanel })),
);
const WebhooksPanel = lazy(() =>
  import('../webhooks/webhooks-panel.tsx').then((m) => ({ default: m.WebhooksPanel })),
);

/**
 * The aside itself: wider while a trigger or schema panel is open (also with the selection in
 * front of it, so the canvas does not jump), labelled by what it shows.
 */
export function EditorAside({
  open,
  shown,
  children,
}: {
  open: SidePanel | null;
  shown: SidePanel | null;
  children: ReactNode;
}) {
  return (
    <aside
      className={`${open && open !== 'versions' ? 'w-[28rem]' : 'w-80'} shrink-0 overflow-y-auto border-l border-slate-200 bg-white p-4`}
      aria-label={SIDE_PANELS.find((entry) => entry.id === shown)?.label ?? 'Selected item'}
    >
      <Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>{children}</Suspense>
    </aside>
  );
}

interface ToolPanelProps {
  panel: SidePanel;
  workflowId: string;
  extras: DefinitionExtras;
  onSchemaChange: (key: SchemaKey, schema: JsonSchema | undefined) => void;
  issues: ApiIssue[];
  checking: boolean;
  dirty: boolean;
  saveDraft: () => Promise<boolean>;
  /** A version was restored: the server's draft changed under the editor. */
  onRestored: () => void;
}

export function ToolPanel({
  panel,
  workflowId,
  extras,
  onSchemaChange,
  issues,
  checking,
  dirty,
  saveDraft,
  onRestored,
}: ToolPanelProps) {
  switch (panel) {
    case 'schemas':
      return (
        <SchemasPanel
          inputSchema={extras.inputSchema}
          outputSchema={extras.outputSchema}
          onChange={onSchemaChange}
          issues={issues}
          checking={checking}
        />
      );
    case 'schedules':
      return <SchedulesPanel workflowId={workflowId} inputSchema={extras.inputSchema} />;
    case 'webhooks':
      return <WebhooksPanel workflowId={workflowId} inputSchema={extras.inputSchema} />;
    case 'versions':
      return (
        <VersionsPanel workflowId={workflowId} dirty={dirty} saveDraft={saveDraft} onRestored={onRestored} />
      );
  }
}
