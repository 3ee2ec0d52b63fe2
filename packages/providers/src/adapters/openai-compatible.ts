/**
 * `openai-compatible`: Ollama, vLLM, LM Studio, Groq, Together, OpenRouter, Azure OpenAI's v1
 * endpoint — anything that speaks OpenAI's chat completions. It is the OpenAI adapter (the
 * `openai` SDK, streaming, plain requests, JSON bodies answering streamed requests) under its own
 * id, with the base URL, key, extra headers and streaming choice of one stored credential. The
 * caller (the runner) gives it a guarded `fetch`: the base URL is the user's, so every connection
 * goes through the address guard.
 */
import type { AdapterConfig, ProviderAdapter } from '../types.ts';
import { createOpenAiAdapter } from './openai.ts';

export function createOpenAiCompatibleAdapter(config: AdapterConfig = {}): ProviderAdapter {
  return createOpenAiAdapter(config, {
    provider: 'openai-compatible',
    settings: {
      keySetting: 'credential',
      baseUrlSetting: 'credential.baseUrl',
      // No default: a credential always names its server (the key check comes first, though).
      defaultBaseUrl: '',
    },
  });
}
