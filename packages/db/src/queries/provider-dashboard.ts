/**
 * What users read about providers: the health page (breaker state, error rate and latency
 * percentiles per provider/model) and the feed of fallbacks and breaker changes, filtered so a
 * user sees breaker changes (global, they carry no execution) and fallbacks of their own runs only.
 */
import { type ErrorClass, NotFoundError, type ProviderId } from '@swarm/engine';
import { and, desc, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { executionCosts, executions, providerBreakers, providerEvents } from '../schema/index.ts';
import type { BreakerStateValue } from '../schema/providers.ts';
import { listProviderEvents, type ProviderEventRow } from './provider-health.ts';

export interface ProviderHealthRow {
  provider: ProviderId;
  /** The model as callers request it (and as its breaker is kept). */
  model: string;
  /**
   * The models that actually answered requests for `model` in the window, when named otherwise:
   * dated snapshots (OpenAI answers `gpt-4.1-2025-04-14` for `gpt-4.1`). Counted in this row.
   */
  servedModels: string[];
  state: BreakerStateValue;
  /** When the circuit last opened (kept after it closes). */
  openedAt: Date | null;
  /** Attempts in the window whose outcome says something about the provider (see `errorRate`). */
  attempts: number;
  failures: number;
  /**
   * Attempts a caller gave up on under its own policy (slower than a node's latency threshold, a
   * timeout shorter than the default): not in `attempts` or `failures`, as the breakers ignore them.
   */
  abandoned: number;
  /** failures / attempts, 0–1; null without attempts. */
  errorRate: number | null;
  /** Latency percentiles of successful attempts in the window, in ms; null without any. */
  p50LatencyMs: number | null;
  p95LatencyMs: number | null;
  lastAttemptAt: Date | null;
}

/**
 * Per provider/model seen in the window — attempted (from the `execution_costs` ledger), or whose
 * breaker is not closed or changed in the window — with its shared breaker state. One row per
 * *requested* model, the way breakers count: a success is recorded under the snapshot that served
 * it and a failure under the requested name, so grouping by served model would split one model in
 * two (errors without latency, and a breaker row that does not exist). Snapshots that served it are
 * listed in `servedModels`.
 *
 * Failures of `notCountedErrorClasses` (the caller's fault, cancellations, calls refused by an open
 * circuit) and attempts a caller abandoned under its own policy are left out of attempts and
 * failures alike, the way the breakers count: the page shows the provider's health, not the
 * quality of our prompts or one workflow's impatience (abandoned attempts are counted apart).
 */
export async function providerHealthReport(
  db: DbOrTx,
  options: { windowMs: number; notCountedErrorClasses: readonly ErrorClass[] },
): Promise<ProviderHealthRow[]> {
  const since = sql`now() - (${options.windowMs}::double precision * interval '1 millisecond')`;
  const notCounted = [...options.notCountedErrorClasses];
  const counted =
    notCounted.length > 0
      ? sql`(not ${executionCosts.abandoned} and (${executionCosts.errorClass} is null or not ${inArray(executionCosts.errorClass, notCounted)}))`
      : sql`not ${executionCosts.abandoned}`;
  const succeeded = sql`${executionCosts.errorClass} is null`;
  /** Timestamps as epoch milliseconds: raw rows bypass drizzle's column mapping. */
  const epochMs = (column: SQL) => sql`(extract(epoch from ${column}) * 1000)::double precision`;

  const rows = await db.execute<{
    provider: ProviderId;
    model: string;
    served_models: string[] | null;
    state: BreakerStateValue;
    opened_at_ms: number | null;
    attempts: number;
    failures: number;
    abandoned: number;
    p50: number | null;
    p95: number | null;
    last_attempt_at_ms: number | null;
  }>(sql`
    with costs as (
      select
        ${executionCosts.requestedProvider} as provider,
        ${executionCosts.requestedModel} as model,
        array_agg(distinct ${executionCosts.servedModel} order by ${executionCosts.servedModel})
          filter (where ${executionCosts.servedModel} <> ${executionCosts.requestedModel}) as served_models,
        (count(*) filter (where ${counted}))::int as attempts,
        (count(*) filter (where ${counted} and ${executionCosts.errorClass} is not null))::int as failures,
        (count(*) filter (where ${executionCosts.abandoned}))::int as abandoned,
        percentile_cont(0.5) within group (order by ${executionCosts.latencyMs}) filter (where ${succeeded}) as p50,
        percentile_cont(0.95) within group (order by ${executionCosts.latencyMs}) filter (where ${succeeded}) as p95,
        max(${executionCosts.startedAt}) as last_attempt_at
      from ${executionCosts}
      where ${executionCosts.startedAt} >= ${since}
      group by ${executionCosts.requestedProvider}, ${executionCosts.requestedModel}
    )
    select
      coalesce(c.provider, b.provider) as provider,
      coalesce(c.model, b.model) as model,
      c.served_models,
      coalesce(b.state, 'closed') as state,
      ${epochMs(sql`b.opened_at`)} as opened_at_ms,
      coalesce(c.attempts, 0) as attempts,
      coalesce(c.failures, 0) as failures,
      coalesce(c.abandoned, 0) as abandoned,
      c.p50,
      c.p95,
      ${epochMs(sql`c.last_attempt_at`)} as last_attempt_at_ms
    from costs c
    full join ${providerBreakers} b on b.provider = c.provider and b.model = c.model
    where c.provider is not null or b.state <> 'closed' or b.updated_at >= ${since}
    order by 1, 2`);

  const toDate = (ms: number | null) => (ms === null ? null : new Date(Number(ms)));
  return rows.map((row) => {
    const attempts = Number(row.attempts);
    const failures = Number(row.failures);
    return {
      provider: row.provider,
      model: row.model,
      servedModels: row.served_models ?? [],
      state: row.state,
      openedAt: toDate(row.opened_at_ms),
      attempts,
      failures,
      abandoned: Number(row.abandoned),
      errorRate: attempts > 0 ? failures / attempts : null,
      p50LatencyMs: row.p50 === null ? null : Math.round(Number(row.p50)),
      p95LatencyMs: row.p95 === null ? null : Math.round(Number(row.p95)),
      lastAttemptAt: toDate(row.last_attempt_at_ms),
    };
  });
}

/** NOT_FOUND unless the execution exists and belongs to `ownerId`. */
async function assertOwnsExecution(db: DbOrTx, ownerId: string, executionId: string): Promise<void> {
  const [row] = await db
    .select({ id: executions.id })
    .from(executions)
    .where(and(eq(executions.id, executionId), eq(executions.ownerId, ownerId)));
  if (!row) throw new NotFoundError('execution');
}

/**
 * Provider events as one user may see them, newest first. With `executionId` (which must be the
 * user's): that run's fallbacks. Without: every breaker change (operational data shared by all,
 * never tied to a run) and the fallbacks of the user's own runs — never a fallback of someone
 * else's run, nor one recorded without a run.
 */
export async function listProviderEventsForOwner(
  db: DbOrTx,
  ownerId: string,
  options: { limit?: number | undefined; executionId?: string | undefined } = {},
): Promise<ProviderEventRow[]> {
  const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
  if (options.executionId !== undefined) {
    await assertOwnsExecution(db, ownerId, options.executionId);
    return listProviderEvents(db, { executionId: options.executionId, limit });
  }
  const ownRun: SQL = sql`exists (select 1 from ${executions} where ${executions.id} = ${providerEvents.executionId} and ${executions.ownerId} = ${ownerId})`;
  return db
    .select({
      id: providerEvents.id,
      occurredAt: providerEvents.occurredAt,
      kind: providerEvents.kind,
      provider: providerEvents.provider,
      model: providerEvents.model,
      errorClass: providerEvents.errorClass,
      executionId: providerEvents.executionId,
      detail: providerEvents.detail,
    })
    .from(providerEvents)
    .where(
      or(
        and(
          eq(providerEvents.kind, 'breaker'),
          isNull(providerEvents.executionId),
          // OpenAI-compatible circuits are per owner (`<owner>/<credential>/<model>`): only one's own.
          sql`(${providerEvents.provider} <> 'openai-compatible' or starts_with(${providerEvents.model}, ${`${ownerId}/`}))`,
        ),
        ownRun,
      ),
    )
    .orderBy(desc(providerEvents.seq))
    .limit(limit);
}
