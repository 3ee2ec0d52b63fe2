/**
 * The one interface every provider speaks: a chat call in, text plus normalised usage out, and
 * errors sorted into a small set of classes that fallback and circuit breakers act on. Adapters
 * (OpenAI, Anthropic, Gemini, mock) translate their SDK's shapes into these and nothing else.
 */

import type { AttemptReason, ErrorClass, ProviderId } from '@swarm/engine';

/**
 * One message of the conversation. An assistant message may carry the tool calls it made; a `tool`
 * message answers one of them (adapters translate both into their provider's native format).
 */
export type ChatMessage =
  | { role: 'user'; content: string }
  | { role: 'assistant'; content: string; toolCalls?: ToolCall[] | undefined }
  | ToolResultMessage;

/** The answer to one tool call, sent back to the model. */
export interface ToolResultMessage {
  role: 'tool';
  toolCallId: string;
  /** The tool's name (Gemini matches results to calls by name). */
  name: string;
  /** The result as text (JSON for structured results). */
  content: string;
  /** The tool failed or its arguments were refused; the content says why. */
  isError?: boolean | undefined;
}

/** A tool the model may call: its name, what it does, and its arguments' JSON Schema. */
export interface ToolSpec {
  name: string;
  description?: string | undefined;
  parameters: Record<string, unknown>;
}

/** A tool call the model made. */
export interface ToolCall {
  /** The provider's id for the call (made up when the provider gives none, like Gemini). */
  id: string;
  name: string;
  /** The arguments as JSON text, exactly as the model sent them (they may not parse). */
  arguments: string;
  /** Gemini's opaque `thoughtSignature` on the call part, which must be sent back with it. */
  signature?: string | undefined;
}

export interface ChatRequest {
  provider: ProviderId;
  model: string;
  /** `openai-compatible` only: which of the owner's stored credentials answers. */
  credential?: string | undefined;
  messages: ChatMessage[];
  system?: string | undefined;
  /** 0–2; providers clamp to their own range. */
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  /** Ask for JSON output matching this JSON Schema. */
  jsonSchema?: { name: string; schema: Record<string, unknown> } | undefined;
  /** Tools the model may call; its answer may then be tool calls instead of (or besides) text. */
  tools?: ToolSpec[] | undefined;
  signal?: AbortSignal | undefined;
  /** Per-attempt timeout; exceeding it is a `timeout` error. */
  timeoutMs?: number | undefined;
}

/**
 * Tokens in disjoint buckets, so cost is a plain sum of bucket × price. Providers report them
 * differently (OpenAI's prompt tokens include cached ones, Anthropic's input excludes cache reads
 * and writes, Gemini reports thinking tokens apart from candidates); adapters normalise.
 */
export interface Usage {
  /** Input tokens billed at the full input price (not read from or written to a cache). */
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Output tokens the caller sees. */
  outputTokens: number;
  /** Hidden reasoning/thinking tokens, billed as output unless priced separately. */
  reasoningTokens: number;
}

export const emptyUsage = (): Usage => ({
  inputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

export interface ChatResult {
  text: string;
  finishReason: FinishReason;
  /** The tools the model asked to call (finish reason `tool_calls`); absent or empty otherwise. */
  toolCalls?: ToolCall[] | undefined;
  /**
   * Null when the provider (or a gateway in front of it) reported no usage: the attempt is then
   * recorded as `no_usage`, never priced as if it were free.
   */
  usage: Usage | null;
  provider: ProviderId;
  /** The model that actually answered, as the provider names it (may be a dated snapshot). */
  model: string;
  latencyMs: number;
  /** Null when the call was not streamed. */
  timeToFirstTokenMs: number | null;
}

export class ProviderError extends Error {
  readonly provider: ProviderId;
  readonly model: string;
  readonly errorClass: ErrorClass;
  /** HTTP status when the provider answered. */
  readonly status: number | undefined;
  /** From `Retry-After` (or the provider's own hint), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  /** Tokens a failed call still consumed (some providers bill partial work). */
  readonly usage: Usage | undefined;

  constructor(init: {
    provider: ProviderId;
    model: string;
    errorClass: ErrorClass;
    message: string;
    status?: number | undefined;
    retryAfterMs?: number | undefined;
    usage?: Usage | undefined;
    cause?: unknown;
  }) {
    super(init.message, { cause: init.cause });
    this.name = 'ProviderError';
    this.provider = init.provider;
    this.model = init.model;
    this.errorClass = init.errorClass;
    this.status = init.status;
    this.retryAfterMs = init.retryAfterMs;
    this.usage = init.usage;
  }
}

/** A provider can't be used as configured (missing key, bad base URL); names the setting to fix. */
export class ProviderConfigError extends Error {
  constructor(
    readonly provider: ProviderId,
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderConfigError';
  }
}

export interface ProviderAdapter {
  readonly id: ProviderId;
  /** One attempt, no retries. Throws `ProviderError` for every failure. */
  chat(request: ChatRequest): Promise<ChatResult>;
}

export interface AdapterConfig {
  apiKey?: string | undefined;
  /** Gateways and proxies: `OPENAI_BASE_URL`, `ANTHROPIC_BASE_URL`, `GEMINI_BASE_URL`. */
  baseUrl?: string | undefined;
  /**
   * Ask for a streamed answer (default true: time to first token is measured). False sends plain
   * requests, for gateways and servers that can't stream (`OPENAI_STREAM=false` and its siblings).
   * Either way a JSON body answering a streamed request is read as the answer.
   */
  stream?: boolean | undefined;
  /** Sent with every request (an OpenAI-compatible credential's extra headers). */
  headers?: Record<string, string> | undefined;
  /** For tests and instrumentation; defaults to the global fetch. */
  fetch?: typeof fetch | undefined;
}

export interface ModelRef {
  provider: ProviderId;
  model: string;
  /** `openai-compatible` only: the name of the owner's stored credential (base URL and key). */
  credential?: string | undefined;
}

export type CostStatus = 'priced' | 'unpriced' | 'no_usage';

/**
 * One record per attempt — successful, failed, retried or fallen back from. The runner stores
 * these per execution step; fallbacks and breaker decisions are read from the same records.
 */
export interface Attempt {
  requestedProvider: ProviderId;
  requestedModel: string;
  servedProvider: ProviderId;
  servedModel: string;
  reason: AttemptReason;
  errorClass: ErrorClass | null;
  errorMessage: string | null;
  startedAt: Date;
  latencyMs: number;
  timeToFirstTokenMs: number | null;
  usage: Usage | null;
  /** The provider_pricing row used, when priced. */
  priceId: string | null;
  /** Integer micro-dollars, rounded once per attempt; null unless `costStatus` is `priced`. */
  costMicros: number | null;
  costStatus: CostStatus;
  /**
   * The caller gave up on it under its own policy — slower than the node's `latencyThresholdMs`, or
   * timed out under a budget shorter than the default — rather than the provider failing: the
   * breakers and the health page leave it out.
   */
  abandoned?: boolean | undefined;
}
