/** The editor's schedule panel (being built: waits for the `schedules` API). */
import type { JsonSchema } from '../schemas/schema-text.ts';

export function SchedulesPanel(_props: { workflowId: string; inputSchema: JsonSchema | undefined }) {
  return (
    <div className="space-y-4" data-testid="schedules-panel">
      <p className="text-sm font-semibold text-slate-900">Schedules</p>
      <p className="text-sm text-slate-500">Schedules are not available yet.</p>
    </div>
  );
}
