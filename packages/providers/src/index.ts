export { createAnthropicAdapter } from './adapters/anthropic.ts';
export { createGeminiAdapter } from './adapters/gemini.ts';
export {
  createMockAdapter,
  MOCK_CALL_LOG_LIMIT,
  type MockAdapterOptions,
  type MockCall,
  mockCallLog,
  parseMockModel,
} from './adapters/mock.ts';
export { createOpenAiAdapter } from './adapters/openai.ts';
export * from './breakers.ts';
export * from './capabilities.ts';
export * from './cost.ts';
export * from './credentials.ts';
export * from './events.ts';
export * from './latency.ts';
export * from './model-map.ts';
export * from './policy.ts';
export * from './ports.ts';
export * from './pricing.ts';
export { createAdapters } from './registry.ts';
export * from './router.ts';
export * from './types.ts';
export * from './usage.ts';
