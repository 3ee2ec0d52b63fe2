/**
 * Cost analytics and budgets.
 *
 * `cost_rollups` pre-aggregates the attempt ledger (`execution_costs`) and finished runs so the
 * dashboard's figures read thousands of rows, not millions. It is maintained by database triggers
 * (migration 0008) in the same transaction as the ledger rows and run status changes are written,
 * so it is never stale and every writer (runner, import, seeding scripts) keeps it right without
 * knowing about it. Two grains:
 * - `quarter` (15-minute buckets; every real time zone's offset is a multiple of 15 minutes, so
 *   hours and days in any zone are whole buckets): dimension `total` (per owner) and `workflow`
 *   (per owner and workflow). Totals, trends and run outcomes come from these.
 * - `day` (UTC days): dimensions `version`, `model` and `role`, each keyed by workflow so a
 *   workflow filter applies; `model` and `role` also per owner (`workflow_id` null, migration 0010)
 *   for unfiltered breakdowns. Breakdowns read whole UTC days here and the partial days at the ends
 *   of a range from the same dimensions at `quarter` grain (0010).
 * `workflow_id` deliberately has no foreign key: money spent stays in the totals after a workflow
 * is deleted.
 *
 * Budgets: monthly (calendar month, UTC) limits per owner, globally or per workflow. `spent_micros`
 * and `reserved_micros` are kept on the row for the current `period` so a reservation is one
 * conditional update (see queries/budgets.ts).
 */
import type { ProviderId } from '@swarm/engine';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  pgTable,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { users } from './accounts.ts';
import { createdAt, primaryId, timestampMs, updatedAt } from './columns.ts';
import { workflows } from './workflows.ts';

export const ROLLUP_GRAINS = ['quarter', 'day'] as const;
export const ROLLUP_DIMENSIONS = ['total', 'workflow', 'version', 'model', 'role'] as const;

const measure = (name: string) => bigint(name, { mode: 'number' }).notNull().default(0);

export const costRollups = pgTable(
  'cost_rollups',
  {
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    grain: text('grain', { enum: ROLLUP_GRAINS }).notNull(),
    dimension: text('dimension', { enum: ROLLUP_DIMENSIONS }).notNull(),
    bucketStart: timestampMs('bucket_start').notNull(),
    /** Null on `total` rows and on the owner-level `model` and `role` rows. */
    workflowId: uuid('workflow_id'),
    /** `version` rows: the run's pinned version (null = the draft). */
    versionId: uuid('version_id'),
    /** `model` rows: the served provider and model. */
    provider: text('provider').$type<ProviderId>(),
    model: text('model'),
    /** `role` rows: the agent's role (null = none). */
    agentRole: text('agent_role'),
    attempts: measure('attempts'),
    pricedAttempts: measure('priced_attempts'),
    unpricedAttempts: measure('unpriced_attempts'),
    /**
     * Answers that reported no usage: paid for, at an unknown cost (migration 0016; before it this
     * also counted failed calls, which now go to `failedNoUsageAttempts`).
     */
    noUsageAttempts: measure('no_usage_attempts'),
    /** Failed calls that reported no usage (nothing known to be billed). */
    failedNoUsageAttempts: measure('failed_no_usage_attempts'),
    costMicros: measure('cost_micros'),
    inputTokens: measure('input_tokens'),
    cacheReadTokens: measure('cache_read_tokens'),
    cacheWriteTokens: measure('cache_write_tokens'),
    outputTokens: measure('output_tokens'),
    reasoningTokens: measure('reasoning_tokens'),
    /** Attempts that ended in an error (they may still have been billed). */
    failedAttempts: measure('failed_attempts'),
    failedAttemptCostMicros: measure('failed_attempt_cost_micros'),
    fallbackAttempts: measure('fallback_attempts'),
    retryAttempts: measure('retry_attempts'),
    /** Run outcomes (quarter grain only), bucketed by when the run finished. */
    runsSucceeded: measure('runs_succeeded'),
    runsFailed: measure('runs_failed'),
    runsCancelled: measure('runs_cancelled'),
    succeededRunCostMicros: measure('succeeded_run_cost_micros'),
    failedRunCostMicros: measure('failed_run_cost_micros'),
    /**
     * Successful runs with at least one attempt of unknown cost (unpriced, or an answer without
     * usage since migration 0016), and what their priced attempts cost (migration 0011). Cost per
     * successful run leaves them out rather than count an unknown cost as $0; decided when the run
     * succeeds, or when such an attempt of an already-succeeded run is recorded (imports).
     */
    runsSucceededUnpriced: measure('runs_succeeded_unpriced'),
    succeededUnpricedRunCostMicros: measure('succeeded_unpriced_run_cost_micros'),
  },
  (t) => [
    unique('cost_rollups_key')
      .on(
        t.ownerId,
        t.grain,
        t.dimension,
        t.bucketStart,
        t.workflowId,
        t.versionId,
        t.provider,
        t.model,
        t.agentRole,
      )
      .nullsNotDistinct(),
    index('cost_rollups_workflow_idx').on(t.workflowId, t.grain, t.dimension, t.bucketStart),
  ],
);

export const budgets = pgTable(
  'budgets',
  {
    id: primaryId(),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Null = the owner's global budget (all workflows). */
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'cascade' }),
    monthlyLimitMicros: bigint('monthly_limit_micros', { mode: 'number' }).notNull(),
    /** Percentages of the limit (1–100) at which an alert is recorded, once per month each. */
    alertAt: integer('alert_at').array().notNull().default(sql`'{50,80,100}'::integer[]`),
    blockWhenExceeded: boolean('block_when_exceeded').notNull().default(false),
    /** The calendar month (UTC, `YYYY-MM`) that `spent_micros` and `reserved_micros` are for. */
    period: text('period').notNull(),
    spentMicros: bigint('spent_micros', { mode: 'number' }).notNull().default(0),
    /** Estimates held by provider calls in flight (blocking budgets only). */
    reservedMicros: bigint('reserved_micros', { mode: 'number' }).notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('budgets_owner_scope_key').on(t.ownerId, t.workflowId).nullsNotDistinct(),
    check('budgets_limit_positive', sql`${t.monthlyLimitMicros} > 0`),
    check('budgets_amounts_non_negative', sql`${t.spentMicros} >= 0 and ${t.reservedMicros} >= 0`),
  ],
);

export const budgetAlerts = pgTable(
  'budget_alerts',
  {
    id: primaryId(),
    budgetId: uuid('budget_id')
      .notNull()
      .references(() => budgets.id, { onDelete: 'cascade' }),
    ownerId: uuid('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    period: text('period').notNull(),
    threshold: integer('threshold').notNull(),
    spentMicros: bigint('spent_micros', { mode: 'number' }).notNull(),
    limitMicros: bigint('limit_micros', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('budget_alerts_once_key').on(t.budgetId, t.period, t.threshold),
    index('budget_alerts_owner_created_idx').on(t.ownerId, t.createdAt.desc()),
  ],
);
