import { describe, expect, it } from 'vitest';
import {
  mergeAnthropicUsage,
  normalizeAnthropicUsage,
  normalizeGeminiUsage,
  normalizeOpenAiUsage,
  totalTokens,
} from '../../src/usage.ts';

const zero = { inputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0 };

describe('usage normalisation', () => {
  it('OpenAI: cached tokens come out of the prompt, reasoning tokens out of the completion', () => {
    expect(
      normalizeOpenAiUsage({
        prompt_tokens: 2006,
        completion_tokens: 300,
        prompt_tokens_details: { cached_tokens: 1920 },
        completion_tokens_details: { reasoning_tokens: 192 },
      }),
    ).toEqual({
      inputTokens: 86,
      cacheReadTokens: 1920,
      cacheWriteTokens: 0,
      outputTokens: 108,
      reasoningTokens: 192,
    });
  });

  it('OpenAI: reported cache writes come out of the prompt too', () => {
    expect(
      normalizeOpenAiUsage({
        prompt_tokens: 5000,
        completion_tokens: 10,
        prompt_tokens_details: { cached_tokens: 1000, cache_write_tokens: 3500 },
      }),
    ).toEqual({
      inputTokens: 500,
      cacheReadTokens: 1000,
      cacheWriteTokens: 3500,
      outputTokens: 10,
      reasoningTokens: 0,
    });
  });

  it('Anthropic: input excludes cache reads and writes; thinking tokens come out of output', () => {
    expect(
      normalizeAnthropicUsage({
        input_tokens: 25,
        cache_read_input_tokens: 3400,
        cache_creation_input_tokens: 1200,
        output_tokens: 310,
        output_tokens_details: { thinking_tokens: 280 },
      }),
    ).toEqual({
      inputTokens: 25,
      cacheReadTokens: 3400,
      cacheWriteTokens: 1200,
      outputTokens: 30,
      reasoningTokens: 280,
    });
  });

  it('Anthropic: message_delta totals override message_start, null fields keep the earlier value', () => {
    const merged = mergeAnthropicUsage(
      {
        input_tokens: 25,
        cache_read_input_tokens: 3400,
        cache_creation_input_tokens: 1200,
        output_tokens: 1,
      },
      {
        input_tokens: null,
        cache_read_input_tokens: null,
        cache_creation_input_tokens: null,
        output_tokens: 310,
      },
    );
    expect(normalizeAnthropicUsage(merged)).toEqual({
      inputTokens: 25,
      cacheReadTokens: 3400,
      cacheWriteTokens: 1200,
      outputTokens: 310,
      reasoningTokens: 0,
    });
  });

  it('Gemini: cached content comes out of the prompt, thoughts are separate, tool-use prompts are input', () => {
    expect(
      normalizeGeminiUsage({
        promptTokenCount: 5200,
        cachedContentTokenCount: 4096,
        candidatesTokenCount: 42,
        thoughtsTokenCount: 258,
        toolUsePromptTokenCount: 100,
      }),
    ).toEqual({
      inputTokens: 1204,
      cacheReadTokens: 4096,
      cacheWriteTokens: 0,
      outputTokens: 42,
      reasoningTokens: 258,
    });
  });

  it.each([
    ['OpenAI', normalizeOpenAiUsage],
    ['Anthropic', normalizeAnthropicUsage],
    ['Gemini', normalizeGeminiUsage],
  ] as const)('%s: missing or null reports are all zeros', (_name, normalize) => {
    expect(normalize(undefined)).toEqual(zero);
    expect(normalize(null)).toEqual(zero);
    expect(normalize({})).toEqual(zero);
  });

  it('never produces a negative or fractional bucket from inconsistent or odd numbers', () => {
    const openai = normalizeOpenAiUsage({
      prompt_tokens: 10,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 50, cache_write_tokens: 7 },
      completion_tokens_details: { reasoning_tokens: 9 },
    });
    expect(openai).toEqual({
      inputTokens: 0,
      cacheReadTokens: 10,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 5,
    });
    expect(totalTokens(openai)).toBe(15);

    expect(
      normalizeAnthropicUsage({
        input_tokens: -3,
        output_tokens: 4.7,
        cache_read_input_tokens: Number.NaN,
        output_tokens_details: { thinking_tokens: 99 },
      }),
    ).toEqual({
      inputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 4,
    });

    expect(
      normalizeGeminiUsage({
        promptTokenCount: 100,
        cachedContentTokenCount: 400,
        candidatesTokenCount: null,
      }),
    ).toEqual({
      inputTokens: 0,
      cacheReadTokens: 100,
      cacheWriteTokens: 0,
      outputTokens: 0,
      reasoningTokens: 0,
    });
  });
});
