/**
 * What a model can take, for routing's capability filter: its context window and whether it can
 * be asked for JSON output. Unknown models are assumed capable — the provider has the last word.
 */
import type { ChatMessage, ChatRequest, ModelRef } from './types.ts';

export interface ModelCapabilities {
  contextWindow: number;
  jsonOutput: boolean;
}

/** Keyed by `provider/model-prefix`; the longest matching prefix wins (snapshots share a family). */
const KNOWN: Record<string, ModelCapabilities> = {
  'openai/gpt-3.5-turbo': { contextWindow: 16_385, jsonOutput: true },
  'openai/gpt-4': { contextWindow: 8_192, jsonOutput: false },
  'openai/gpt-4-turbo': { contextWindow: 128_000, jsonOutput: true },
  'openai/gpt-4o': { contextWindow: 128_000, jsonOutput: true },
  'openai/gpt-4.1': { contextWindow: 1_047_576, jsonOutput: true },
  'openai/o1': { contextWindow: 200_000, jsonOutput: true },
  'openai/o3': { contextWindow: 200_000, jsonOutput: true },
  'anthropic/claude-3': { contextWindow: 200_000, jsonOutput: true },
  'anthropic/claude-sonnet-4': { contextWindow: 200_000, jsonOutput: true },
  'anthropic/claude-opus-4': { contextWindow: 200_000, jsonOutput: true },
  'anthropic/claude-haiku-4': { contextWindow: 200_000, jsonOutput: true },
  'gemini/gemini-1.5-pro': { contextWindow: 2_097_152, jsonOutput: true },
  'gemini/gemini-1.5-flash': { contextWindow: 1_048_576, jsonOutput: true },
  'gemini/gemini-2': { contextWindow: 1_048_576, jsonOutput: true },
};

export function capabilitiesOf(ref: ModelRef): ModelCapabilities | null {
  const key = `${ref.provider}/${ref.model}`;
  let best: string | undefined;
  for (const prefix of Object.keys(KNOWN)) {
    if (key.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best ? KNOWN[best]! : null;
}

/** A rough token estimate (≈ 4 characters a token) — enough to rule out windows far too small. */
export function estimatePromptTokens(request: Pick<ChatRequest, 'messages' | 'system'>): number {
  const chars = (request.system?.length ?? 0) + request.messages.reduce((n, m) => n + messageChars(m), 0);
  return Math.ceil(chars / 4);
}

/** Whether a model can plausibly serve the request (JSON output, context window). */
export function canServe(
  ref: ModelRef,
  request: Pick<ChatRequest, 'messages' | 'system' | 'maxTokens' | 'jsonSchema'>,
) {
  const caps = capabilitiesOf(ref);
  if (!caps) return true;
  if (request.jsonSchema && !caps.jsonOutput) return false;
  return estimatePromptTokens(request) + (request.maxTokens ?? 0) <= caps.contextWindow;
}

/** A message's size in characters: its text, plus the arguments of the tool calls it carries. */
export function messageChars(message: ChatMessage): number {
  const calls = message.role === 'assistant' ? (message.toolCalls ?? []) : [];
  return calls.reduce((n, call) => n + call.name.length + call.arguments.length, message.content.length);
}
