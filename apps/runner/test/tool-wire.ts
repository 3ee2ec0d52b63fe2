/**
 * Fake OpenAI, Anthropic and Gemini endpoints for a two-tool agent, in each provider's streamed
 * wire format: turn 1 answers with two tool calls (`lookup_city`, `convert_temp`), turn 2 — the
 * request carrying the tool results — with the final text. Each request body is kept and counted
 * per turn, so tests can prove no turn was sent twice; turn 2 can be held (a runner killed while
 * waiting for it).
 */
import { HttpResponse, http } from 'msw';

export type WireProvider = 'openai' | 'anthropic' | 'gemini';

/** Usage each turn reports: the cost per turn follows from the seeded list prices. */
export const TURN_USAGE = [
  { input: 100, output: 20 },
  { input: 150, output: 10 },
] as const;

export const FINAL_ANSWER = 'It is 69.8°F and clear in Paris.';

export const MODELS: Record<WireProvider, string> = {
  openai: 'gpt-4.1',
  anthropic: 'claude-sonnet-4-5',
  gemini: 'gemini-2.5-flash',
};

/** Micro-dollars per turn at the seeded prices (per 1M tokens: input, output). */
const PRICES: Record<WireProvider, [number, number]> = {
  openai: [2_000_000, 8_000_000],
  anthropic: [3_000_000, 15_000_000],
  gemini: [300_000, 2_500_000],
};
export const turnCostMicros = (provider: WireProvider, turn: 0 | 1) =>
  Math.round(
    (TURN_USAGE[turn].input * PRICES[provider][0] + TURN_USAGE[turn].output * PRICES[provider][1]) /
      1_000_000,
  );

const sse = (events: Array<{ event?: string; data: unknown }>) =>
  new HttpResponse(
    events
      .map(
        (e) =>
          `${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`,
      )
      .join(''),
    { headers: { 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked' } },
  );

const openAiChunk = (delta: unknown, finish: string | null = null) => ({
  data: {
    id: 'chatcmpl-tools',
    object: 'chat.completion.chunk',
    created: 1793510400,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, delta, finish_reason: finish }],
    usage: null,
  },
});
const openAiUsage = (turn: 0 | 1) => ({
  data: {
    id: 'chatcmpl-tools',
    object: 'chat.completion.chunk',
    created: 1793510400,
    model: 'gpt-4.1-2025-04-14',
    choices: [],
    usage: {
      prompt_tokens: TURN_USAGE[turn].input,
      completion_tokens: TURN_USAGE[turn].output,
      total_tokens: TURN_USAGE[turn].input + TURN_USAGE[turn].output,
    },
  },
});

function openAiTurn(turn: 0 | 1) {
  if (turn === 1)
    return sse([
      openAiChunk({ role: 'assistant', content: FINAL_ANSWER }),
      openAiChunk({}, 'stop'),
      openAiUsage(1),
      { data: '[DONE]' },
    ]);
  return sse([
    openAiChunk({
      role: 'assistant',
      content: null,
      tool_calls: [
        { index: 0, id: 'call_lookup', type: 'function', function: { name: 'lookup_city', arguments: '' } },
      ],
    }),
    openAiChunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
    openAiChunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
    openAiChunk({
      tool_calls: [
        {
          index: 1,
          id: 'call_convert',
          type: 'function',
          function: { name: 'convert_temp', arguments: '{"celsius":21}' },
        },
      ],
    }),
    openAiChunk({}, 'tool_calls'),
    openAiUsage(0),
    { data: '[DONE]' },
  ]);
}

const anthropicEvent = (data: { type: string } & Record<string, unknown>) => ({ event: data.type, data });

function anthropicTurn(turn: 0 | 1) {
  const start = anthropicEvent({
    type: 'message_start',
    message: {
      id: `msg_${turn}`,
      type: 'message',
      role: 'assistant',
      content: [],
      model: 'claude-sonnet-4-5-20250929',
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: TURN_USAGE[turn].input, output_tokens: 1 },
    },
  });
  const end = (stop: string) => [
    anthropicEvent({
      type: 'message_delta',
      delta: { stop_reason: stop, stop_sequence: null },
      usage: { output_tokens: TURN_USAGE[turn].output },
    }),
    anthropicEvent({ type: 'message_stop' }),
  ];
  const text = (index: number, value: string) => [
    anthropicEvent({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }),
    anthropicEvent({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: value } }),
    anthropicEvent({ type: 'content_block_stop', index }),
  ];
  const toolUse = (index: number, id: string, name: string, json: string[]) => [
    anthropicEvent({
      type: 'content_block_start',
      index,
      content_block: { type: 'tool_use', id, name, input: {} },
    }),
    ...json.map((partial_json) =>
      anthropicEvent({
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json },
      }),
    ),
    anthropicEvent({ type: 'content_block_stop', index }),
  ];
  if (turn === 1) return sse([start, ...text(0, FINAL_ANSWER), ...end('end_turn')]);
  return sse([
    start,
    ...text(0, 'Let me check.'),
    ...toolUse(1, 'toolu_lookup', 'lookup_city', ['{"city": "Pa', 'ris"}']),
    ...toolUse(2, 'toolu_convert', 'convert_temp', ['{"celsius": 21}']),
    ...end('tool_use'),
  ]);
}

function geminiTurn(turn: 0 | 1) {
  const usageMetadata = {
    promptTokenCount: TURN_USAGE[turn].input,
    candidatesTokenCount: TURN_USAGE[turn].output,
    totalTokenCount: TURN_USAGE[turn].input + TURN_USAGE[turn].output,
  };
  const parts =
    turn === 1
      ? [{ text: FINAL_ANSWER }]
      : [
          { functionCall: { name: 'lookup_city', args: { city: 'Paris' } } },
          { functionCall: { name: 'convert_temp', args: { celsius: 21 } } },
        ];
  return sse([
    {
      data: {
        candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP' }],
        usageMetadata,
        modelVersion: 'gemini-2.5-flash',
      },
    },
  ]);
}

type Body = Record<string, unknown> & { messages?: unknown[]; contents?: unknown[] };

/** Which turn a request is: the second carries tool results, in the provider's own format. */
function turnOf(provider: WireProvider, body: Body): 0 | 1 {
  const text = JSON.stringify(provider === 'gemini' ? body.contents : body.messages);
  const marker = { openai: '"role":"tool"', anthropic: '"tool_result"', gemini: '"functionResponse"' }[
    provider
  ];
  return text.includes(marker) ? 1 : 0;
}

export const HOSTS: Record<WireProvider, string> = {
  openai: 'https://api.openai.com',
  anthropic: 'https://api.anthropic.com',
  gemini: 'https://generativelanguage.googleapis.com',
};

/** The fake endpoints of all three providers at `hosts`, and what they saw. */
export function toolWire(hosts: Record<WireProvider, string> = HOSTS) {
  const seen = {
    bodies: { openai: [] as Body[], anthropic: [] as Body[], gemini: [] as Body[] },
    /** Requests per provider and turn. */
    turns: { openai: [0, 0], anthropic: [0, 0], gemini: [0, 0] } as Record<WireProvider, [number, number]>,
  };
  /** Set to hold every turn-2 request until released (or forever). */
  let holdTurn2: Promise<void> | null = null;
  const answer = async (provider: WireProvider, request: Request, reply: (turn: 0 | 1) => Response) => {
    const body = (await request.json()) as Body;
    const turn = turnOf(provider, body);
    seen.bodies[provider].push(body);
    seen.turns[provider][turn] += 1;
    if (turn === 1 && holdTurn2) await holdTurn2;
    return reply(turn);
  };
  const handlers = [
    http.post(`${hosts.openai}/v1/chat/completions`, ({ request }) => answer('openai', request, openAiTurn)),
    http.post(`${hosts.anthropic}/v1/messages`, ({ request }) => answer('anthropic', request, anthropicTurn)),
    http.post(`${hosts.gemini}/v1beta/models/:modelAction`, ({ request }) =>
      answer('gemini', request, geminiTurn),
    ),
  ];
  return {
    handlers,
    seen,
    hold(until: Promise<void>) {
      holdTurn2 = until;
    },
  };
}
