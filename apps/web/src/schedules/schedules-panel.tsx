/**
 * The editor's schedule panel: a workflow's cron schedules (each a `ScheduleItem`), or the settings
 * form when one is being created or edited.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { JsonSchema } from '../schemas/schema-text.ts';
import { useTRPC } from '../trpc.ts';
import { ItemListPanel } from '../ui/item-list-panel.tsx';
import type { Schedule } from './schedule-form.ts';
import { ScheduleItem } from './schedule-item.tsx';
import { ScheduleSettingsForm } from './schedule-settings-form.tsx';

interface SchedulesPanelProps {
  workflowId: string;
  inputSchema: JsonSchema | undefined;
}

export function SchedulesPanel({ workflowId, inputSchema }: SchedulesPanelProps) {
  const trpc = useTRPC();
  // Next/last run and run counts move while the panel is open.
  const schedules = useQuery({
    ...trpc.schedules.list.queryOptions({ workflowId }),
    refetchInterval: 15_000,
  });
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);

  if (editing) {
    return (
      <ScheduleSettingsForm
        key={editing === 'new' ? 'new' : editing.id}
        workflowId={workflowId}
        schedule={editing === 'new' ? null : editing}
        inputSchema={inputSchema}
        onDone={() => setEditing(null)}
      />
    );
  }

  return (
    <ItemListPanel
      title="Schedules"
      newLabel="New schedule"
      onNew={() => setEditing('new')}
      query={schedules}
      loadingText="Loading schedules…"
      emptyText="No schedules. Add one to run this workflow on a cron, in a time zone of your choice."
      testIds={{
        panel: 'schedules-panel',
        create: 'new-schedule',
        empty: 'no-schedules',
        list: 'schedule-list',
      }}
    >
      {(items) =>
        items.map((schedule) => (
          <ScheduleItem key={schedule.id} schedule={schedule} onEdit={() => setEditing(schedule)} />
        ))
      }
    </ItemListPanel>
  );
}
