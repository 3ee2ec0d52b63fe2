/**
 * `GET /api/analytics/export.csv`: the attempt ledger as CSV, one row per provider attempt, with the
 * same filters as the analytics router (query `from`, `to`, `workflowId`; default the last 30 days).
 * Authenticates like tRPC (Bearer token or session cookie).
 *
 * Streamed: rows are read in keyset batches as the client consumes the response (a pull stream, so
 * a slow client holds back the database reads), so memory stays flat for millions of rows.
 * RFC 4180 quoting with CRLF line ends; every cell that a spreadsheet would read as a formula (it
 * starts with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.
 */
import { Readable } from 'node:stream';
import type { AuthService } from '@swarm/api-router';
import {
  analyticsFilterSchema,
  type CostExportRow,
  type Db,
  exportCostRows,
  resolveAnalyticsFilter,
} from '@swarm/db';
import { DomainError } from '@swarm/engine';
import type { FastifyPluginAsync } from 'fastify';
import { authenticate, sendError } from './plain-routes.ts';

export interface AnalyticsRouteDeps {
  db: Db;
  auth: AuthService;
  /** Ledger rows per database read (tests make it small to see several batches). */
  exportBatchSize?: number;
}

/** One CSV cell: formula triggers neutralised, then quoted when it must be (RFC 4180). */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export const CSV_COLUMNS = [
  'attempt_id',
  'started_at',
  'execution_id',
  'workflow_id',
  'workflow_name',
  'version_id',
  'version_number',
  'node_id',
  'agent_role',
  'requested_provider',
  'requested_model',
  'served_provider',
  'served_model',
  'reason',
  'error_class',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'output_tokens',
  'reasoning_tokens',
  'cost_micros',
  'cost_usd',
  'cost_status',
] as const;

/** Micro-dollars (as text, exact) to dollars with six decimals; empty when unpriced. */
function dollars(micros: string | null): string {
  if (micros === null) return '';
  const digits = micros.padStart(7, '0');
  return `${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

function csvLine(r: CostExportRow): string {
  return `${[
    r.id,
    r.started_at,
    r.execution_id,
    r.workflow_id,
    r.workflow_name,
    r.version_id,
    r.version_number,
    r.node_id,
    r.agent_role,
    r.requested_provider,
    r.requested_model,
    r.served_provider,
    r.served_model,
    r.reason,
    r.error_class,
    r.input_tokens,
    r.cache_read_tokens,
    r.cache_write_tokens,
    r.output_tokens,
    r.reasoning_tokens,
    r.cost_micros,
    dollars(r.cost_micros),
    r.cost_status,
  ]
    .map(csvCell)
    .join(',')}\r\n`;
}

export const analyticsRoutes: FastifyPluginAsync<AnalyticsRouteDeps> = async (scope, deps) => {
  scope.get('/api/analytics/export.csv', async (req, reply) => {
    let stream: Readable;
    try {
      const user = await authenticate(deps.auth, req);
      const parsed = analyticsFilterSchema.safeParse(req.query ?? {});
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => ({
          path: i.path.map(String).join('.'),
          message: i.message,
        }));
        throw new DomainError('BAD_REQUEST', `${issues[0]!.path}: ${issues[0]!.message}`, issues);
      }
      // Checked before the first byte: a bad range or someone else's workflow is a proper error.
      const range = await resolveAnalyticsFilter(deps.db, user.id, parsed.data);
      const batches = exportCostRows(deps.db, user.id, range, deps.exportBatchSize);
      stream = Readable.from(
        (async function* lines() {
          yield `${CSV_COLUMNS.join(',')}\r\n`;
          for await (const batch of batches) yield batch.map(csvLine).join('');
        })(),
        { objectMode: false },
      );
      stream.on('error', (error) => req.log.error({ err: error }, 'analytics export stream failed'));
    } catch (error) {
      return sendError(req, reply, error, 'analytics export failed');
    }
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="swarm-costs-${day}.csv"`)
      .header('cache-control', 'no-store')
      .send(stream);
  });
};
