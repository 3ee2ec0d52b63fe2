/**
 * The figures analytics answers are made of (cost, attempts priced or not, tokens) and the SQL
 * pieces every question reads `cost_rollups` with. Attempts of unknown cost (unpriced, or answered
 * without usage) are counted separately and never added as $0: a figure made only of them has
 * `costMicros: null`, and `unknownCostAttempts` says how many a known sum leaves out.
 */
import { type SQL, sql } from 'drizzle-orm';

export interface TokenUsage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

/** What every figure carries. */
export interface CostFigure {
  /**
   * Sum of priced attempts; null when there were attempts of unknown cost and none priced. With
   * both, it is the known part: `unknownCostAttempts` says how many it leaves out.
   */
  costMicros: number | null;
  attempts: number;
  pricedAttempts: number;
  /** Attempts with no known price: their cost is unknown, not zero. */
  unpricedAttempts: number;
  /**
   * Answers that reported no usage: billed, at an unknown cost. (Failed calls without usage are
   * `failedNoUsageAttempts`; before migration 0016 they were counted here too.)
   */
  noUsageAttempts: number;
  /** Failed calls that reported no usage: nothing known to be billed. */
  failedNoUsageAttempts: number;
  /** `unpricedAttempts + noUsageAttempts`: attempts whose cost is unknown, left out of `costMicros`. */
  unknownCostAttempts: number;
}

export interface DetailedFigure extends CostFigure {
  tokens: TokenUsage;
}

export type RawMeasures = {
  attempts: string | number | null;
  priced: string | number | null;
  unpriced: string | number | null;
  no_usage: string | number | null;
  failed_no_usage?: string | number | null;
  cost: string | number | null;
  input_tokens?: string | number | null;
  cache_read_tokens?: string | number | null;
  cache_write_tokens?: string | number | null;
  output_tokens?: string | number | null;
  reasoning_tokens?: string | number | null;
};

export const num = (v: string | number | null | undefined) => (v === null || v === undefined ? 0 : Number(v));

export function costFigure(row: RawMeasures): CostFigure {
  const attempts = num(row.attempts);
  const priced = num(row.priced);
  const unpriced = num(row.unpriced);
  const noUsage = num(row.no_usage);
  return {
    costMicros: priced === 0 && unpriced + noUsage > 0 ? null : num(row.cost),
    attempts,
    pricedAttempts: priced,
    unpricedAttempts: unpriced,
    noUsageAttempts: noUsage,
    failedNoUsageAttempts: num(row.failed_no_usage),
    unknownCostAttempts: unpriced + noUsage,
  };
}

export function tokensOf(row: RawMeasures): TokenUsage {
  return {
    inputTokens: num(row.input_tokens),
    cacheReadTokens: num(row.cache_read_tokens),
    cacheWriteTokens: num(row.cache_write_tokens),
    outputTokens: num(row.output_tokens),
    reasoningTokens: num(row.reasoning_tokens),
  };
}

export const detailed = (row: RawMeasures): DetailedFigure => ({ ...costFigure(row), tokens: tokensOf(row) });

export const MEASURES = sql.raw(`
  sum(attempts) as attempts, sum(priced_attempts) as priced, sum(unpriced_attempts) as unpriced,
  sum(no_usage_attempts) as no_usage, sum(failed_no_usage_attempts) as failed_no_usage,
  sum(cost_micros) as cost, sum(input_tokens) as input_tokens,
  sum(cache_read_tokens) as cache_read_tokens, sum(cache_write_tokens) as cache_write_tokens,
  sum(output_tokens) as output_tokens, sum(reasoning_tokens) as reasoning_tokens`);

/** Which 15-minute rows answer: the owner's totals, or one workflow's. */
export function quarterRows(ownerId: string, workflowId: string | null): SQL {
  return workflowId === null
    ? sql`owner_id = ${ownerId} and grain = 'quarter' and dimension = 'total' and workflow_id is null`
    : sql`workflow_id = ${workflowId} and grain = 'quarter' and dimension = 'workflow' and owner_id = ${ownerId}`;
}

export function tsParam(d: Date): SQL {
  return sql`${d.toISOString()}::timestamptz`;
}

export function addFigures(a: DetailedFigure, b: DetailedFigure): DetailedFigure {
  const priced = a.pricedAttempts + b.pricedAttempts;
  const unpriced = a.unpricedAttempts + b.unpricedAttempts;
  const noUsage = a.noUsageAttempts + b.noUsageAttempts;
  const cost = (a.costMicros ?? 0) + (b.costMicros ?? 0);
  return {
    costMicros: priced === 0 && unpriced + noUsage > 0 ? null : cost,
    attempts: a.attempts + b.attempts,
    pricedAttempts: priced,
    unpricedAttempts: unpriced,
    noUsageAttempts: noUsage,
    failedNoUsageAttempts: a.failedNoUsageAttempts + b.failedNoUsageAttempts,
    unknownCostAttempts: unpriced + noUsage,
    tokens: {
      inputTokens: a.tokens.inputTokens + b.tokens.inputTokens,
      cacheReadTokens: a.tokens.cacheReadTokens + b.tokens.cacheReadTokens,
      cacheWriteTokens: a.tokens.cacheWriteTokens + b.tokens.cacheWriteTokens,
      outputTokens: a.tokens.outputTokens + b.tokens.outputTokens,
      reasoningTokens: a.tokens.reasoningTokens + b.tokens.reasoningTokens,
    },
  };
}

export const byCostDesc = (a: CostFigure, b: CostFigure) =>
  (b.costMicros ?? -1) - (a.costMicros ?? -1) || b.attempts - a.attempts;

/**
 * Cost per successful run over the fully priced ones only: a run with an attempt of unknown cost
 * (unpriced, or answered without usage) is counted apart instead of lowering the average as if it
 * were $0 (`succeededUnpriced`, also as `succeededUnknownCost`: the runs it leaves out).
 */
export function costPerSuccessfulRun(r: Record<string, string | number | null | undefined>): {
  costPerSuccessfulRunMicros: number | null;
  succeededUnpriced: number;
  succeededUnknownCost: number;
} {
  const succeededUnpriced = num(r.runs_succeeded_unpriced);
  const pricedRuns = num(r.runs_succeeded) - succeededUnpriced;
  const pricedCost = num(r.succeeded_cost) - num(r.succeeded_unpriced_cost);
  return {
    costPerSuccessfulRunMicros: pricedRuns <= 0 ? null : Math.round(pricedCost / pricedRuns),
    succeededUnpriced,
    succeededUnknownCost: succeededUnpriced,
  };
}
