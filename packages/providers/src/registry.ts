/**
 * One adapter per provider from the app's parsed configuration. SDK clients are created on first
 * use, so a deployment without, say, an Anthropic key runs fine until an agent actually calls
 * Anthropic — and then fails with a `ProviderConfigError` naming ANTHROPIC_API_KEY, before any
 * network call. The mock provider needs no configuration; `openai-compatible` is configured per
 * stored credential by the caller.
 */

import type { ProviderId } from '@swarm/engine';
import { createAnthropicAdapter } from './adapters/anthropic.ts';
import { createGeminiAdapter } from './adapters/gemini.ts';
import { createMockAdapter, type MockAdapterOptions } from './adapters/mock.ts';
import { createOpenAiAdapter } from './adapters/openai.ts';
import { createOpenAiCompatibleAdapter } from './adapters/openai-compatible.ts';
import type { AdapterConfig, ProviderAdapter } from './types.ts';

export function createAdapters(
  config: Partial<Record<ProviderId, AdapterConfig>> = {},
  options: { mock?: MockAdapterOptions } = {},
): Record<ProviderId, ProviderAdapter> {
  return {
    openai: createOpenAiAdapter(config.openai),
    anthropic: createAnthropicAdapter(config.anthropic),
    gemini: createGeminiAdapter(config.gemini),
    mock: createMockAdapter(options.mock),
    // Only owners' stored credentials configure it (the runner builds one per credential): this
    // one fails naming the missing setting, like any provider without a key.
    'openai-compatible': createOpenAiCompatibleAdapter(config['openai-compatible']),
  };
}
