/**
 * Tool calls in each provider's native wire format, kept apart from the adapters so each adapter
 * only calls in here: the conversation (assistant tool calls, tool results) and the tool list
 * going out, and the calls coming back — whole (plain answers) or assembled from stream deltas.
 *
 * - OpenAI: `tools: [{ type: 'function', function }]`, assistant `tool_calls` (arguments as JSON
 *   text), results as `role: 'tool'` messages; streamed calls arrive as deltas keyed by `index`.
 * - Anthropic: `tools: [{ name, description, input_schema }]`, assistant `tool_use` blocks, results
 *   as `tool_result` blocks of one user message; streamed inputs arrive as `input_json_delta`.
 * - Gemini: `functionDeclarations` with `parametersJsonSchema`, `functionCall` parts from the
 *   model, `functionResponse` parts from the user; a call arrives whole in one chunk, and its
 *   `thoughtSignature` must be sent back with it.
 */
import type { Content, FunctionDeclaration, Part } from '@google/genai';
import type { ChatMessage, ToolCall, ToolResultMessage, ToolSpec } from '../types.ts';

// ---------------------------------------------------------------- OpenAI

/** Chat Completions messages (after the system message). */
export function toOpenAiMessages(messages: readonly ChatMessage[]) {
  return messages.map((m) => {
    if (m.role === 'tool') return { role: 'tool' as const, tool_call_id: m.toolCallId, content: m.content };
    if (m.role === 'assistant' && m.toolCalls?.length)
      return {
        role: 'assistant' as const,
        content: m.content || null,
        tool_calls: m.toolCalls.map((call) => ({
          id: call.id,
          type: 'function' as const,
          function: { name: call.name, arguments: call.arguments },
        })),
      };
    return { role: m.role, content: m.content };
  });
}

export function toOpenAiTools(tools: readonly ToolSpec[] | undefined) {
  if (!tools?.length) return {};
  return {
    tools: tools.map((t) => ({
      type: 'function' as const,
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: t.parameters,
      },
    })),
  };
}

interface OpenAiToolCallLike {
  id?: string | undefined;
  type?: string | undefined;
  function?: { name?: string | undefined; arguments?: string | undefined } | undefined;
}

/** The function calls of a whole completion message. */
export function fromOpenAiToolCalls(calls: readonly OpenAiToolCallLike[] | null | undefined): ToolCall[] {
  return (calls ?? []).flatMap((call, i) =>
    call.function?.name
      ? [{ id: call.id || `call_${i}`, name: call.function.name, arguments: call.function.arguments ?? '' }]
      : [],
  );
}

/** Assembles streamed `tool_calls` deltas (id and name first, then argument fragments). */
export function openAiToolCallCollector() {
  const byIndex = new Map<number, { id: string; name: string; arguments: string }>();
  return {
    add(deltas: ReadonlyArray<{ index: number } & OpenAiToolCallLike> | null | undefined) {
      for (const delta of deltas ?? []) {
        const call = byIndex.get(delta.index) ?? { id: '', name: '', arguments: '' };
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name += delta.function.name;
        if (delta.function?.arguments) call.arguments += delta.function.arguments;
        byIndex.set(delta.index, call);
      }
    },
    calls(): ToolCall[] {
      return [...byIndex.entries()]
        .sort(([a], [b]) => a - b)
        .filter(([, call]) => call.name)
        .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    },
  };
}

// ---------------------------------------------------------------- Anthropic

type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; tool_use_id: string; content: string; is_error?: boolean };

/**
 * Messages API messages: an assistant's tool calls become `tool_use` blocks, and the results that
 * follow them one user message of `tool_result` blocks (the API wants roles to alternate).
 */
export function toAnthropicMessages(messages: readonly ChatMessage[]) {
  const out: Array<{ role: 'user' | 'assistant'; content: string | AnthropicBlock[] }> = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      const block: AnthropicBlock = {
        type: 'tool_result',
        tool_use_id: m.toolCallId,
        content: m.content,
        ...(m.isError ? { is_error: true } : {}),
      };
      const previous = out.at(-1);
      if (previous?.role === 'user' && Array.isArray(previous.content)) previous.content.push(block);
      else out.push({ role: 'user', content: [block] });
      continue;
    }
    if (m.role === 'assistant' && m.toolCalls?.length) {
      out.push({
        role: 'assistant',
        content: [
          ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
          ...m.toolCalls.map((call) => ({
            type: 'tool_use' as const,
            id: call.id,
            name: call.name,
            input: parseArgumentsOrEmpty(call.arguments),
          })),
        ],
      });
      continue;
    }
    out.push({ role: m.role, content: m.content });
  }
  return out;
}

export function toAnthropicTools(tools: readonly ToolSpec[] | undefined) {
  if (!tools?.length) return {};
  return {
    tools: tools.map((t) => ({
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      input_schema: { type: 'object' as const, ...t.parameters },
    })),
  };
}

/** The `tool_use` blocks of a whole message. */
export function fromAnthropicContent(
  content: ReadonlyArray<{ type: string; id?: string; name?: string; input?: unknown }> | undefined,
): ToolCall[] {
  return (content ?? []).flatMap((block) =>
    block.type === 'tool_use' && block.name
      ? [{ id: block.id ?? '', name: block.name, arguments: JSON.stringify(block.input ?? {}) }]
      : [],
  );
}

/** Assembles streamed `tool_use` blocks: the block's start, then `input_json_delta` fragments. */
export function anthropicToolCallCollector() {
  const byIndex = new Map<number, { id: string; name: string; json: string; input: unknown }>();
  return {
    start(index: number, block: { type: string; id?: string; name?: string; input?: unknown }) {
      if (block.type === 'tool_use')
        byIndex.set(index, { id: block.id ?? '', name: block.name ?? '', json: '', input: block.input });
    },
    delta(index: number, partialJson: string) {
      const call = byIndex.get(index);
      if (call) call.json += partialJson;
    },
    calls(): ToolCall[] {
      return [...byIndex.entries()]
        .sort(([a], [b]) => a - b)
        .map(([, call]) => ({
          id: call.id,
          name: call.name,
          // No delta at all means the input was given whole in the block's start (`{}` when empty).
          arguments: call.json || JSON.stringify(call.input ?? {}),
        }));
    },
  };
}

// ---------------------------------------------------------------- Gemini

/**
 * `contents` for generateContent: an assistant's tool calls become `functionCall` parts of a
 * `model` turn, the results that follow one `user` turn of `functionResponse` parts.
 */
export function toGeminiContents(messages: readonly ChatMessage[]): Content[] {
  const out: Content[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      const part: Part = { functionResponse: geminiFunctionResponse(m) };
      const previous = out.at(-1);
      if (previous?.role === 'user' && previous.parts?.every((p) => p.functionResponse))
        previous.parts.push(part);
      else out.push({ role: 'user', parts: [part] });
      continue;
    }
    if (m.role === 'assistant' && m.toolCalls?.length) {
      out.push({
        role: 'model',
        parts: [
          ...(m.content ? [{ text: m.content }] : []),
          ...m.toolCalls.map(
            (call): Part => ({
              functionCall: {
                ...(call.id.startsWith(SYNTHETIC_ID) ? {} : { id: call.id }),
                name: call.name,
                args: parseArgumentsOrEmpty(call.arguments) as Record<string, unknown>,
              },
              ...(call.signature ? { thoughtSignature: call.signature } : {}),
            }),
          ),
        ],
      });
      continue;
    }
    out.push({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] });
  }
  return out;
}

function geminiFunctionResponse(m: ToolResultMessage) {
  let value: unknown = m.content;
  try {
    value = JSON.parse(m.content);
  } catch {
    // Plain text stays text.
  }
  return {
    ...(m.toolCallId.startsWith(SYNTHETIC_ID) ? {} : { id: m.toolCallId }),
    name: m.name,
    // `response` must be an object: `output` and `error` are the keys the API documents.
    response: m.isError ? { error: value } : { output: value },
  };
}

export function toGeminiTools(tools: readonly ToolSpec[] | undefined) {
  if (!tools?.length) return {};
  const functionDeclarations: FunctionDeclaration[] = tools.map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    parametersJsonSchema: t.parameters,
  }));
  return { tools: [{ functionDeclarations }] };
}

/** Ids given to Gemini calls that came without one (ids are optional there). */
const SYNTHETIC_ID = 'gemini_call_';

/** Collects `functionCall` parts across stream chunks (each arrives whole). */
export function geminiToolCallCollector() {
  const calls: ToolCall[] = [];
  return {
    add(parts: readonly Part[] | undefined) {
      for (const part of parts ?? []) {
        const call = part.functionCall;
        if (!call?.name) continue;
        calls.push({
          id: call.id || `${SYNTHETIC_ID}${calls.length}`,
          name: call.name,
          arguments: JSON.stringify(call.args ?? {}),
          ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
        });
      }
    },
    calls: () => [...calls],
  };
}

/** Arguments sent back in a provider that wants an object: what parsed, else `{}`. */
function parseArgumentsOrEmpty(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}
