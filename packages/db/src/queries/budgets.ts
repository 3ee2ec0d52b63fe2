/**
 * Budgets: a monthly limit (calendar month, UTC) per owner, globally or for one workflow, with alert
 * thresholds and optional blocking.
 *
 * Enforcement is atomic. Before a provider call the runner reserves an estimate with ONE conditional
 * update of every blocking budget that applies (the workflow's and the global one):
 * `reserved += estimate where spent + reserved + estimate <= limit`. Concurrent reservations queue
 * on the budget rows, and each re-checks the condition against the row as the previous one left
 * it, so twenty runs at once cannot spend more than the limit plus what one call overshoots its
 * estimate by. After the call the runner settles: releases the reservation and adds the actual
 * cost (to every budget that applies, blocking or not), recording each alert threshold crossed —
 * once per budget, month and threshold (a unique key).
 *
 * Which budgets an owner has changes rarely, so callers may cache `listBudgetScopes` per owner on
 * an invalidation feed: every write here that creates, changes or deletes a budget announces
 * `BUDGETS_TOPIC` with the owner's id in its transaction.
 *
 * The row carries its `period`; the first write of a new month resets spent and reserved, so no
 * job is needed at month end. Spend counts from the ledger for the month when a budget is created,
 * then from settlements.
 */
import { ConflictError, DomainError, NotFoundError } from '@swarm/engine';
import { and, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../client.ts';
import { announceInvalidation } from '../invalidation.ts';
import { budgetAlerts, budgets } from '../schema/index.ts';

/** A billion dollars a month: anything above is a typo. */
export const MAX_BUDGET_LIMIT_MICROS = 1_000_000_000_000_000;

/** The budget period containing `now`: its calendar month in UTC, `YYYY-MM`. */
export function budgetPeriod(now: Date): string {
  return now.toISOString().slice(0, 7);
}

function periodStart(period: string): Date {
  return new Date(`${period}-01T00:00:00.000Z`);
}

/** `$5.00`, `$0.0042`: dollars with at least two decimals and no float noise. */
export function formatMicrosAsDollars(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const whole = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${sign}$${whole}.${fraction}`;
}

const limit = z
  .number({ error: 'a number of micro-dollars' })
  .int('a whole number of micro-dollars')
  .min(1, 'must be more than zero')
  .max(MAX_BUDGET_LIMIT_MICROS, 'at most 1,000,000,000,000,000 (a billion dollars)');
const alertAt = z
  .array(z.number().int('a whole percentage').min(1, 'from 1 to 100').max(100, 'from 1 to 100'))
  .max(10, 'at most 10 thresholds')
  .refine((a) => new Set(a).size === a.length, 'thresholds must differ')
  .transform((a) => [...a].sort((x, y) => x - y));

export const createBudgetSchema = z.object({
  scope: z.union([z.literal('global'), z.uuid('"global" or a workflow id')]),
  monthlyLimitMicros: limit,
  alertAt: alertAt.default([50, 80, 100]),
  blockWhenExceeded: z.boolean().default(false),
});
export const updateBudgetSchema = z.object({
  id: z.uuid('not a valid id'),
  monthlyLimitMicros: limit.optional(),
  alertAt: alertAt.optional(),
  blockWhenExceeded: z.boolean().optional(),
});

export interface BudgetView {
  id: string;
  scope: 'global' | 'workflow';
  workflowId: string | null;
  workflowName: string | null;
  monthlyLimitMicros: number;
  alertAt: number[];
  blockWhenExceeded: boolean;
  period: string;
  spentMicros: number;
  reservedMicros: number;
  /**
   * Provider calls of unknown cost this month in the budget's scope (no price for the model, or an
   * answer without usage): their spend cannot be known, so it is NOT in `spentMicros` — a budget
   * counts known spend only, and says how many calls it could not count.
   */
  unknownCostAttempts: number;
  /** spent / limit, 0–1+ (over 1 when overspent). */
  progress: number;
  /** Blocking and at or over the limit: new runs are refused. */
  blocked: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type BudgetRow = typeof budgets.$inferSelect;

function view(row: BudgetRow, workflowName: string | null, now: Date, unknownCostAttempts = 0): BudgetView {
  const current = row.period === budgetPeriod(now);
  const spent = current ? row.spentMicros : 0;
  return {
    id: row.id,
    scope: row.workflowId === null ? 'global' : 'workflow',
    workflowId: row.workflowId,
    workflowName,
    monthlyLimitMicros: row.monthlyLimitMicros,
    alertAt: row.alertAt,
    blockWhenExceeded: row.blockWhenExceeded,
    period: budgetPeriod(now),
    spentMicros: spent,
    reservedMicros: current ? row.reservedMicros : 0,
    unknownCostAttempts,
    progress: spent / row.monthlyLimitMicros,
    blocked: row.blockWhenExceeded && spent >= row.monthlyLimitMicros,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export async function listBudgets(
  db: DbOrTx,
  ownerId: string,
  options: { now?: Date } = {},
): Promise<BudgetView[]> {
  const now = options.now ?? new Date();
  const rows = await db
    .select()
    .from(budgets)
    .where(eq(budgets.ownerId, ownerId))
    .orderBy(sql`${budgets.workflowId} is not null`, budgets.createdAt);
  const names = await workflowNames(db, ownerId);
  const unknown = await unknownCostThisMonth(db, ownerId, now);
  return rows.map((r) =>
    view(
      r,
      r.workflowId ? (names.get(r.workflowId) ?? null) : null,
      now,
      unknown.get(r.workflowId ?? '') ?? 0,
    ),
  );
}

/**
 * Calls of unknown cost this month, per workflow and in total (key ''), from the rollups: what a
 * budget could not count.
 */
async function unknownCostThisMonth(db: DbOrTx, ownerId: string, now: Date): Promise<Map<string, number>> {
  const start = periodStart(budgetPeriod(now)).toISOString();
  const rows = await db.execute<{ workflow_id: string | null; unknown: string | null }>(sql`
    select workflow_id, sum(unpriced_attempts + no_usage_attempts) as unknown from cost_rollups
    where owner_id = ${ownerId} and grain = 'quarter' and dimension in ('total', 'workflow')
      and bucket_start >= ${start}::timestamptz
    group by workflow_id
  `);
  return new Map(rows.map((r) => [r.workflow_id ?? '', Number(r.unknown ?? 0)]));
}

async function workflowNames(db: DbOrTx, ownerId: string): Promise<Map<string, string>> {
  const rows = await db.execute<{ id: string; name: string }>(
    sql`select w.id, w.name from workflows w join budgets b on b.workflow_id = w.id where b.owner_id = ${ownerId}`,
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}

async function getBudgetView(db: DbOrTx, ownerId: string, id: string, now: Date): Promise<BudgetView> {
  const items = await listBudgets(db, ownerId, { now });
  const found = items.find((b) => b.id === id);
  if (!found) throw new NotFoundError('budget');
  return found;
}

/** What the ledger says the scope spent this month (priced attempts; unknown costs are not in it). */
async function spentThisMonth(db: DbOrTx, ownerId: string, workflowId: string | null, now: Date) {
  const start = periodStart(budgetPeriod(now)).toISOString();
  const rows = await db.execute<{ cost: string | null }>(sql`
    select sum(cost_micros) as cost from cost_rollups
    where owner_id = ${ownerId} and grain = 'quarter'
      and ${workflowId === null ? sql`dimension = 'total' and workflow_id is null` : sql`dimension = 'workflow' and workflow_id = ${workflowId}`}
      and bucket_start >= ${start}::timestamptz
  `);
  return Number(rows[0]?.cost ?? 0);
}

/** Records an alert for every threshold the budgets' spend has reached this period (once each). */
async function recordBudgetAlerts(db: DbOrTx, budgetIds: readonly string[]): Promise<void> {
  if (budgetIds.length === 0) return;
  await db.execute(sql`
    insert into budget_alerts (budget_id, owner_id, period, threshold, spent_micros, limit_micros)
    select b.id, b.owner_id, b.period, t.threshold, b.spent_micros, b.monthly_limit_micros
    from budgets b cross join lateral unnest(b.alert_at) as t(threshold)
    where b.id in (${sql.join(
      budgetIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    )}) and b.spent_micros * 100 >= t.threshold::bigint * b.monthly_limit_micros
    on conflict (budget_id, period, threshold) do nothing
  `);
}

/** Invalidation topic of an owner's budgets (key: the owner id); see `listBudgetScopes`. */
export const BUDGETS_TOPIC = 'budgets';

/** What a budget covers, without its amounts: enough to tell whether a call must reserve or settle. */
export interface BudgetScope {
  id: string;
  /** Null: the owner's global budget. */
  workflowId: string | null;
  blockWhenExceeded: boolean;
}

/** Every budget of an owner, as scopes. Cacheable per owner: writers announce `BUDGETS_TOPIC`. */
export async function listBudgetScopes(db: DbOrTx, ownerId: string): Promise<BudgetScope[]> {
  return db
    .select({ id: budgets.id, workflowId: budgets.workflowId, blockWhenExceeded: budgets.blockWhenExceeded })
    .from(budgets)
    .where(eq(budgets.ownerId, ownerId))
    .orderBy(budgets.id);
}

/** The scopes that apply to a workflow's spend: its own budget and the owner's global one. */
export function budgetScopesApplying(scopes: readonly BudgetScope[], workflowId: string): BudgetScope[] {
  return scopes.filter((scope) => scope.workflowId === null || scope.workflowId === workflowId);
}

export async function createBudget(
  db: DbOrTx,
  ownerId: string,
  input: z.output<typeof createBudgetSchema>,
  options: { now?: Date } = {},
): Promise<BudgetView> {
  const now = options.now ?? new Date();
  const workflowId = input.scope === 'global' ? null : input.scope;
  return db.transaction(async (tx) => {
    if (workflowId !== null) {
      const owned = await tx.execute(
        sql`select 1 from workflows where id = ${workflowId} and owner_id = ${ownerId}`,
      );
      if (owned.length === 0) throw new NotFoundError('workflow');
    }
    const spent = await spentThisMonth(tx, ownerId, workflowId, now);
    const [row] = await tx
      .insert(budgets)
      .values({
        ownerId,
        workflowId,
        monthlyLimitMicros: input.monthlyLimitMicros,
        alertAt: input.alertAt,
        blockWhenExceeded: input.blockWhenExceeded,
        period: budgetPeriod(now),
        spentMicros: spent,
      })
      .onConflictDoNothing()
      .returning({ id: budgets.id });
    if (!row)
      throw new ConflictError(
        workflowId === null
          ? 'there is already a global budget; update it instead'
          : 'this workflow already has a budget; update it instead',
      );
    await recordBudgetAlerts(tx, [row.id]);
    await announceInvalidation(tx, BUDGETS_TOPIC, ownerId);
    return getBudgetView(tx, ownerId, row.id, now);
  });
}

export async function updateBudget(
  db: DbOrTx,
  ownerId: string,
  input: z.output<typeof updateBudgetSchema>,
  options: { now?: Date } = {},
): Promise<BudgetView> {
  const now = options.now ?? new Date();
  const { id, ...patch } = input;
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(budgets)
      .set({ ...patch, updatedAt: sql`now()` })
      .where(and(eq(budgets.id, id), eq(budgets.ownerId, ownerId)))
      .returning({ id: budgets.id });
    if (!row) throw new NotFoundError('budget');
    await recordBudgetAlerts(tx, [row.id]);
    await announceInvalidation(tx, BUDGETS_TOPIC, ownerId);
    return getBudgetView(tx, ownerId, row.id, now);
  });
}

export async function deleteBudget(db: DbOrTx, ownerId: string, id: string): Promise<void> {
  await db.transaction(async (tx) => {
    const rows = await tx
      .delete(budgets)
      .where(and(eq(budgets.id, id), eq(budgets.ownerId, ownerId)))
      .returning({ id: budgets.id });
    if (rows.length === 0) throw new NotFoundError('budget');
    // A budget deleted with its workflow or owner (cascade) is not announced: a cache that still
    // lists it only makes calls reserve against nothing until its entry expires.
    await announceInvalidation(tx, BUDGETS_TOPIC, ownerId);
  });
}

export interface BudgetAlertView {
  id: string;
  budgetId: string;
  scope: 'global' | 'workflow';
  workflowId: string | null;
  workflowName: string | null;
  period: string;
  threshold: number;
  spentMicros: number;
  limitMicros: number;
  createdAt: Date;
}

export async function listBudgetAlerts(
  db: DbOrTx,
  ownerId: string,
  options: { limit?: number | undefined } = {},
): Promise<BudgetAlertView[]> {
  const rows = await db
    .select({
      id: budgetAlerts.id,
      budgetId: budgetAlerts.budgetId,
      workflowId: budgets.workflowId,
      workflowName: sql<string | null>`(select name from workflows w where w.id = ${budgets.workflowId})`,
      period: budgetAlerts.period,
      threshold: budgetAlerts.threshold,
      spentMicros: budgetAlerts.spentMicros,
      limitMicros: budgetAlerts.limitMicros,
      createdAt: budgetAlerts.createdAt,
    })
    .from(budgetAlerts)
    .innerJoin(budgets, eq(budgets.id, budgetAlerts.budgetId))
    .where(eq(budgetAlerts.ownerId, ownerId))
    .orderBy(desc(budgetAlerts.createdAt), desc(budgetAlerts.threshold))
    .limit(options.limit ?? 50);
  return rows.map((r) => ({ ...r, scope: r.workflowId === null ? 'global' : 'workflow' }));
}

/** A provider call or run refused because a blocking budget is used up. */
export class BudgetExceededError extends DomainError {
  constructor(
    message: string,
    readonly budgetId: string,
  ) {
    super('CONFLICT', message);
    this.name = 'BudgetExceededError';
  }
}

async function exhaustedMessage(db: DbOrTx, budgetId: string): Promise<string> {
  const rows = await db.execute<{ limit: string; name: string | null; workflow_id: string | null }>(sql`
    select b.monthly_limit_micros as limit, b.workflow_id, w.name
    from budgets b left join workflows w on w.id = b.workflow_id where b.id = ${budgetId}
  `);
  const r = rows[0];
  const amount = formatMicrosAsDollars(Number(r?.limit ?? 0));
  return r?.workflow_id
    ? `monthly budget of ${amount} for workflow "${r.name ?? r.workflow_id}" is exhausted`
    : `global monthly budget of ${amount} is exhausted`;
}

/** Which budgets apply to a workflow's spend: its own and the owner's global one. */
const applies = (ownerId: string, workflowId: string) =>
  sql`owner_id = ${ownerId} and (workflow_id = ${workflowId} or workflow_id is null)`;

/**
 * Refuses (CONFLICT, naming the budget) when a blocking budget that applies to the workflow is at or
 * over its limit this month. Triggers call it (via `prepareRun`) before a run exists.
 */
export async function assertWithinBudget(
  db: DbOrTx,
  ownerId: string,
  workflowId: string,
  options: { now?: Date } = {},
): Promise<void> {
  const period = budgetPeriod(options.now ?? new Date());
  const rows = await db.execute<{ id: string }>(sql`
    select id from budgets
    where ${applies(ownerId, workflowId)} and block_when_exceeded and period = ${period}
      and spent_micros >= monthly_limit_micros
    order by workflow_id nulls last limit 1
  `);
  if (rows[0]) throw new BudgetExceededError(await exhaustedMessage(db, rows[0].id), rows[0].id);
}

/** What a reservation holds, to be passed back to `settleBudgets`. */
export interface BudgetReservation {
  ownerId: string;
  workflowId: string;
  period: string;
  estimateMicros: number;
  /** The blocking budgets the estimate was reserved on. */
  budgetIds: string[];
}

/**
 * Reserves `estimateMicros` on every blocking budget that applies, all or none, with one
 * conditional update; throws `BudgetExceededError` naming the budget that has no room.
 */
export async function reserveBudgets(
  db: DbOrTx,
  request: { ownerId: string; workflowId: string; estimateMicros: number; now?: Date },
): Promise<BudgetReservation> {
  const period = budgetPeriod(request.now ?? new Date());
  const estimate = Math.max(0, Math.ceil(request.estimateMicros));
  return db.transaction(async (tx) => {
    // Locks the applicable blocking budgets in id order (so concurrent reservations and
    // settlements cannot deadlock), then adds the estimate where it fits. Under READ COMMITTED a
    // row another reservation changed meanwhile is re-checked as that reservation left it.
    const reserved = await tx.execute<{ id: string }>(sql`
      with target as (
        select id from budgets where ${applies(request.ownerId, request.workflowId)} and block_when_exceeded
        order by id for update
      )
      update budgets b set
        spent_micros = case when b.period = ${period} then b.spent_micros else 0 end,
        reserved_micros = case when b.period = ${period} then b.reserved_micros else 0 end + ${estimate},
        period = ${period},
        updated_at = now()
      from target t
      where b.id = t.id
        and case when b.period = ${period} then b.spent_micros + b.reserved_micros else 0 end + ${estimate}
          <= b.monthly_limit_micros
        and case when b.period = ${period} then b.spent_micros else 0 end < b.monthly_limit_micros
      returning b.id
    `);
    const ids = reserved.map((r) => r.id);
    const refused = await tx.execute<{ id: string }>(sql`
      select id from budgets
      where ${applies(request.ownerId, request.workflowId)} and block_when_exceeded
        ${
          ids.length === 0
            ? sql``
            : sql`and id not in (${sql.join(
                ids.map((id) => sql`${id}::uuid`),
                sql`, `,
              )})`
        }
      order by workflow_id nulls last limit 1
    `);
    // Throwing rolls back the reservations already made on the other budget.
    if (refused[0]) throw new BudgetExceededError(await exhaustedMessage(tx, refused[0].id), refused[0].id);
    return {
      ownerId: request.ownerId,
      workflowId: request.workflowId,
      period,
      estimateMicros: estimate,
      budgetIds: ids,
    };
  });
}

/**
 * After the call: releases the reservation and adds the actual cost (priced attempts) to every
 * budget that applies, then records the alert thresholds crossed.
 */
export async function settleBudgets(
  db: DbOrTx,
  reservation: BudgetReservation,
  actualMicros: number,
  options: { now?: Date } = {},
): Promise<void> {
  const period = budgetPeriod(options.now ?? new Date());
  const actual = Math.max(0, Math.round(actualMicros));
  const release = reservation.period === period ? reservation.estimateMicros : 0;
  const reservedOn =
    reservation.budgetIds.length === 0
      ? sql`false`
      : sql`b.id in (${sql.join(
          reservation.budgetIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`;
  await db.transaction(async (tx) => {
    const settled = await tx.execute<{ id: string }>(sql`
      with target as (
        select id from budgets where ${applies(reservation.ownerId, reservation.workflowId)}
        order by id for update
      )
      update budgets b set
        spent_micros = case when b.period = ${period} then b.spent_micros else 0 end + ${actual},
        reserved_micros = case when b.period = ${period}
          then greatest(0, b.reserved_micros - case when ${reservedOn} then ${release}::bigint else 0 end)
          else 0 end,
        period = ${period},
        updated_at = now()
      from target t
      where b.id = t.id
      returning b.id
    `);
    await recordBudgetAlerts(
      tx,
      settled.map((r) => r.id),
    );
  });
}

/** The workflow a run belongs to (which budgets apply to its calls); null when the run is gone. */
export async function workflowOfExecution(db: DbOrTx, executionId: string): Promise<string | null> {
  const rows = await db.execute<{ workflow_id: string }>(
    sql`select workflow_id from executions where id = ${executionId}`,
  );
  return rows[0]?.workflow_id ?? null;
}
