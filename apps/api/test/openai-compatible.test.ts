/**
 * The `openai-compatible` provider end to end: a real API and a real runner in this process, the
 * real `openai` SDK behind the runner's guarded fetch, and msw answering at custom base URLs in
 * OpenAI's chat-completions wire format (server-sent events when asked to stream, one JSON
 * completion when not).
 *
 * - Two named credentials of one user, used by two agent nodes of one workflow: each request goes
 *   to its credential's base URL with its key and extra headers; `stream: false` is honoured.
 * - Unpriced models cost null ("unknown") on the run and the ledger; a price the user adds for
 *   that credential's model prices the next run.
 * - Base URLs are SSRF-guarded when saved (private, loopback, link-local refused unless
 *   allow-listed) and at connect time (a name that resolves elsewhere on the runner — DNS
 *   rebinding — or a loopback literal saved under an allow-list the runner doesn't share).
 * - Breakers and health are kept per owner and credential; keys never reach the runner's log.
 */
import { Writable } from 'node:stream';
import type { ResolvedAddress } from '@swarm/engine';
import { createSecretKeyring, generateSecretKey, storeCompatibleCredential } from '@swarm/providers/store';
import { createLlmClient, createRunner } from '@swarm/runner/testing';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';

const SECRET_KEY = generateSecretKey();
const GROQ_KEY = 'gsk-groq-user-key-0000000000aaaa';
const OTHER_KEY = 'sk-other-user-key-0000000000bbbb';
const HEADER_SECRET = 'org-header-value-secret-cccc';

/** What DNS says on each side: the API and the runner agree, except about `rebind.example`. */
const PUBLIC: Record<string, string> = {
  'api.groq.example': '93.184.216.34',
  'llm.other.example': '93.184.216.35',
  'rebind.example': '93.184.216.36',
};
const resolver =
  (overrides: Record<string, string> = {}) =>
  async (host: string): Promise<ResolvedAddress[]> => {
    const address = overrides[host] ?? PUBLIC[host];
    if (!address) throw new Error(`no such host ${host}`);
    return [{ address, family: 4 }];
  };

const api = useApiServer({ secretKey: SECRET_KEY, compatibleGuard: { resolveHost: resolver() } });

interface Seen {
  url: string;
  authorization: string | null;
  orgHeader: string | null;
  stream: boolean;
  model: string;
}
const seen: Seen[] = [];

const completionId = 'chatcmpl-compat';
function streamed(model: string, text: string) {
  const chunk = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created: 1793510400, model, choices, usage })}\n\n`;
  const body = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: text }, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
    chunk([], { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 }),
    'data: [DONE]\n\n',
  ].join('');
  return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
}
function whole(model: string, text: string) {
  return HttpResponse.json({
    id: completionId,
    object: 'chat.completion',
    created: 1793510400,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
  });
}

const answer =
  (label: string) =>
  async ({ request }: { request: Request }) => {
    const body = (await request.json()) as { model: string; stream?: boolean };
    seen.push({
      url: request.url,
      authorization: request.headers.get('authorization'),
      orgHeader: request.headers.get('x-org'),
      stream: body.stream === true,
      model: body.model,
    });
    const text = `${label} says hi`;
    return body.stream ? streamed(body.model, text) : whole(body.model, text);
  };

const servers = setupServer(
  http.post('https://api.groq.example/openai/v1/chat/completions', answer('groq')),
  http.post('https://llm.other.example/v1/chat/completions', answer('other')),
  http.post('https://rebind.example/v1/chat/completions', answer('rebind')),
  http.post('http://127.0.0.1:11434/v1/chat/completions', answer('ollama')),
);

const logLines: string[] = [];
let runner: ReturnType<typeof createRunner> | undefined;

beforeAll(async () => {
  servers.listen({ onUnhandledFrame: 'bypass' });
  const logger = pino(
    { level: 'trace' },
    new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  runner = createRunner({
    databaseUrl: api.database.url,
    logger,
    poolSize: 4,
    drainSeconds: 5,
    pollSeconds: 0.5,
    superviseSeconds: 1,
    scheduler: false,
    createLlm: ({ db, logger: log, invalidation }) =>
      createLlmClient({
        db,
        logger: log,
        invalidation,
        secretKeys: createSecretKeyring({ current: SECRET_KEY }),
        providers: {},
        // No allow-list on the runner; and here `rebind.example` resolves to loopback.
        compatibleGuard: { resolveHost: resolver({ 'rebind.example': '127.0.0.1' }) },
        sleep: async () => {},
      }),
  });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.stop();
  servers.close();
});

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

const agent = (id: string, credential: string, model: string, prompt: string, x: number) => ({
  id,
  type: 'agent',
  name: id,
  position: { x, y: 0 },
  config: {
    role: id,
    provider: 'openai-compatible',
    credential,
    model,
    prompt,
    useModelMap: false,
    retry: { retries: 0 },
  },
});

/** input → each agent in turn → output. */
function chain(...agents: Array<ReturnType<typeof agent>>) {
  const nodes = [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    ...agents,
    { id: 'output', type: 'output', name: 'Out', position: { x: 900, y: 0 }, config: {} },
  ];
  const edges = nodes.slice(1).map((node, i) => ({ id: `e${i}`, source: nodes[i]!.id, target: node.id }));
  return { nodes, edges };
}

async function runToEnd(client: Client, definition: unknown) {
  const workflow = await client.workflows.create.mutate({ name: 'Compat', definition: definition as never });
  const { executionId: id } = await client.runs.start.mutate({ workflowId: workflow.id, input: { q: 'hi' } });
  await new Promise<void>((resolve, reject) => {
    client.runs.events.subscribe({ id }, { onData: () => {}, onError: reject, onComplete: resolve });
  });
  return client.runs.get.query({ id });
}

describe('openai-compatible credentials', () => {
  let client: Client;
  let userId: string;

  beforeAll(async () => {
    ({
      client,
      user: { id: userId },
    } = await api.signUp());
    await client.providers.compatible.set.mutate({
      name: 'groq',
      baseUrl: 'https://api.groq.example/openai/v1',
      apiKey: GROQ_KEY,
      headers: { 'X-Org': HEADER_SECRET },
    });
    await client.providers.compatible.set.mutate({
      name: 'other',
      baseUrl: 'https://llm.other.example/v1/',
      apiKey: OTHER_KEY,
      stream: false,
    });
  });

  it('lists credentials without their keys or header values', async () => {
    const list = await client.providers.compatible.list.query();
    expect(list).toEqual([
      expect.objectContaining({
        name: 'groq',
        baseUrl: 'https://api.groq.example/openai/v1',
        headerNames: ['X-Org'],
        stream: true,
        hint: 'aaaa',
      }),
      expect.objectContaining({ name: 'other', baseUrl: 'https://llm.other.example/v1', stream: false }),
    ]);
    const text = JSON.stringify(list);
    for (const secret of [GROQ_KEY, OTHER_KEY, HEADER_SECRET]) expect(text).not.toContain(secret);
  });

  it('runs two agents on two named credentials; unpriced until the user prices them', async () => {
    const definition = chain(
      agent('draft', 'groq', 'llama-3.3-70b', '{{input.q}}', 200),
      agent('check', 'other', 'qwen2.5', '{{nodes.draft.output}}', 500),
    );
    seen.length = 0;
    const unpriced = await runToEnd(client, definition);
    expect(unpriced.status).toBe('succeeded');
    expect(unpriced.output).toEqual({ check: 'other says hi' });
    expect(seen).toEqual([
      {
        url: 'https://api.groq.example/openai/v1/chat/completions',
        authorization: `Bearer ${GROQ_KEY}`,
        orgHeader: HEADER_SECRET,
        stream: true,
        model: 'llama-3.3-70b',
      },
      {
        url: 'https://llm.other.example/v1/chat/completions',
        authorization: `Bearer ${OTHER_KEY}`,
        orgHeader: null,
        stream: false,
        model: 'qwen2.5',
      },
    ]);
    // Unknown, never $0: on the run, its steps and each attempt of the ledger.
    expect(unpriced).toMatchObject({ costMicros: null, knownCostMicros: 0, unknownCostAttempts: 2 });
    for (const step of unpriced.steps.filter((s) => s.attempts.length > 0)) {
      expect(step).toMatchObject({ costMicros: null, unknownCostAttempts: 1 });
      expect(step.attempts).toEqual([
        expect.objectContaining({
          requestedProvider: 'openai-compatible',
          costStatus: 'unpriced',
          costMicros: null,
          errorClass: null,
        }),
      ]);
    }
    const draft = unpriced.steps.find((s) => s.nodeId === 'draft')!;
    expect(draft.attempts[0]!.timeToFirstTokenMs).not.toBeNull(); // streamed
    const check = unpriced.steps.find((s) => s.nodeId === 'check')!;
    expect(check.attempts[0]!.timeToFirstTokenMs).toBeNull(); // stream off

    // $0.59 / $0.79 per 1M on groq's model, $0.10 / $0.20 on the other's.
    await client.providers.compatible.prices.set.mutate({
      credential: 'groq',
      model: 'llama-3.3-70b',
      inputPerMillionMicros: 590_000,
      outputPerMillionMicros: 790_000,
    });
    await client.providers.compatible.prices.set.mutate({
      credential: 'other',
      model: 'qwen2.5',
      inputPerMillionMicros: 100_000,
      outputPerMillionMicros: 200_000,
    });
    const priced = await runToEnd(client, definition);
    expect(priced.status).toBe('succeeded');
    // 1000 in + 200 out: 590 + 158 on groq, 100 + 40 on the other.
    expect(priced).toMatchObject({ costMicros: 888, unknownCostAttempts: 0 });
    expect(priced.steps.find((s) => s.nodeId === 'draft')).toMatchObject({ costMicros: 748 });
    expect(priced.steps.find((s) => s.nodeId === 'check')).toMatchObject({ costMicros: 140 });

    // Another user's price list is their own; a price for a credential one lacks is NOT_FOUND.
    const stranger = await api.signUp();
    expect(await stranger.client.providers.compatible.prices.list.query()).toEqual([]);

    // Breakers and health are kept per owner and credential, never shared across users.
    // (Successes are written once a second: wait for them.)
    const healthModels = async () =>
      (
        await api.database.sql<{ model: string }[]>`
          select distinct model from provider_health_buckets where provider = 'openai-compatible'
          order by model`
      ).map((row) => row.model);
    await expect
      .poll(healthModels, { timeout: 10_000, interval: 100 })
      .toEqual([`${userId}/groq/llama-3.3-70b`, `${userId}/other/qwen2.5`]);

    // The shared health report shows no one's endpoint names or models to another user.
    const theirs = JSON.stringify(await stranger.client.providers.health.query({}));
    expect(theirs).not.toContain('llama-3.3-70b');
    expect(theirs).not.toContain(userId);

    // A breaker change of this user's endpoint is shown to them (without their id), to no one else.
    await api.database.sql`
      insert into provider_events (kind, provider, model, detail)
      values ('breaker', 'openai-compatible', ${`${userId}/groq/llama-3.3-70b`}, '{"to":"open"}'::jsonb)`;
    const ownEvents = await client.providers.events.query({});
    expect(ownEvents.map((e) => e.model)).toContain('groq/llama-3.3-70b');
    const strangerEvents = JSON.stringify(await stranger.client.providers.events.query({}));
    expect(strangerEvents).not.toContain(userId);
    expect(strangerEvents).not.toContain('llama-3.3-70b');

    // The keys and the header value never reached the runner's log.
    const log = logLines.join('');
    for (const secret of [GROQ_KEY, OTHER_KEY, HEADER_SECRET]) expect(log).not.toContain(secret);
  }, 60_000);

  it('refuses private, loopback and link-local base URLs when saving', async () => {
    for (const [baseUrl, reason] of [
      ['http://169.254.169.254/', 'link-local'],
      ['http://127.0.0.1:11434/v1', 'loopback'],
      ['http://[::1]:8000/v1', 'loopback'],
      ['http://10.1.2.3/v1', 'private'],
    ] as const) {
      const error = await expectApiError(
        client.providers.compatible.set.mutate({ name: 'local', baseUrl, apiKey: 'ollama' }),
        'BAD_REQUEST',
      );
      expect(error.message).toContain('baseUrl');
      expect(error.message).toContain(reason);
      expect(error.message).toContain('OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES');
    }
    expect((await client.providers.compatible.list.query()).map((c) => c.name)).not.toContain('local');

    // An operator's allow-list lets a local Ollama through (the same check the API runs).
    const keyring = createSecretKeyring({ current: SECRET_KEY })!;
    const allowLocal = { allowedPrivateRanges: ['127.0.0.1/32'] };
    await storeCompatibleCredential(api.database.db, keyring, allowLocal, userId, {
      name: 'local-ollama',
      baseUrl: 'http://127.0.0.1:11434/v1',
      apiKey: 'ollama',
    });
    await expect(
      storeCompatibleCredential(api.database.db, keyring, allowLocal, userId, {
        name: 'metadata',
        baseUrl: 'http://169.254.169.254/',
        apiKey: 'x',
      }),
    ).rejects.toThrow(/link-local/);
  });

  it('refuses at connect time: a name that now resolves to loopback, a literal the runner refuses', async () => {
    await client.providers.compatible.set.mutate({
      name: 'rebind',
      baseUrl: 'https://rebind.example/v1',
      apiKey: 'sk-rebind-key-00000000',
    });
    seen.length = 0;
    for (const [credential, host] of [
      ['rebind', 'rebind.example (127.0.0.1)'],
      ['local-ollama', '127.0.0.1'],
    ] as const) {
      const run = await runToEnd(client, chain(agent('ask', credential, 'llama3.2', '{{input.q}}', 200)));
      expect(run.status).toBe('failed');
      const [attempt] = run.steps.find((s) => s.nodeId === 'ask')!.attempts;
      expect(attempt).toMatchObject({ errorClass: 'auth', costMicros: null });
      expect(attempt!.errorMessage).toContain(`refused to connect to ${host}`);
      expect(attempt!.errorMessage).toContain('loopback');
      expect(attempt!.errorMessage).toContain('OPENAI_COMPATIBLE_ALLOWED_PRIVATE_RANGES');
    }
    // Nothing was sent.
    expect(seen).toEqual([]);
  }, 60_000);
});
