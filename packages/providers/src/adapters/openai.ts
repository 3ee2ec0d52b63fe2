/**
 * OpenAI through the official `openai` SDK (Chat Completions), one attempt per call.
 *
 * - Streams (`stream: true` with `stream_options.include_usage`) so the attempt reports time to
 *   first token; the usage arrives in the last chunk, whose `choices` is empty. With
 *   `stream: false` in the config it sends a plain request; and a gateway answering a streamed
 *   request with one JSON completion (`content-type: application/json`) is read as the answer.
 * - `maxRetries: 0`: this package's router is the only retry layer.
 * - The system prompt is sent as a `system` message (not `developer`): every OpenAI model and the
 *   OpenAI-compatible gateways people point OPENAI_BASE_URL at accept it.
 * - `jsonSchema` becomes `response_format: { type: 'json_schema' }` with `strict: false`: strict
 *   mode rejects ordinary schemas (it demands `additionalProperties: false` and every property
 *   required), and the engine validates the output against the schema anyway.
 */
import OpenAI from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import type { AdapterConfig, ChatRequest, ChatResult, FinishReason, ProviderAdapter } from '../types.ts';
import { normalizeOpenAiUsage, type OpenAiUsageReport } from '../usage.ts';
import { type AttemptControl, startAttempt } from './attempt.ts';
import { type ConnectionSettings, isJsonResponse, lazily, resolveConnection } from './connection.ts';
import {
  classifyFailure,
  incompleteAnswer,
  parseRetryAfter,
  providerError,
  truncatedStream,
} from './errors.ts';
import {
  fromOpenAiToolCalls,
  openAiToolCallCollector,
  toOpenAiMessages,
  toOpenAiTools,
} from './tool-calls.ts';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/** The same adapter under another id and settings: `openai-compatible` servers speak this protocol. */
export interface OpenAiVariant {
  provider: 'openai' | 'openai-compatible';
  settings: ConnectionSettings;
}

const OPENAI_VARIANT: OpenAiVariant = {
  provider: 'openai',
  settings: {
    keySetting: 'OPENAI_API_KEY',
    baseUrlSetting: 'OPENAI_BASE_URL',
    defaultBaseUrl: OPENAI_DEFAULT_BASE_URL,
  },
};

export function createOpenAiAdapter(
  config: AdapterConfig = {},
  variant: OpenAiVariant = OPENAI_VARIANT,
): ProviderAdapter {
  const { provider } = variant;
  const client = lazily(() => {
    const connection = resolveConnection(provider, config, variant.settings);
    return new OpenAI({
      apiKey: connection.apiKey,
      baseURL: connection.baseUrl,
      maxRetries: 0,
      // The SDK would otherwise pick these up from the environment.
      organization: null,
      project: null,
      logLevel: 'off',
      ...(config.headers ? { defaultHeaders: config.headers } : {}),
      ...(connection.fetch ? { fetch: connection.fetch } : {}),
    });
  });

  return {
    id: provider,
    async chat(request: ChatRequest): Promise<ChatResult> {
      const sdk = client();
      const attempt = startAttempt(request, provider, [
        config.apiKey,
        ...Object.values(config.headers ?? {}),
      ]);
      let usageReport: OpenAiUsageReport | null = null;
      try {
        if (config.stream === false) {
          const completion = await sdk.chat.completions.create(toOpenAiPlainParams(request), {
            signal: attempt.signal,
          });
          usageReport = completion.usage ?? null;
          return fromOpenAiCompletion(provider, completion, request, attempt);
        }
        const { data: stream, response } = await sdk.chat.completions
          .create(toOpenAiParams(request), { signal: attempt.signal })
          .withResponse();
        if (isJsonResponse(response.headers)) {
          // A gateway that can't stream answered with the whole completion; the stream is unread.
          const completion = (await response.json()) as ChatCompletion;
          usageReport = completion.usage ?? null;
          return fromOpenAiCompletion(provider, completion, request, attempt);
        }
        let text = '';
        let refusal = '';
        let finish: ChatCompletionChunk.Choice['finish_reason'] = null;
        let model = request.model;
        const toolCalls = openAiToolCallCollector();
        for await (const chunk of stream) {
          if (chunk.model) model = chunk.model;
          if (chunk.usage) usageReport = chunk.usage;
          const choice = chunk.choices.find((c) => c.index === 0);
          if (!choice) continue;
          if (choice.delta?.content) {
            attempt.markFirstToken();
            text += choice.delta.content;
          }
          if (choice.delta?.refusal) refusal += choice.delta.refusal;
          if (choice.delta?.tool_calls) {
            attempt.markFirstToken();
            toolCalls.add(choice.delta.tool_calls);
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        const usage = usageReport ? normalizeOpenAiUsage(usageReport) : undefined;
        attempt.throwIfStopped(usage);
        if (!finish) throw truncatedStream({ provider, model: request.model, usage });
        const refused = !text && refusal.length > 0;
        return {
          text: refused ? refusal : text,
          finishReason: refused ? 'content_filter' : openAiFinishReason(finish),
          ...withToolCalls(toolCalls.calls()),
          usage: usage ?? null,
          provider,
          model,
          latencyMs: attempt.elapsedMs(),
          timeToFirstTokenMs: attempt.timeToFirstTokenMs(),
        };
      } catch (error) {
        const usage = usageReport ? normalizeOpenAiUsage(usageReport) : undefined;
        throw attempt.toProviderError(
          error,
          (e) => fromOpenAiError(provider, e, request.model, usage),
          usage,
        );
      } finally {
        attempt.dispose();
      }
    },
  };
}

/** A whole completion (not streamed, or a JSON body answering a streamed request) as a result. */
function fromOpenAiCompletion(
  provider: OpenAiVariant['provider'],
  completion: ChatCompletion,
  request: ChatRequest,
  attempt: AttemptControl,
): ChatResult {
  const usage = completion.usage ? normalizeOpenAiUsage(completion.usage) : undefined;
  attempt.throwIfStopped(usage);
  const choice = completion.choices?.find((c) => c.index === 0) ?? completion.choices?.[0];
  if (!choice?.finish_reason) {
    throw incompleteAnswer({
      provider,
      model: request.model,
      usage,
      missing: 'no finished choice',
    });
  }
  const text = choice.message?.content ?? '';
  const refusal = choice.message?.refusal ?? '';
  const refused = !text && refusal.length > 0;
  return {
    text: refused ? refusal : text,
    finishReason: refused ? 'content_filter' : openAiFinishReason(choice.finish_reason),
    ...withToolCalls(fromOpenAiToolCalls(choice.message?.tool_calls)),
    usage: usage ?? null,
    provider,
    model: completion.model || request.model,
    latencyMs: attempt.elapsedMs(),
    timeToFirstTokenMs: null,
  };
}

/** The same request without streaming, for servers that can't stream. */
export function toOpenAiPlainParams(request: ChatRequest): ChatCompletionCreateParamsNonStreaming {
  const { stream: _stream, stream_options: _streamOptions, ...params } = toOpenAiParams(request);
  return params;
}

export function toOpenAiParams(request: ChatRequest): ChatCompletionCreateParamsStreaming {
  return {
    model: request.model,
    messages: [
      ...(request.system ? [{ role: 'system' as const, content: request.system }] : []),
      ...toOpenAiMessages(request.messages),
    ],
    ...toOpenAiTools(request.tools),
    stream: true,
    stream_options: { include_usage: true },
    ...(request.temperature !== undefined ? { temperature: clamp(request.temperature, 0, 2) } : {}),
    // `max_tokens` is deprecated and refused by reasoning models.
    ...(request.maxTokens !== undefined ? { max_completion_tokens: request.maxTokens } : {}),
    ...(request.jsonSchema
      ? {
          response_format: {
            type: 'json_schema' as const,
            json_schema: {
              name: schemaName(request.jsonSchema.name),
              schema: request.jsonSchema.schema,
              strict: false,
            },
          },
        }
      : {}),
  };
}

function fromOpenAiError(
  provider: OpenAiVariant['provider'],
  error: unknown,
  model: string,
  usage: ReturnType<typeof normalizeOpenAiUsage> | undefined,
) {
  if (!(error instanceof OpenAI.APIError)) return null;
  const blocked = blockedAddress(error);
  if (blocked) {
    // The address guard refused the base URL: a setting to fix, not a provider fault (like `auth`,
    // it moves on to the next model and never counts against a breaker).
    const detail = blocked.message.replace(
      / \(set allowPrivateNetworks to reach them\)$/,
      '; an operator can allow the range with OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES',
    );
    return providerError({ provider, model, errorClass: 'auth', detail, cause: error });
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return providerError({
      provider,
      model,
      errorClass: 'timeout',
      detail: error.message,
      usage,
      cause: error,
    });
  }
  // Connection failures (and user aborts, handled before this) carry no status; leave them to the transport rules.
  if (error instanceof OpenAI.APIConnectionError || error instanceof OpenAI.APIUserAbortError) return null;
  const body = error.error as { message?: unknown } | undefined;
  const detail = typeof body?.message === 'string' ? body.message : error.message;
  return providerError({
    provider,
    model,
    errorClass: classifyFailure({ status: error.status, codes: [error.code, error.type], message: detail }),
    detail,
    status: error.status,
    retryAfterMs: parseRetryAfter(error.headers),
    usage,
    cause: error,
  });
}

/** The address guard's refusal (`BlockedAddressError`, from a guarded fetch) behind an SDK error. */
function blockedAddress(error: unknown): Error | null {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === 'blocked_address' && e instanceof Error) return e;
  }
  return null;
}

/** Tool calls on a result only when there are some (results without tools keep their shape). */
function withToolCalls(calls: ChatResult['toolCalls']) {
  return calls?.length ? { toolCalls: calls } : {};
}

function openAiFinishReason(reason: NonNullable<ChatCompletionChunk.Choice['finish_reason']>): FinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'content_filter':
    case 'tool_calls':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'other';
  }
}

/** OpenAI allows `[a-zA-Z0-9_-]{1,64}` as a response-format name. */
function schemaName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]+/g, '_').slice(0, 64);
  return cleaned || 'output';
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
