/** Breakdowns of a range by workflow, version, provider, model and agent role. */
import type { ProviderId } from '@swarm/engine';
import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import {
  addFigures,
  byCostDesc,
  type DetailedFigure,
  detailed,
  MEASURES,
  type RawMeasures,
  tsParam,
} from './figures.ts';
import { DAY_MS, type ResolvedRange } from './filter.ts';

/**
 * A breakdown's source rows: daily roll-ups for the whole UTC days inside the range, plus 15-minute
 * roll-ups for the partial days at either end (migration 0010). Without a workflow filter, model
 * and role rows are the owner-level ones (`workflow_id` null: a few per day, not one per workflow);
 * version rows are always per workflow.
 */
function breakdownSource(
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
  dimension: 'version' | 'model' | 'role',
  keys: string,
): SQL {
  const fromMs = range.from.getTime();
  const toMs = range.to.getTime();
  const firstFullDay = Math.ceil(fromMs / DAY_MS) * DAY_MS;
  const endFullDays = Math.floor(toMs / DAY_MS) * DAY_MS;
  const scope =
    range.workflowId !== null
      ? sql`workflow_id = ${range.workflowId} and owner_id = ${ownerId}`
      : dimension === 'version'
        ? sql`owner_id = ${ownerId}`
        : sql`owner_id = ${ownerId} and workflow_id is null`;
  const columns = sql.raw(`${keys}, attempts, priced_attempts, unpriced_attempts, no_usage_attempts,
    failed_no_usage_attempts, cost_micros, input_tokens, cache_read_tokens, cache_write_tokens, output_tokens, reasoning_tokens`);
  const rowsOf = (grain: 'quarter' | 'day', a: number, b: number) =>
    sql`select ${columns} from cost_rollups where ${scope} and grain = ${grain} and dimension = ${dimension}
      and bucket_start >= ${tsParam(new Date(a))} and bucket_start < ${tsParam(new Date(b))}`;
  if (firstFullDay >= endFullDays) return rowsOf('quarter', fromMs, toMs);
  const parts = [rowsOf('day', firstFullDay, endFullDays)];
  if (fromMs < firstFullDay) parts.push(rowsOf('quarter', fromMs, firstFullDay));
  if (endFullDays < toMs) parts.push(rowsOf('quarter', endFullDays, toMs));
  return sql.join(parts, sql` union all `);
}

export interface WorkflowBreakdown extends DetailedFigure {
  workflowId: string;
  /** Null when the workflow has since been deleted. */
  name: string | null;
}
export interface VersionBreakdown extends DetailedFigure {
  workflowId: string;
  /** Null for runs of the draft. */
  versionId: string | null;
  versionNumber: number | null;
}
export interface ProviderBreakdown extends DetailedFigure {
  provider: ProviderId;
}
export interface ModelBreakdown extends DetailedFigure {
  provider: ProviderId;
  model: string;
}
export interface AgentRoleBreakdown extends DetailedFigure {
  /** Null for attempts of nodes without a role. */
  agentRole: string | null;
}

export async function versionBreakdown(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
): Promise<{ byVersion: VersionBreakdown[]; byWorkflow: WorkflowBreakdown[] }> {
  const rows = await db.execute<
    RawMeasures & {
      workflow_id: string;
      version_id: string | null;
      number: number | null;
      name: string | null;
    }
  >(sql`
    select s.workflow_id, s.version_id, v.number, w.name, ${MEASURES}
    from (${breakdownSource(ownerId, range, 'version', 'workflow_id, version_id')}) s
    left join workflow_versions v on v.id = s.version_id
    left join workflows w on w.id = s.workflow_id
    group by s.workflow_id, s.version_id, v.number, w.name
  `);
  const byVersion = rows.map((r) => ({
    workflowId: r.workflow_id,
    versionId: r.version_id,
    versionNumber: r.number === null ? null : Number(r.number),
    ...detailed(r),
  }));
  const workflows = new Map<string, WorkflowBreakdown>();
  for (const [i, v] of byVersion.entries()) {
    const { workflowId, versionId: _v, versionNumber: _n, ...figure } = v;
    const seen = workflows.get(workflowId);
    workflows.set(
      workflowId,
      seen ? { ...seen, ...addFigures(seen, figure) } : { workflowId, name: rows[i]!.name, ...figure },
    );
  }
  return { byVersion: byVersion.sort(byCostDesc), byWorkflow: [...workflows.values()].sort(byCostDesc) };
}

export async function modelBreakdown(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
): Promise<{ byModel: ModelBreakdown[]; byProvider: ProviderBreakdown[] }> {
  const rows = await db.execute<RawMeasures & { provider: ProviderId; model: string }>(sql`
    select s.provider, s.model, ${MEASURES}
    from (${breakdownSource(ownerId, range, 'model', 'provider, model')}) s
    group by s.provider, s.model
  `);
  const byModel = rows.map((r) => ({ provider: r.provider, model: r.model, ...detailed(r) }));
  const providers = new Map<string, ProviderBreakdown>();
  for (const { provider, model: _m, ...figure } of byModel) {
    const seen = providers.get(provider);
    providers.set(provider, seen ? { provider, ...addFigures(seen, figure) } : { provider, ...figure });
  }
  return { byModel: byModel.sort(byCostDesc), byProvider: [...providers.values()].sort(byCostDesc) };
}

export async function roleBreakdown(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
): Promise<AgentRoleBreakdown[]> {
  const rows = await db.execute<RawMeasures & { agent_role: string | null }>(sql`
    select s.agent_role, ${MEASURES}
    from (${breakdownSource(ownerId, range, 'role', 'agent_role')}) s
    group by s.agent_role
  `);
  return rows.map((r) => ({ agentRole: r.agent_role, ...detailed(r) })).sort(byCostDesc);
}
