/**
 * The offline `mock` provider: no key, no network, deterministic. It is a product feature — the
 * demo workflow, benchmarks and black-box tests run on it — so it behaves like a real provider:
 * it honours timeouts and cancellation, reports usage, fails with the same `ProviderError`
 * classes, and is driven entirely by the model name.
 *
 * Model name grammar — directives separated by commas, applied left to right:
 *
 *   echo                  Reply with the last user message. The default: an empty name or `mock`
 *                         means `echo` too.
 *   template:<text>       Reply with <text>; `{{input}}` in it becomes the last user message.
 *                         Must be the last directive (the text may contain commas).
 *   delay:<ms>            Wait <ms> (0–600000) before answering. Cancellable, and bounded by the
 *                         request's `timeoutMs` like a slow provider (then it fails as `timeout`).
 *   fail[:<kind>]         Fail every call. <kind> is one of
 *                           429[:<retryAfterMs>]  rate_limit (status 429, optional Retry-After)
 *                           500                   server      (status 500; bare `fail` means this)
 *                           503 | 529             overloaded  (status 503 / 529)
 *                           timeout               waits for the request's `timeoutMs` (or 10 s
 *                                                 when it has none), then fails as `timeout`
 *                           context               context_window  (status 400)
 *                           invalid               invalid_request (status 400)
 *                           auth                  auth            (status 401)
 *                           content               content_policy  (status 400)
 *                           network               network         (no status)
 *   flaky:<p>[:<seed>]    Fail as `server` (status 500) with probability p (0–1). The draws are
 *                         reproducible: the n-th call with the same model name, seed and request
 *                         content gets the same outcome in every process (seed defaults to 0;
 *                         change it for another pattern). A new adapter starts the sequence over.
 *
 *   Examples: `echo` · `delay:200` · `fail:529` · `delay:200,flaky:0.3` · `flaky:0.5:7`
 *             `template:{"verdict":"ok","about":"{{input}}"}`
 *
 * An unknown directive fails as `invalid_request` (like an unknown model on a real provider).
 *
 * Tool calls are scripted in the system prompt, not the model name: with tools offered, lines
 * `@turn<N> <tool> <arguments>` are the calls made on turn N (see `MOCK_TOOL_SCRIPT_LINE`).
 *
 * Replies: with `jsonSchema`, `echo` answers with a JSON value built from the schema (first enum
 * or const value, strings filled with the last user message, numbers at their minimum, required
 * and listed properties present), so demo workflows with output schemas run. A reply longer than
 * `maxTokens` × 4 characters is cut there and finishes with `length`, otherwise `stop`.
 *
 * Usage: input = ⌈characters of system prompt and all messages ÷ 4⌉, output = ⌈reply
 * characters ÷ 4⌉, each at least 1; no cache or reasoning tokens. Same request, same usage.
 *
 * Every settled call is appended to `mockCallLog` (the last `MOCK_CALL_LOG_LIMIT` calls in this
 * process) and passed to the adapter's `onCall`, so runner tests can assert what agents sent.
 */
import type { ErrorClass } from '@swarm/engine';
import { messageChars } from '../capabilities.ts';
import {
  type ChatRequest,
  type ChatResult,
  type FinishReason,
  type ProviderAdapter,
  ProviderError,
  type ToolCall,
  type Usage,
} from '../types.ts';
import { startAttempt } from './attempt.ts';
import { providerError } from './errors.ts';

export const MOCK_CALL_LOG_LIMIT = 1000;
/** How long `fail:timeout` hangs when the request has no `timeoutMs`. */
export const MOCK_DEFAULT_HANG_MS = 10_000;
const MAX_DELAY_MS = 600_000;

export interface MockCall {
  at: Date;
  model: string;
  system: string | undefined;
  messages: ChatRequest['messages'];
  temperature: number | undefined;
  maxTokens: number | undefined;
  jsonSchemaName: string | undefined;
  outcome:
    | { ok: true; text: string; finishReason: FinishReason; usage: Usage }
    | { ok: false; errorClass: ErrorClass; message: string };
}

const callLog: MockCall[] = [];

/** Calls the mock provider answered (or failed) in this process, oldest first. */
export const mockCallLog = {
  entries(): readonly MockCall[] {
    return [...callLog];
  },
  clear(): void {
    callLog.length = 0;
  },
};

export interface MockAdapterOptions {
  onCall?: ((call: MockCall) => void) | undefined;
}

type Failure = { kind: FailKind; retryAfterMs?: number | undefined };
type FailKind =
  | '429'
  | '500'
  | '503'
  | '529'
  | 'timeout'
  | 'context'
  | 'invalid'
  | 'auth'
  | 'content'
  | 'network';
const FAIL_KINDS: ReadonlySet<string> = new Set([
  '429',
  '500',
  '503',
  '529',
  'timeout',
  'context',
  'invalid',
  'auth',
  'content',
  'network',
]);

export interface MockPlan {
  delayMs: number;
  fail: Failure | undefined;
  flaky: { probability: number; seed: number } | undefined;
  template: string | undefined;
}

/** Parses a mock model name; throws a message naming the bad directive. */
export function parseMockModel(model: string): MockPlan {
  const plan: MockPlan = { delayMs: 0, fail: undefined, flaky: undefined, template: undefined };
  let rest = model.trim();
  while (rest) {
    if (rest.startsWith('template:')) {
      plan.template = rest.slice('template:'.length);
      break;
    }
    const comma = rest.indexOf(',');
    const directive = (comma < 0 ? rest : rest.slice(0, comma)).trim();
    rest = comma < 0 ? '' : rest.slice(comma + 1).trim();
    const [name = '', ...args] = directive.split(':');
    switch (name) {
      case 'echo':
      case 'mock':
        if (args.length) throw new Error(`"${directive}" takes no argument`);
        break;
      case 'delay': {
        const ms = Number(args[0]);
        if (args.length !== 1 || !Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS) {
          throw new Error(`"${directive}": expected delay:<ms> with 0 ≤ ms ≤ ${MAX_DELAY_MS}`);
        }
        plan.delayMs += ms;
        break;
      }
      case 'fail': {
        const kind = args[0] ?? '500';
        if (!FAIL_KINDS.has(kind)) throw new Error(`"${directive}": unknown failure "${kind}"`);
        const retryAfter = args[1] === undefined ? undefined : Number(args[1]);
        if (
          args.length > 2 ||
          (retryAfter !== undefined && (kind !== '429' || !Number.isInteger(retryAfter) || retryAfter < 0))
        ) {
          throw new Error(`"${directive}": only fail:429 takes a retry-after in ms`);
        }
        plan.fail = { kind: kind as FailKind, retryAfterMs: retryAfter };
        break;
      }
      case 'flaky': {
        const probability = Number(args[0]);
        const seed = args[1] === undefined ? 0 : Number(args[1]);
        if (
          args.length < 1 ||
          args.length > 2 ||
          !(probability >= 0 && probability <= 1) ||
          !Number.isInteger(seed)
        ) {
          throw new Error(`"${directive}": expected flaky:<p>[:<seed>] with 0 ≤ p ≤ 1 and an integer seed`);
        }
        plan.flaky = { probability, seed };
        break;
      }
      case '':
        break;
      default:
        throw new Error(`unknown directive "${directive}"`);
    }
  }
  return plan;
}

export function createMockAdapter(options: MockAdapterOptions = {}): ProviderAdapter {
  /** How many calls each (model, seed, content) key has made, for the flaky sequence. */
  const callCounts = new Map<string, number>();

  const record = (request: ChatRequest, outcome: MockCall['outcome']) => {
    const call: MockCall = {
      at: new Date(),
      model: request.model,
      system: request.system,
      messages: request.messages.map((m) => ({ ...m })),
      temperature: request.temperature,
      maxTokens: request.maxTokens,
      jsonSchemaName: request.jsonSchema?.name,
      outcome,
    };
    callLog.push(call);
    if (callLog.length > MOCK_CALL_LOG_LIMIT) callLog.splice(0, callLog.length - MOCK_CALL_LOG_LIMIT);
    options.onCall?.(call);
  };

  return {
    id: 'mock',
    async chat(request: ChatRequest): Promise<ChatResult> {
      try {
        const result = await answer(request, callCounts);
        record(request, {
          ok: true,
          text: result.text,
          finishReason: result.finishReason,
          usage: result.usage,
        });
        return result;
      } catch (error) {
        const failure =
          error instanceof ProviderError
            ? error
            : providerError({
                provider: 'mock',
                model: request.model,
                errorClass: 'unknown',
                detail: String(error),
                cause: error,
              });
        record(request, { ok: false, errorClass: failure.errorClass, message: failure.message });
        throw failure;
      }
    },
  };
}

async function answer(
  request: ChatRequest,
  callCounts: Map<string, number>,
): Promise<ChatResult & { usage: Usage }> {
  const model = request.model;
  let plan: MockPlan;
  try {
    plan = parseMockModel(model);
  } catch (error) {
    throw providerError({
      provider: 'mock',
      model,
      errorClass: 'invalid_request',
      status: 400,
      detail: `${(error as Error).message} — see the mock model grammar (echo, template:, delay:, fail:, flaky:)`,
    });
  }
  const attempt = startAttempt(request, 'mock');
  try {
    if (plan.delayMs > 0) await sleep(plan.delayMs, attempt.signal);
    attempt.throwIfStopped();
    if (plan.fail) {
      if (plan.fail.kind === 'timeout') {
        await sleep(MOCK_DEFAULT_HANG_MS, attempt.signal);
        attempt.throwIfStopped();
        throw providerError({
          provider: 'mock',
          model,
          errorClass: 'timeout',
          detail: `no answer within ${MOCK_DEFAULT_HANG_MS} ms`,
        });
      }
      throw failureFor(plan.fail, model);
    }
    if (plan.flaky) {
      const key = `${model}\u0000${plan.flaky.seed}\u0000${requestFingerprint(request)}`;
      const index = callCounts.get(key) ?? 0;
      callCounts.set(key, index + 1);
      if (uniform(`${plan.flaky.seed}:${index}:${key}`) < plan.flaky.probability) {
        throw providerError({
          provider: 'mock',
          model,
          errorClass: 'server',
          status: 500,
          detail: `flaky failure (call ${index + 1} of this request, p=${plan.flaky.probability})`,
        });
      }
    }
    const toolCalls = scriptedToolCalls(request);
    if (toolCalls.length > 0) {
      const inputChars =
        (request.system?.length ?? 0) + request.messages.reduce((n, m) => n + messageChars(m), 0);
      const outputChars = toolCalls.reduce((n, call) => n + call.name.length + call.arguments.length, 0);
      return {
        text: '',
        finishReason: 'tool_calls',
        toolCalls,
        usage: {
          inputTokens: estimateTokens(inputChars),
          cacheReadTokens: 0,
          cacheWriteTokens: 0,
          outputTokens: estimateTokens(outputChars),
          reasoningTokens: 0,
        },
        provider: 'mock',
        model,
        latencyMs: attempt.elapsedMs(),
        timeToFirstTokenMs: null,
      };
    }
    // After tool calls, the last thing said is the tools' results: `{{input}}` and echo use them.
    const last = request.messages.at(-1);
    const lastUser =
      last?.role === 'tool'
        ? trailingToolResults(request.messages)
        : ([...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '');
    let text =
      plan.template !== undefined
        ? plan.template.replaceAll('{{input}}', lastUser)
        : request.jsonSchema
          ? JSON.stringify(sampleFromSchema(request.jsonSchema.schema, lastUser))
          : lastUser;
    let finishReason: FinishReason = 'stop';
    if (request.maxTokens !== undefined && text.length > request.maxTokens * 4) {
      text = text.slice(0, Math.max(0, request.maxTokens * 4));
      finishReason = 'length';
    }
    const inputChars =
      (request.system?.length ?? 0) + request.messages.reduce((sum, m) => sum + messageChars(m), 0);
    return {
      text,
      finishReason,
      usage: {
        inputTokens: estimateTokens(inputChars),
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        outputTokens: estimateTokens(text.length),
        reasoningTokens: 0,
      },
      provider: 'mock',
      model,
      latencyMs: attempt.elapsedMs(),
      timeToFirstTokenMs: null,
    };
  } catch (error) {
    throw attempt.toProviderError(error, () => null);
  } finally {
    attempt.dispose();
  }
}

/**
 * The scripted tool-calling mode: with tools offered, `@turn<N> <tool> <arguments>` lines in the
 * system prompt are the calls the mock makes on its N-th turn (N counts from 1; several lines with
 * the same N are parallel calls). The arguments are sent as written, so a script can also send
 * ones that don't fit the tool's schema. Once the script has no line for the turn, it answers.
 */
export const MOCK_TOOL_SCRIPT_LINE = /^@turn(\d+)\s+([A-Za-z_][A-Za-z0-9_-]{0,63})\s*(.*)$/gm;

function scriptedToolCalls(request: ChatRequest): ToolCall[] {
  if (!request.tools?.length || !request.system) return [];
  const turn = 1 + request.messages.filter((m) => m.role === 'assistant' && m.toolCalls?.length).length;
  const calls: ToolCall[] = [];
  for (const match of request.system.matchAll(MOCK_TOOL_SCRIPT_LINE)) {
    if (Number(match[1]) !== turn) continue;
    calls.push({
      id: `mock_call_${turn}_${calls.length + 1}`,
      name: match[2]!,
      arguments: match[3]!.trim() || '{}',
    });
  }
  return calls;
}

/** The results of the last turn's tool calls, one per line (what a scripted answer reads). */
function trailingToolResults(messages: ChatRequest['messages']): string {
  const results: string[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'tool') break;
    results.unshift(m.content);
  }
  return results.join('\n');
}

function failureFor(failure: Failure, model: string): ProviderError {
  const base = { provider: 'mock' as const, model };
  switch (failure.kind) {
    case '429':
      return providerError({
        ...base,
        errorClass: 'rate_limit',
        status: 429,
        retryAfterMs: failure.retryAfterMs,
        detail: 'simulated rate limit',
      });
    case '500':
      return providerError({ ...base, errorClass: 'server', status: 500, detail: 'simulated server error' });
    case '503':
    case '529':
      return providerError({
        ...base,
        errorClass: 'overloaded',
        status: Number(failure.kind),
        detail: 'simulated overload',
      });
    case 'context':
      return providerError({
        ...base,
        errorClass: 'context_window',
        status: 400,
        detail: 'simulated prompt longer than the context window',
      });
    case 'invalid':
      return providerError({
        ...base,
        errorClass: 'invalid_request',
        status: 400,
        detail: 'simulated invalid request',
      });
    case 'auth':
      return providerError({ ...base, errorClass: 'auth', status: 401, detail: 'simulated invalid API key' });
    case 'content':
      return providerError({
        ...base,
        errorClass: 'content_policy',
        status: 400,
        detail: 'simulated content policy block',
      });
    case 'network':
      return providerError({ ...base, errorClass: 'network', detail: 'simulated connection failure' });
    case 'timeout':
      return providerError({ ...base, errorClass: 'timeout', detail: 'simulated timeout' });
  }
}

/** ≈ 4 characters a token, rounded up, at least 1. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}

function requestFingerprint(request: ChatRequest): string {
  return JSON.stringify([
    request.system ?? '',
    request.messages.map((m) => [m.role, m.content, m.role === 'assistant' ? (m.toolCalls ?? []) : []]),
  ]);
}

/** A uniform draw in [0, 1) from a string: FNV-1a, then murmur3's finaliser to spread the bits. */
function uniform(input: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A small value that satisfies common JSON Schemas; `$ref` and exotic keywords are not followed. */
export function sampleFromSchema(schema: unknown, text: string, depth = 0): unknown {
  if (depth > 8 || typeof schema !== 'object' || schema === null) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) return sampleFromSchema(options[0], text, depth + 1);
  }
  const types = Array.isArray(s.type) ? s.type : [s.type];
  const type = types.find((t) => t !== 'null') ?? (s.properties ? 'object' : types[0]);
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as unknown[]).map(String) : [];
      const out: Record<string, unknown> = {};
      for (const key of new Set([...Object.keys(properties), ...required])) {
        out[key] = sampleFromSchema(properties[key] ?? {}, text, depth + 1);
      }
      return out;
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? Math.min(s.minItems, 10) : 0;
      return Array.from({ length: min }, () => sampleFromSchema(s.items ?? {}, text, depth + 1));
    }
    case 'string': {
      let value = text;
      if (typeof s.maxLength === 'number') value = value.slice(0, s.maxLength);
      if (typeof s.minLength === 'number' && value.length < s.minLength)
        value = value.padEnd(s.minLength, '.');
      return value;
    }
    case 'integer':
    case 'number': {
      if (typeof s.minimum === 'number') return type === 'integer' ? Math.ceil(s.minimum) : s.minimum;
      if (typeof s.exclusiveMinimum === 'number') return Math.floor(s.exclusiveMinimum) + 1;
      return 0;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return text;
  }
}
