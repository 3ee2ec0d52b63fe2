/**
 * The tool-call round trip on each provider's real wire format, streamed and not: the tools go
 * out in the provider's own declaration format, the model's calls come back (assembled from
 * stream deltas, or read from a whole answer) with their arguments as JSON text, and the next
 * request carries the assistant's calls and their results the way that provider expects them
 * (OpenAI `tool_calls` + `role: tool`, Anthropic `tool_use` + `tool_result`, Gemini
 * `functionCall` + `functionResponse`).
 */
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAnthropicAdapter } from '../../src/adapters/anthropic.ts';
import { createGeminiAdapter } from '../../src/adapters/gemini.ts';
import { createOpenAiAdapter } from '../../src/adapters/openai.ts';
import type { ChatMessage, ProviderAdapter, ToolSpec } from '../../src/types.ts';
import { type SseEvent, sseResponse } from './wire.ts';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const TOOLS: ToolSpec[] = [
  {
    name: 'lookup_city',
    description: 'Weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
  {
    name: 'convert_temp',
    parameters: { type: 'object', properties: { celsius: { type: 'number' } }, required: ['celsius'] },
  },
];
const ANSWER = 'It is 69.8°F in Paris.';
const question: ChatMessage = { role: 'user', content: 'Weather in Paris, in Fahrenheit?' };

type Mode = 'streamed' | 'plain';
type Body = Record<string, unknown>;

// ------------------------------------------------------------------ OpenAI
const oaChunk = (delta: unknown, finish: string | null = null, usage: unknown = null) => ({
  data: {
    id: 'chatcmpl-T1',
    object: 'chat.completion.chunk',
    created: 1793510400,
    model: 'gpt-4.1-2025-04-14',
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    usage,
  },
});
const oaUsage = { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160 };
const oaCalls = [
  { id: 'call_A1', type: 'function', function: { name: 'lookup_city', arguments: '{"city":"Paris"}' } },
  { id: 'call_B2', type: 'function', function: { name: 'convert_temp', arguments: '{"celsius":21}' } },
];
function openAiReply(body: Body, mode: Mode): Response {
  const second = JSON.stringify(body.messages).includes('"role":"tool"');
  if (mode === 'plain')
    return HttpResponse.json({
      id: 'chatcmpl-T1',
      object: 'chat.completion',
      created: 1793510400,
      model: 'gpt-4.1-2025-04-14',
      choices: [
        {
          index: 0,
          message: second
            ? { role: 'assistant', content: ANSWER, refusal: null }
            : { role: 'assistant', content: null, refusal: null, tool_calls: oaCalls },
          finish_reason: second ? 'stop' : 'tool_calls',
        },
      ],
      usage: oaUsage,
    });
  const events: SseEvent[] = second
    ? [oaChunk({ role: 'assistant', content: ANSWER }), oaChunk({}, 'stop')]
    : [
        oaChunk({
          role: 'assistant',
          content: null,
          tool_calls: [
            { index: 0, id: 'call_A1', type: 'function', function: { name: 'lookup_city', arguments: '' } },
          ],
        }),
        oaChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
        oaChunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        oaChunk({ tool_calls: [{ index: 1, ...oaCalls[1] }] }),
        oaChunk({}, 'tool_calls'),
      ];
  return sseResponse([...events, oaChunk(null, null, oaUsage), { data: '[DONE]' }]);
}

// ------------------------------------------------------------------ Anthropic
const anUsage = { input_tokens: 120, output_tokens: 40 };
const anBlocks = [
  { type: 'text', text: 'Checking.' },
  { type: 'tool_use', id: 'toolu_A1', name: 'lookup_city', input: { city: 'Paris' } },
  { type: 'tool_use', id: 'toolu_B2', name: 'convert_temp', input: { celsius: 21 } },
];
const anEvent = (data: { type: string } & Body): SseEvent => ({ event: data.type, data });
function anthropicReply(body: Body, mode: Mode): Response {
  const second = JSON.stringify(body.messages).includes('"tool_result"');
  const content = second ? [{ type: 'text', text: ANSWER }] : anBlocks;
  const stop = second ? 'end_turn' : 'tool_use';
  const message = {
    id: 'msg_T1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    stop_sequence: null,
  };
  if (mode === 'plain') return HttpResponse.json({ ...message, content, stop_reason: stop, usage: anUsage });
  const events: SseEvent[] = [
    anEvent({
      type: 'message_start',
      message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 120, output_tokens: 1 } },
    }),
  ];
  content.forEach((block, index) => {
    const start = block.type === 'text' ? { type: 'text', text: '' } : { ...block, input: {} };
    events.push(anEvent({ type: 'content_block_start', index, content_block: start }));
    const json = JSON.stringify((block as { input?: unknown }).input ?? {});
    const deltas =
      block.type === 'text'
        ? [{ type: 'text_delta', text: (block as { text: string }).text }]
        : [json.slice(0, 5), json.slice(5)].map((partial_json) => ({
            type: 'input_json_delta',
            partial_json,
          }));
    for (const delta of deltas) events.push(anEvent({ type: 'content_block_delta', index, delta }));
    events.push(anEvent({ type: 'content_block_stop', index }));
  });
  events.push(
    anEvent({
      type: 'message_delta',
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: 40 },
    }),
    anEvent({ type: 'message_stop' }),
  );
  return sseResponse(events);
}

// ------------------------------------------------------------------ Gemini
function geminiReply(body: Body, mode: Mode): Response {
  const second = JSON.stringify(body.contents).includes('"functionResponse"');
  const parts = second
    ? [{ text: ANSWER }]
    : [
        { functionCall: { name: 'lookup_city', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLTE=' },
        { functionCall: { name: 'convert_temp', args: { celsius: 21 } } },
      ];
  const response = {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 40, totalTokenCount: 160 },
    modelVersion: 'gemini-2.5-flash',
  };
  return mode === 'plain' ? HttpResponse.json(response) : sseResponse([{ data: response }]);
}

const cases = {
  openai: {
    url: 'https://api.openai.com/v1/chat/completions',
    model: 'gpt-4.1',
    adapter: (stream: boolean) => createOpenAiAdapter({ apiKey: 'sk-test', stream }),
    reply: openAiReply,
  },
  anthropic: {
    url: 'https://api.anthropic.com/v1/messages',
    model: 'claude-sonnet-4-5',
    adapter: (stream: boolean) => createAnthropicAdapter({ apiKey: 'sk-ant-test', stream }),
    reply: anthropicReply,
  },
  gemini: {
    url: 'https://generativelanguage.googleapis.com/v1beta/models/:action',
    model: 'gemini-2.5-flash',
    adapter: (stream: boolean) => createGeminiAdapter({ apiKey: 'AIza-test', stream }),
    reply: geminiReply,
  },
} as const;

describe.each(['openai', 'anthropic', 'gemini'] as const)('%s tool calls', (provider) => {
  it.each(['streamed', 'plain'] as const)('round trip, %s', async (mode) => {
    const spec = cases[provider];
    const bodies: Body[] = [];
    server.use(
      http.post(spec.url, async ({ request }) => {
        const body = (await request.json()) as Body;
        bodies.push(body);
        return spec.reply(body, mode);
      }),
    );
    const adapter: ProviderAdapter = spec.adapter(mode === 'streamed');
    const request = { provider, model: spec.model, tools: TOOLS, timeoutMs: 10_000 };

    const first = await adapter.chat({ ...request, messages: [question] });
    expect(first.finishReason).toBe('tool_calls');
    expect(first.usage).toMatchObject({ inputTokens: 120, outputTokens: 40 });
    expect(first.toolCalls!.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ['lookup_city', { city: 'Paris' }],
      ['convert_temp', { celsius: 21 }],
    ]);
    if (provider === 'gemini') expect(first.toolCalls![0]!.signature).toBe('c2lnLTE=');

    const results: ChatMessage[] = first.toolCalls!.map((call, i) => ({
      role: 'tool',
      toolCallId: call.id,
      name: call.name,
      content: i === 0 ? '{"celsius":21}' : '{"fahrenheit":69.8}',
    }));
    const second = await adapter.chat({
      ...request,
      messages: [
        question,
        { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
        ...results,
      ],
    });
    expect(second).toMatchObject({ text: ANSWER, finishReason: 'stop' });
    expect(second.toolCalls).toBeUndefined();

    const [out, back] = bodies as [Body, Body];
    if (provider === 'openai') {
      expect(out.tools).toEqual([
        {
          type: 'function',
          function: {
            name: 'lookup_city',
            description: 'Weather in a city',
            parameters: TOOLS[0]!.parameters,
          },
        },
        { type: 'function', function: { name: 'convert_temp', parameters: TOOLS[1]!.parameters } },
      ]);
      expect((back.messages as unknown[]).slice(1)).toEqual([
        { role: 'assistant', content: null, tool_calls: oaCalls },
        { role: 'tool', tool_call_id: 'call_A1', content: '{"celsius":21}' },
        { role: 'tool', tool_call_id: 'call_B2', content: '{"fahrenheit":69.8}' },
      ]);
    }
    if (provider === 'anthropic') {
      expect(out.tools).toEqual([
        { name: 'lookup_city', description: 'Weather in a city', input_schema: TOOLS[0]!.parameters },
        { name: 'convert_temp', input_schema: TOOLS[1]!.parameters },
      ]);
      expect((back.messages as unknown[]).slice(1)).toEqual([
        { role: 'assistant', content: anBlocks },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_A1', content: '{"celsius":21}' },
            { type: 'tool_result', tool_use_id: 'toolu_B2', content: '{"fahrenheit":69.8}' },
          ],
        },
      ]);
    }
    if (provider === 'gemini') {
      expect(out.tools).toEqual([
        {
          functionDeclarations: [
            {
              name: 'lookup_city',
              description: 'Weather in a city',
              parametersJsonSchema: TOOLS[0]!.parameters,
            },
            { name: 'convert_temp', parametersJsonSchema: TOOLS[1]!.parameters },
          ],
        },
      ]);
      expect((back.contents as unknown[]).slice(1)).toEqual([
        {
          role: 'model',
          parts: [
            { functionCall: { name: 'lookup_city', args: { city: 'Paris' } }, thoughtSignature: 'c2lnLTE=' },
            { functionCall: { name: 'convert_temp', args: { celsius: 21 } } },
          ],
        },
        {
          role: 'user',
          parts: [
            { functionResponse: { name: 'lookup_city', response: { output: { celsius: 21 } } } },
            { functionResponse: { name: 'convert_temp', response: { output: { fahrenheit: 69.8 } } } },
          ],
        },
      ]);
    }
  });
});

it('sends a failed tool call back as an error result (Anthropic is_error, Gemini error key)', async () => {
  const bodies: Body[] = [];
  server.use(
    http.post(cases.anthropic.url, async ({ request }) => {
      bodies.push((await request.json()) as Body);
      return anthropicReply(bodies.at(-1)!, 'plain');
    }),
  );
  await createAnthropicAdapter({ apiKey: 'sk-ant-test', stream: false }).chat({
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    tools: TOOLS,
    messages: [
      question,
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'toolu_A1', name: 'lookup_city', arguments: '{}' }],
      },
      {
        role: 'tool',
        toolCallId: 'toolu_A1',
        name: 'lookup_city',
        content: 'error: city is required',
        isError: true,
      },
    ],
  });
  expect((bodies[0]!.messages as unknown[]).at(-1)).toEqual({
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'toolu_A1', content: 'error: city is required', is_error: true },
    ],
  });
});
