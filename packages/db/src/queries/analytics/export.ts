/** The CSV export of the attempt ledger, in batches. */
import type { AttemptReason, ErrorClass, ProviderId } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../client.ts';
import { pastKeyset } from '../keyset.ts';
import { tsParam } from './figures.ts';
import type { ResolvedRange } from './filter.ts';

/** One ledger row of the CSV export. */
export type CostExportRow = {
  id: string;
  /** ISO 8601, UTC. */
  started_at: string;
  execution_id: string;
  workflow_id: string;
  workflow_name: string | null;
  version_id: string | null;
  version_number: number | null;
  node_id: string;
  agent_role: string | null;
  requested_provider: ProviderId;
  requested_model: string;
  served_provider: ProviderId;
  served_model: string;
  reason: AttemptReason;
  error_class: ErrorClass | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_micros: string | null;
  cost_status: string;
};

/**
 * The ledger rows of a range in batches (keyset over `(started_at, id)`), so an export of millions
 * of rows holds one batch in memory at a time.
 */
export async function* exportCostRows(
  db: DbOrTx,
  ownerId: string,
  range: ResolvedRange & { workflowId: string | null },
  batchSize = 2000,
): AsyncGenerator<CostExportRow[]> {
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const query = sql`
      select c.id, to_char(c.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as started_at,
        c.started_at::text as started_at_text, c.execution_id, c.workflow_id,
        w.name as workflow_name, e.version_id, v.number as version_number, c.node_id, c.agent_role,
        c.requested_provider, c.requested_model, c.served_provider, c.served_model, c.reason, c.error_class,
        c.input_tokens, c.cache_read_tokens, c.cache_write_tokens, c.output_tokens, c.reasoning_tokens,
        c.cost_micros::text as cost_micros, c.cost_status
      from execution_costs c
      join executions e on e.id = c.execution_id
      left join workflows w on w.id = c.workflow_id
      left join workflow_versions v on v.id = e.version_id
      where c.owner_id = ${ownerId}
        ${range.workflowId === null ? sql`` : sql`and c.workflow_id = ${range.workflowId}`}
        and c.started_at >= ${tsParam(range.from)} and c.started_at < ${tsParam(range.to)}
        ${
          after === null
            ? sql``
            : // The plain bound lets the (owner, started_at) index start where the last batch ended.
              sql`and c.started_at >= ${after.at}::timestamptz
                and ${pastKeyset({ at: sql.raw('c.started_at'), id: sql.raw('c.id') }, 'newer', after)}`
        }
      order by c.started_at, c.id
      limit ${batchSize}
    `;
    // Served in order by the (owner | workflow, started_at, id) indexes of migration 0009.
    const rows: CostExportRow[] = await db.execute<CostExportRow & { started_at_text: string }>(query);
    if (rows.length === 0) return;
    yield rows;
    if (rows.length < batchSize) return;
    const last = rows[rows.length - 1] as CostExportRow & { started_at_text: string };
    after = { at: last.started_at_text, id: last.id };
  }
}
