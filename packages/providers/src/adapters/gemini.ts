/**
 * Gemini through the official `@google/genai` SDK (Gemini Developer API,
 * `POST {base}/v1beta/models/{model}:streamGenerateContent?alt=sse`, key in `x-goog-api-key`),
 * one attempt per call.
 *
 * - Streams so the attempt reports time to first token; every chunk repeats `usageMetadata` and
 *   the last one holds the totals. Thought parts (`thought: true`) are not part of the answer.
 *   With `stream: false` in the config it calls `generateContent`; and a gateway answering a
 *   streamed request with JSON is read as the answer (see `asEventStream`).
 * - No SDK retries (`retryOptions.attempts: 1`) and no automatic continuation hops: the router is
 *   the only retry layer and one attempt is one request.
 * - The Developer API is forced (`vertexai: false`) and base URL and API version are passed
 *   explicitly, so GOOGLE_GENAI_USE_VERTEXAI / GOOGLE_GEMINI_BASE_URL in the environment can't
 *   redirect calls; GEMINI_BASE_URL reaches the SDK as `httpOptions.baseUrl`.
 * - `jsonSchema` becomes `responseMimeType: 'application/json'` + `responseJsonSchema` (plain JSON
 *   Schema; the older `responseSchema` takes only an OpenAPI subset).
 * - The SDK's `ApiError` keeps the status and body but drops the headers, so each call goes through
 *   a small fetch wrapper that remembers the last response's status and headers: `Retry-After` is
 *   honoured and an error response whose body isn't JSON is still classed by its status.
 * - A prompt refused by the safety filters arrives as a 200 with `promptFeedback.blockReason` and
 *   no candidates: that is a `content_policy` error, since there is no answer at all. A candidate
 *   stopped by the filters mid-answer is a result with `finishReason: 'content_filter'`.
 */
import {
  ApiError,
  type GenerateContentParameters,
  type GenerateContentResponse,
  GoogleGenAI,
} from '@google/genai';
import type {
  AdapterConfig,
  ChatRequest,
  ChatResult,
  FinishReason,
  ProviderAdapter,
  Usage,
} from '../types.ts';
import { type GeminiUsageReport, normalizeGeminiUsage } from '../usage.ts';
import { startAttempt } from './attempt.ts';
import { isJsonResponse, lazily, resolveConnection } from './connection.ts';
import {
  classifyFailure,
  incompleteAnswer,
  parseDurationMs,
  parseRetryAfter,
  providerError,
  truncatedStream,
} from './errors.ts';
import { geminiToolCallCollector, toGeminiContents, toGeminiTools } from './tool-calls.ts';

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
export const GEMINI_API_VERSION = 'v1beta';

interface LastResponse {
  status: number;
  headers: Headers;
}

export function createGeminiAdapter(config: AdapterConfig = {}): ProviderAdapter {
  const client = lazily(() => {
    const connection = resolveConnection('gemini', config, {
      keySetting: 'GEMINI_API_KEY',
      baseUrlSetting: 'GEMINI_BASE_URL',
      defaultBaseUrl: GEMINI_DEFAULT_BASE_URL,
    });
    return new GoogleGenAI({
      apiKey: connection.apiKey,
      vertexai: false,
      apiVersion: GEMINI_API_VERSION,
      httpOptions: {
        baseUrl: connection.baseUrl,
        apiVersion: GEMINI_API_VERSION,
        retryOptions: { attempts: 1 },
      },
    });
  });

  return {
    id: 'gemini',
    async chat(request: ChatRequest): Promise<ChatResult> {
      const ai = client();
      const attempt = startAttempt(request, 'gemini', [config.apiKey]);
      let last: LastResponse | undefined;
      const baseFetch = config.fetch;
      /** The answer came whole, so there is no time to first token to report. */
      let answeredWithJson = config.stream === false;
      const recordingFetch: typeof fetch = async (input, init) => {
        const response = await (baseFetch ?? globalThis.fetch)(input, init);
        last = { status: response.status, headers: response.headers };
        if (!(response.ok && isStreamingUrl(input) && isJsonResponse(response.headers))) return response;
        answeredWithJson = true;
        return asEventStream(response);
      };
      let usageReport: GeminiUsageReport | undefined;
      const usageSoFar = (): Usage | undefined =>
        usageReport ? normalizeGeminiUsage(usageReport) : undefined;
      let text = '';
      let model = request.model;
      let finish: string | undefined;
      const toolCalls = geminiToolCallCollector();
      const read = (chunk: GenerateContentResponse) => {
        if (chunk.modelVersion) model = chunk.modelVersion;
        if (chunk.usageMetadata) usageReport = chunk.usageMetadata;
        const blocked = chunk.promptFeedback?.blockReason;
        if (blocked) {
          const explanation = chunk.promptFeedback?.blockReasonMessage;
          throw providerError({
            provider: 'gemini',
            model: request.model,
            errorClass: 'content_policy',
            detail: `the prompt was blocked (${explanation ? `${blocked}: ${explanation}` : blocked})`,
            usage: usageSoFar(),
          });
        }
        const delta = answerText(chunk);
        if (delta) {
          if (!answeredWithJson) attempt.markFirstToken();
          text += delta;
        }
        const parts = chunk.candidates?.[0]?.content?.parts;
        if (parts?.some((part) => part.functionCall) && !answeredWithJson) attempt.markFirstToken();
        toolCalls.add(parts);
        finish = chunk.candidates?.[0]?.finishReason ?? finish;
      };
      try {
        const params = toGeminiParams(request);
        const parameters = {
          ...params,
          config: {
            ...params.config,
            abortSignal: attempt.signal,
            automaticContinuation: false,
            httpOptions: { fetch: recordingFetch },
          },
        };
        if (config.stream === false) {
          read(await ai.models.generateContent(parameters));
        } else {
          // A JSON body answering this arrives here as one event (see `asEventStream`).
          for await (const chunk of await ai.models.generateContentStream(parameters)) read(chunk);
        }
        attempt.throwIfStopped(usageSoFar());
        if (!finish) {
          const context = { provider: 'gemini' as const, model: request.model, usage: usageSoFar() };
          throw answeredWithJson
            ? incompleteAnswer({ ...context, missing: 'no finishReason' })
            : truncatedStream(context);
        }
        const calls = toolCalls.calls();
        return {
          text,
          // Gemini finishes a turn of function calls with STOP; callers act on the calls.
          finishReason: calls.length > 0 ? 'tool_calls' : geminiFinishReason(finish),
          ...(calls.length > 0 ? { toolCalls: calls } : {}),
          usage: usageSoFar() ?? null,
          provider: 'gemini',
          model,
          latencyMs: attempt.elapsedMs(),
          timeToFirstTokenMs: attempt.timeToFirstTokenMs(),
        };
      } catch (error) {
        const usage = usageSoFar();
        throw attempt.toProviderError(error, (e) => fromGeminiError(e, request.model, last, usage), usage);
      } finally {
        attempt.dispose();
      }
    },
  };
}

export function toGeminiParams(request: ChatRequest): GenerateContentParameters {
  return {
    model: request.model,
    contents: toGeminiContents(request.messages),
    config: {
      ...toGeminiTools(request.tools),
      ...(request.system ? { systemInstruction: request.system } : {}),
      ...(request.temperature !== undefined
        ? { temperature: Math.min(2, Math.max(0, request.temperature)) }
        : {}),
      ...(request.maxTokens !== undefined ? { maxOutputTokens: request.maxTokens } : {}),
      ...(request.jsonSchema
        ? { responseMimeType: 'application/json', responseJsonSchema: request.jsonSchema.schema }
        : {}),
    },
  };
}

function isStreamingUrl(input: Parameters<typeof fetch>[0]): boolean {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  return url.includes(':streamGenerateContent');
}

/**
 * A gateway that can't stream answers `streamGenerateContent` with one JSON response (or a JSON
 * array of them, the API's own non-SSE form). Each becomes one server-sent event, so the SDK's
 * stream reads it like any other: a stream chunk and a whole response have the same shape.
 */
async function asEventStream(response: Response): Promise<Response> {
  const body: unknown = await response.json();
  const chunks = Array.isArray(body) ? body : [body];
  const headers = new Headers(response.headers);
  headers.set('content-type', 'text/event-stream');
  headers.delete('content-length');
  return new Response(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join(''), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

function answerText(chunk: GenerateContentResponse): string {
  const parts = chunk.candidates?.[0]?.content?.parts ?? [];
  return parts
    .filter((part) => !part.thought && typeof part.text === 'string')
    .map((part) => part.text)
    .join('');
}

interface GoogleErrorBody {
  error?: {
    code?: unknown;
    message?: unknown;
    status?: unknown;
    details?: Array<{ '@type'?: unknown; reason?: unknown; retryDelay?: unknown }>;
  };
}

function fromGeminiError(
  error: unknown,
  model: string,
  last: LastResponse | undefined,
  usage: Usage | undefined,
) {
  const failedStatus = last && last.status >= 400 ? last.status : undefined;
  if (!(error instanceof ApiError)) {
    // An error response whose body isn't JSON: the status still says what happened.
    if (error instanceof SyntaxError && failedStatus !== undefined) {
      return providerError({
        provider: 'gemini',
        model,
        errorClass: classifyFailure({ status: failedStatus }),
        detail: `HTTP ${failedStatus} with an unparseable body`,
        status: failedStatus,
        retryAfterMs: parseRetryAfter(last?.headers),
        usage,
        cause: error,
      });
    }
    return null;
  }
  // The SDK puts the JSON body in the message, after "got status: …. " for mid-stream errors.
  const body = embeddedJson(error.message) as GoogleErrorBody | undefined;
  const details = Array.isArray(body?.error?.details) ? body.error.details : [];
  const reasons = details.map((d) => (typeof d.reason === 'string' ? d.reason : undefined));
  const retryInfo = details.find(
    (d) => typeof d['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo'),
  );
  const grpcStatus = typeof body?.error?.status === 'string' ? body.error.status : undefined;
  const detail = typeof body?.error?.message === 'string' ? body.error.message : error.message;
  return providerError({
    provider: 'gemini',
    model,
    errorClass: classifyFailure({ status: error.status, codes: [grpcStatus, ...reasons], message: detail }),
    detail,
    status: error.status,
    retryAfterMs:
      parseRetryAfter(failedStatus ? last?.headers : undefined) ?? parseDurationMs(retryInfo?.retryDelay),
    usage,
    cause: error,
  });
}

function embeddedJson(message: string): unknown {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    return JSON.parse(message.slice(start));
  } catch {
    return undefined;
  }
}

function geminiFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'STOP':
      return 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'IMAGE_RECITATION':
      return 'content_filter';
    case 'MALFORMED_FUNCTION_CALL':
    case 'UNEXPECTED_TOOL_CALL':
    case 'TOO_MANY_TOOL_CALLS':
      return 'tool_calls';
    default:
      return 'other';
  }
}
