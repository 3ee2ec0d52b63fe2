/**
 * `@swarm/providers`: the model router and what it needs that is free of storage — provider
 * adapters, request/result types, cost, fallback policy and the ports the router calls through.
 * The Postgres-backed port implementations and the credential store are `@swarm/providers/store`.
 */
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
export { createOpenAiCompatibleAdapter } from './adapters/openai-compatible.ts';
export * from './capabilities.ts';
export * from './cost.ts';
export * from './policy.ts';
export * from './ports.ts';
export { createAdapters } from './registry.ts';
export * from './router.ts';
export * from './types.ts';
export * from './usage.ts';
