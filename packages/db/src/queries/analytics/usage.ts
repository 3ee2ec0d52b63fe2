/** Token usage of a range by bucket (input, cache read, cache write, output, reasoning). */
import type { DbOrTx } from '../../client.ts';
import { type ModelBreakdown, modelBreakdown } from './breakdowns.ts';
import type { TokenUsage } from './figures.ts';
import {
  type AnalyticsFilter,
  type AnalyticsOptions,
  type ResolvedRange,
  resolveAnalyticsFilter,
} from './filter.ts';

export interface AnalyticsUsage {
  range: ResolvedRange & { workflowId: string | null };
  tokens: TokenUsage;
  byModel: ModelBreakdown[];
}

/** Token usage by bucket (input, cache read, cache write, output, reasoning), overall and per model. */
export async function analyticsUsage(
  db: DbOrTx,
  ownerId: string,
  filter: AnalyticsFilter,
  options: AnalyticsOptions = {},
): Promise<AnalyticsUsage> {
  const range = await resolveAnalyticsFilter(db, ownerId, filter, options);
  const { byModel } = await modelBreakdown(db, ownerId, range);
  const tokens = byModel.reduce<TokenUsage>(
    (sum, m) => ({
      inputTokens: sum.inputTokens + m.tokens.inputTokens,
      cacheReadTokens: sum.cacheReadTokens + m.tokens.cacheReadTokens,
      cacheWriteTokens: sum.cacheWriteTokens + m.tokens.cacheWriteTokens,
      outputTokens: sum.outputTokens + m.tokens.outputTokens,
      reasoningTokens: sum.reasoningTokens + m.tokens.reasoningTokens,
    }),
    { inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 },
  );
  return { range, tokens, byModel };
}
