/**
 * Anthropic through the official `@anthropic-ai/sdk` (Messages API, `anthropic-version:
 * 2026-10-21`, key sent as `Authorization: Bearer`), one attempt per call.
 *
 * - Streams so the attempt reports time to first token. Usage arrives twice: the input side in
 *   `message_start`, cumulative totals in `message_delta`; an `error` event can arrive mid-stream
 *   (typically `overloaded_error`) with HTTP 200 already sent, and is classed like its HTTP twin.
 *   With `stream: false` in the config it sends a plain request (`stream: false`); and a gateway
 *   answering a streamed request with one JSON message is read as the answer.
 * - `maxRetries: 0`: this package's router is the only retry layer.
 * - `temperature` is NOT sent: API version 2026-10-21 removed the sampling parameters (any value,
 *   even 1.0, is a 400) and SDK 1.x no longer has them.
 * - `max_tokens` is required by the API; without `maxTokens` we ask for `ANTHROPIC_DEFAULT_MAX_TOKENS`.
 * - `jsonSchema` uses structured outputs (`output_config.format: { type: 'json_schema' }`):
 *   constrained decoding, so no system-prompt instructions or assistant prefill (which newer models
 *   refuse with a 400).
 */
import Anthropic from '@anthropic-ai/sdk';
import type {
  Message,
  MessageCreateParamsNonStreaming,
  MessageCreateParamsStreaming,
  StopReason,
} from '@anthropic-ai/sdk/resources/messages';
import type {
  AdapterConfig,
  ChatRequest,
  ChatResult,
  FinishReason,
  ProviderAdapter,
  Usage,
} from '../types.ts';
import { type AnthropicUsageReport, mergeAnthropicUsage, normalizeAnthropicUsage } from '../usage.ts';
import { type AttemptControl, startAttempt } from './attempt.ts';
import { isJsonResponse, lazily, resolveConnection } from './connection.ts';
import {
  classifyFailure,
  incompleteAnswer,
  parseRetryAfter,
  providerError,
  truncatedStream,
} from './errors.ts';
import {
  anthropicToolCallCollector,
  fromAnthropicContent,
  toAnthropicMessages,
  toAnthropicTools,
} from './tool-calls.ts';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** The SDK's own limit for a plain call, used when the request sets no per-attempt timeout. */
const PLAIN_CALL_TIMEOUT_MS = 10 * 60_000;

export function createAnthropicAdapter(config: AdapterConfig = {}): ProviderAdapter {
  const client = lazily(() => {
    const connection = resolveConnection('anthropic', config, {
      keySetting: 'ANTHROPIC_API_KEY',
      baseUrlSetting: 'ANTHROPIC_BASE_URL',
      defaultBaseUrl: ANTHROPIC_DEFAULT_BASE_URL,
    });
    return new Anthropic({
      apiKey: connection.apiKey,
      baseURL: connection.baseUrl,
      maxRetries: 0,
      logLevel: 'off',
      ...(connection.fetch ? { fetch: connection.fetch } : {}),
    });
  });

  return {
    id: 'anthropic',
    async chat(request: ChatRequest): Promise<ChatResult> {
      const sdk = client();
      const attempt = startAttempt(request, 'anthropic', [config.apiKey]);
      let startUsage: AnthropicUsageReport | null = null;
      let deltaUsage: AnthropicUsageReport | null = null;
      const usageSoFar = (): Usage | undefined =>
        startUsage || deltaUsage
          ? normalizeAnthropicUsage(mergeAnthropicUsage(startUsage, deltaUsage))
          : undefined;
      try {
        if (config.stream === false) {
          const message = await sdk.messages.create(toAnthropicPlainParams(request), {
            signal: attempt.signal,
            // Our own per-attempt timeout governs; without a timeout the SDK refuses a plain call
            // whose max_tokens might take over 10 minutes.
            timeout: request.timeoutMs ?? PLAIN_CALL_TIMEOUT_MS,
          });
          startUsage = message.usage;
          return fromAnthropicMessage(message, request, attempt);
        }
        const { data: stream, response } = await sdk.messages
          .create(toAnthropicParams(request), { signal: attempt.signal })
          .withResponse();
        if (isJsonResponse(response.headers)) {
          // A gateway that can't stream answered with the whole message; the stream is unread.
          const message = (await response.json()) as Message;
          startUsage = message.usage ?? null;
          return fromAnthropicMessage(message, request, attempt);
        }
        let text = '';
        let model = request.model;
        let stopReason: StopReason | null = null;
        let stopped = false;
        const toolCalls = anthropicToolCallCollector();
        for await (const event of stream) {
          switch (event.type) {
            case 'content_block_start':
              toolCalls.start(event.index, event.content_block);
              break;
            case 'message_start':
              model = event.message.model || model;
              startUsage = event.message.usage;
              break;
            case 'content_block_delta':
              // Thinking, signature and tool-input deltas are not part of the answer text.
              if (event.delta.type === 'text_delta') {
                attempt.markFirstToken();
                text += event.delta.text;
              } else if (event.delta.type === 'input_json_delta') {
                attempt.markFirstToken();
                toolCalls.delta(event.index, event.delta.partial_json);
              }
              break;
            case 'message_delta':
              stopReason = event.delta.stop_reason ?? stopReason;
              deltaUsage = event.usage;
              break;
            case 'message_stop':
              stopped = true;
              break;
          }
        }
        attempt.throwIfStopped(usageSoFar());
        if (!stopped || !stopReason) {
          throw truncatedStream({ provider: 'anthropic', model: request.model, usage: usageSoFar() });
        }
        return {
          text,
          finishReason: anthropicFinishReason(stopReason),
          ...withToolCalls(toolCalls.calls()),
          usage: usageSoFar() ?? null,
          provider: 'anthropic',
          model,
          latencyMs: attempt.elapsedMs(),
          timeToFirstTokenMs: attempt.timeToFirstTokenMs(),
        };
      } catch (error) {
        const usage = usageSoFar();
        throw attempt.toProviderError(error, (e) => fromAnthropicError(e, request.model, usage), usage);
      } finally {
        attempt.dispose();
      }
    },
  };
}

/** A whole message (not streamed, or a JSON body answering a streamed request) as a result. */
function fromAnthropicMessage(message: Message, request: ChatRequest, attempt: AttemptControl): ChatResult {
  const usage = message.usage ? normalizeAnthropicUsage(message.usage) : undefined;
  attempt.throwIfStopped(usage);
  if (!message.stop_reason) {
    throw incompleteAnswer({ provider: 'anthropic', model: request.model, usage, missing: 'no stop_reason' });
  }
  // Thinking and tool-use blocks are not part of the answer text.
  const text = (message.content ?? []).map((block) => (block.type === 'text' ? block.text : '')).join('');
  return {
    text,
    finishReason: anthropicFinishReason(message.stop_reason),
    ...withToolCalls(fromAnthropicContent(message.content)),
    usage: usage ?? null,
    provider: 'anthropic',
    model: message.model || request.model,
    latencyMs: attempt.elapsedMs(),
    timeToFirstTokenMs: null,
  };
}

/** The same request without streaming, for servers that can't stream. */
export function toAnthropicPlainParams(request: ChatRequest): MessageCreateParamsNonStreaming {
  return { ...toAnthropicParams(request), stream: false };
}

export function toAnthropicParams(request: ChatRequest): MessageCreateParamsStreaming {
  return {
    model: request.model,
    max_tokens: request.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: toAnthropicMessages(request.messages),
    ...toAnthropicTools(request.tools),
    ...(request.system ? { system: request.system } : {}),
    ...(request.jsonSchema
      ? { output_config: { format: { type: 'json_schema' as const, schema: request.jsonSchema.schema } } }
      : {}),
    stream: true,
  };
}

function fromAnthropicError(error: unknown, model: string, usage: Usage | undefined) {
  if (!(error instanceof Anthropic.APIError)) return null;
  if (error instanceof Anthropic.APIConnectionTimeoutError) {
    return providerError({
      provider: 'anthropic',
      model,
      errorClass: 'timeout',
      detail: error.message,
      usage,
      cause: error,
    });
  }
  if (error instanceof Anthropic.APIConnectionError || error instanceof Anthropic.APIUserAbortError)
    return null;
  // A mid-stream `error` event carries the whole `{ type: 'error', error: { type, message } }` body.
  const body = error.error as { error?: { type?: unknown; message?: unknown } } | undefined;
  const bodyType = typeof body?.error?.type === 'string' ? body.error.type : undefined;
  const detail =
    error.apiMessage ??
    (typeof body?.error?.message === 'string' ? body.error.message : undefined) ??
    error.message;
  return providerError({
    provider: 'anthropic',
    model,
    errorClass: classifyFailure({
      status: error.status,
      codes: [error.type, bodyType, error.errorCode],
      message: detail,
    }),
    detail,
    status: error.status,
    retryAfterMs: parseRetryAfter(error.headers),
    usage,
    cause: error,
  });
}

/** Tool calls on a result only when there are some (results without tools keep their shape). */
function withToolCalls(calls: ChatResult['toolCalls']) {
  return calls?.length ? { toolCalls: calls } : {};
}

function anthropicFinishReason(reason: StopReason): FinishReason {
  switch (reason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'refusal':
      return 'content_filter';
    case 'tool_use':
      return 'tool_calls';
    default:
      return 'other';
  }
}
