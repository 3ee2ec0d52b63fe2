/**
 * Each provider's token report turned into the disjoint buckets of `Usage`, so a cost is a plain
 * sum of bucket × price. The providers overlap their fields in different ways:
 *
 * - OpenAI: `prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens` (and, where reported,
 *   `cache_write_tokens`); `completion_tokens` INCLUDES `completion_tokens_details.reasoning_tokens`.
 * - Anthropic: `input_tokens` EXCLUDES `cache_read_input_tokens` and `cache_creation_input_tokens`;
 *   `output_tokens` INCLUDES `output_tokens_details.thinking_tokens`.
 * - Gemini: `promptTokenCount` INCLUDES `cachedContentTokenCount`; `thoughtsTokenCount` and
 *   `toolUsePromptTokenCount` are reported apart from `candidatesTokenCount` / `promptTokenCount`.
 *
 * Pure functions over structural shapes (not the SDK types), so they also read what gateways and
 * older API versions send: any field may be missing or null, and a sub-count larger than its
 * total is clamped rather than producing a negative bucket.
 */
import type { Usage } from './types.ts';

type Count = number | null | undefined;

export interface OpenAiUsageReport {
  prompt_tokens?: Count;
  completion_tokens?: Count;
  prompt_tokens_details?: { cached_tokens?: Count; cache_write_tokens?: Count } | null;
  completion_tokens_details?: { reasoning_tokens?: Count } | null;
}

export interface AnthropicUsageReport {
  input_tokens?: Count;
  output_tokens?: Count;
  cache_read_input_tokens?: Count;
  cache_creation_input_tokens?: Count;
  output_tokens_details?: { thinking_tokens?: Count } | null;
}

export interface GeminiUsageReport {
  promptTokenCount?: Count;
  cachedContentTokenCount?: Count;
  candidatesTokenCount?: Count;
  thoughtsTokenCount?: Count;
  toolUsePromptTokenCount?: Count;
}

/** A token count as a non-negative integer; anything else (null, NaN, negative, a string) is 0. */
function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

export function normalizeOpenAiUsage(report: OpenAiUsageReport | null | undefined): Usage {
  const prompt = count(report?.prompt_tokens);
  const completion = count(report?.completion_tokens);
  const cacheReadTokens = Math.min(count(report?.prompt_tokens_details?.cached_tokens), prompt);
  const cacheWriteTokens = Math.min(
    count(report?.prompt_tokens_details?.cache_write_tokens),
    prompt - cacheReadTokens,
  );
  const reasoningTokens = Math.min(count(report?.completion_tokens_details?.reasoning_tokens), completion);
  return {
    inputTokens: prompt - cacheReadTokens - cacheWriteTokens,
    cacheReadTokens,
    cacheWriteTokens,
    outputTokens: completion - reasoningTokens,
    reasoningTokens,
  };
}

export function normalizeAnthropicUsage(report: AnthropicUsageReport | null | undefined): Usage {
  const output = count(report?.output_tokens);
  const reasoningTokens = Math.min(count(report?.output_tokens_details?.thinking_tokens), output);
  return {
    inputTokens: count(report?.input_tokens),
    cacheReadTokens: count(report?.cache_read_input_tokens),
    cacheWriteTokens: count(report?.cache_creation_input_tokens),
    outputTokens: output - reasoningTokens,
    reasoningTokens,
  };
}

export function normalizeGeminiUsage(report: GeminiUsageReport | null | undefined): Usage {
  const prompt = count(report?.promptTokenCount);
  const cacheReadTokens = Math.min(count(report?.cachedContentTokenCount), prompt);
  return {
    // Tool results fed back to the model are input billed at the input price.
    inputTokens: prompt - cacheReadTokens + count(report?.toolUsePromptTokenCount),
    cacheReadTokens,
    // Gemini bills explicit cache creation through its caches API, never on a generate call.
    cacheWriteTokens: 0,
    outputTokens: count(report?.candidatesTokenCount),
    reasoningTokens: count(report?.thoughtsTokenCount),
  };
}

/**
 * Anthropic streams usage twice: `message_start` carries the input side, `message_delta` the
 * cumulative totals (its fields may be null when unchanged). Later non-null fields win.
 */
export function mergeAnthropicUsage(
  start: AnthropicUsageReport | null | undefined,
  delta: AnthropicUsageReport | null | undefined,
): AnthropicUsageReport {
  const merged: AnthropicUsageReport = { ...(start ?? {}) };
  for (const [key, value] of Object.entries(delta ?? {})) {
    if (value !== null && value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  return merged;
}

/** Tokens in all buckets together, e.g. to tell "no usage reported" from a real count. */
export function totalTokens(usage: Usage): number {
  return (
    usage.inputTokens +
    usage.cacheReadTokens +
    usage.cacheWriteTokens +
    usage.outputTokens +
    usage.reasoningTokens
  );
}
