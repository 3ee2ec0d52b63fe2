/**
 * The runner's LLM client against a real database and a local HTTP server that speaks OpenAI's
 * streaming wire format: whose key goes out (the owner's stored one, else the operator's), that
 * the mock needs none, and that failures carry their attempts. Logs are captured and searched for
 * keys.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { listProviderEvents } from '@swarm/db';
import { useTestDatabase } from '@swarm/db/testing/vitest';
import type { LlmFailure } from '@swarm/engine';
import { createSecretKeyring, generateSecretKey, storeCredential, upsertPrice } from '@swarm/providers/store';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRunnerEnv } from '../src/env.ts';
import { createLlmClient, type LlmClientOptions, llmProvidersFromEnv } from '../src/llm.ts';

const database = useTestDatabase();
const secretKeys = createSecretKeyring({ current: generateSecretKey() })!;
const ENV_KEY = 'sk-operator-env-key-0000000000';
const OWNER_KEY = 'sk-owner-stored-key-1111111111';

interface Seen {
  authorization: string | undefined;
  model: string;
}
let seen: Seen[] = [];
/** What the fake OpenAI answers; a test may replace it. */
let respond: (req: IncomingMessage, res: ServerResponse, body: { model: string }) => void;

function streamAnswer(res: ServerResponse, model: string, text: string) {
  const chunk = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1793510400, model, choices, usage })}\n\n`;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: { content: text }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
  res.write(chunk([], { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 }));
  res.end('data: [DONE]\n\n');
}

function answerError(res: ServerResponse, status: number, message: string, type: string) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type, param: null, code: null } }));
}

const defaultRespond: typeof respond = (_req, res, body) =>
  streamAnswer(res, body.model, 'hello from openai');

let server: Server;
let baseUrl: string;
const logLines: string[] = [];
const logger = pino(
  { level: 'trace' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

beforeAll(async () => {
  server = createServer(async (req, res) => {
    let raw = '';
    for await (const part of req) raw += part;
    const body = JSON.parse(raw) as { model: string };
    seen.push({ authorization: req.headers.authorization, model: body.model });
    respond(req, res, body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server?.close();
});
afterEach(() => {
  seen = [];
  respond = defaultRespond;
});
respond = defaultRespond;

let count = 0;
async function newOwner(): Promise<string> {
  count += 1;
  const [row] = await database.sql<{ id: string }[]>`
    insert into users (email, password_hash) values (${`llm${count}@example.com`}, 'x') returning id`;
  return row!.id;
}
/** A model name of its own per test: breakers and prices are shared per provider/model. */
const freshModel = () => `gpt-test-${++count}`;

function client(overrides: Partial<LlmClientOptions> = {}) {
  return createLlmClient({
    db: database.db,
    logger,
    secretKeys,
    providers: { openai: { apiKey: ENV_KEY, baseUrl } },
    breakers: { cacheMs: 0 },
    sleep: async () => {},
    ...overrides,
  });
}

const ask = { messages: [{ role: 'user' as const, content: 'Say hello.' }] };
const context = (executionId = crypto.randomUUID()) => ({
  executionId,
  nodeId: 'writer',
  agentRole: 'writer',
});

async function failureOf(call: Promise<unknown>): Promise<LlmFailure> {
  try {
    await call;
  } catch (error) {
    return error as LlmFailure;
  }
  throw new Error('expected the call to fail');
}

describe('runner LLM client', () => {
  it("sends the owner's stored key rather than the operator's, and prices the answer", async () => {
    const owner = await newOwner();
    const model = freshModel();
    await storeCredential(database.db, secretKeys, owner, { provider: 'openai', apiKey: OWNER_KEY });
    await upsertPrice(database.db, {
      provider: 'openai',
      model,
      effectiveFrom: new Date('2020-01-01T00:00:00Z'),
      inputPerMillionMicros: 2_000_000,
      outputPerMillionMicros: 10_000_000,
    });

    const answer = await client()
      .forOwner(owner)
      .complete(ask, { chain: [{ provider: 'openai', model }] }, context());

    expect(seen).toEqual([{ authorization: `Bearer ${OWNER_KEY}`, model }]);
    expect(answer).toMatchObject({ text: 'hello from openai', provider: 'openai', model });
    expect(answer.attempts).toHaveLength(1);
    // 1000 in × $2/M + 200 out × $10/M = $0.004 = 4000 micro-dollars
    expect(answer.attempts[0]).toMatchObject({ reason: 'primary', costStatus: 'priced', costMicros: 4000 });
  });

  it("with the operator's stream setting off, sends plain requests (owners' keys too) and prices the JSON answer", async () => {
    const owner = await newOwner();
    const model = freshModel();
    await storeCredential(database.db, secretKeys, owner, { provider: 'openai', apiKey: OWNER_KEY });
    await upsertPrice(database.db, {
      provider: 'openai',
      model,
      effectiveFrom: new Date('2020-01-01T00:00:00Z'),
      inputPerMillionMicros: 2_000_000,
      outputPerMillionMicros: 10_000_000,
    });
    const streamed: unknown[] = [];
    respond = (_req, res, body) => {
      streamed.push((body as { stream?: unknown }).stream);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1793510400,
          model: body.model,
          choices: [
            { index: 0, message: { role: 'assistant', content: 'plain hello' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1000, completion_tokens: 200, total_tokens: 1200 },
        }),
      );
    };
    const answer = await client({ providers: { openai: { apiKey: ENV_KEY, baseUrl, stream: false } } })
      .forOwner(owner)
      .complete(ask, { chain: [{ provider: 'openai', model }] }, context());
    expect(streamed).toEqual([undefined]);
    expect(answer.text).toBe('plain hello');
    expect(answer.attempts[0]).toMatchObject({
      costStatus: 'priced',
      costMicros: 4000,
      timeToFirstTokenMs: null,
    });
  });

  it("falls back to the operator's key for an owner without one, per provider", async () => {
    const owner = await newOwner();
    // A key for another provider does not stand in for OpenAI's.
    await storeCredential(database.db, secretKeys, owner, { provider: 'anthropic', apiKey: OWNER_KEY });
    const model = freshModel();
    await client()
      .forOwner(owner)
      .complete(ask, { chain: [{ provider: 'openai', model }] }, context());
    expect(seen).toEqual([{ authorization: `Bearer ${ENV_KEY}`, model }]);
  });

  it('uses a changed key on the next call, and keeps owners apart', async () => {
    const llm = client();
    const [first, second] = [await newOwner(), await newOwner()];
    const model = freshModel();
    const chain = { chain: [{ provider: 'openai' as const, model }] };
    await storeCredential(database.db, secretKeys, first, {
      provider: 'openai',
      apiKey: 'sk-first-owner-key-aaaaaaaa',
    });
    await llm.forOwner(first).complete(ask, chain, context());
    await llm.forOwner(second).complete(ask, chain, context());
    await storeCredential(database.db, secretKeys, first, {
      provider: 'openai',
      apiKey: 'sk-first-owner-key-bbbbbbbb',
    });
    await llm.forOwner(first).complete(ask, chain, context());
    expect(seen.map((s) => s.authorization)).toEqual([
      'Bearer sk-first-owner-key-aaaaaaaa',
      `Bearer ${ENV_KEY}`,
      'Bearer sk-first-owner-key-bbbbbbbb',
    ]);
  });

  it('runs the mock provider with no key anywhere', async () => {
    const llm = client({ secretKeys: null, providers: {} });
    const answer = await llm
      .forOwner(await newOwner())
      .complete(ask, { chain: [{ provider: 'mock', model: 'template:hi {{input}}' }] }, context());
    expect(answer).toMatchObject({ text: 'hi Say hello.', provider: 'mock' });
    expect(seen).toEqual([]);
  });

  it('fails with every attempt attached, and logs the fallback with the execution', async () => {
    respond = (_req, res) => answerError(res, 503, 'The engine is currently overloaded', 'server_error');
    const model = freshModel();
    const executionId = crypto.randomUUID();
    const failure = await failureOf(
      client()
        .forOwner(await newOwner())
        .complete(
          ask,
          {
            chain: [
              { provider: 'openai', model },
              { provider: 'mock', model: 'fail:invalid' },
            ],
          },
          context(executionId),
        ),
    );
    expect(failure.message).toMatch(/mock\/fail:invalid failed \(invalid_request\)/);
    // Three tries of OpenAI (primary and two retries), then the mock, which is not retried.
    expect(failure.attempts?.map((a) => [a.servedProvider, a.reason, a.errorClass])).toEqual([
      ['openai', 'primary', 'overloaded'],
      ['openai', 'retry', 'overloaded'],
      ['openai', 'retry', 'overloaded'],
      ['mock', 'fallback:overloaded', 'invalid_request'],
    ]);
    expect(seen).toHaveLength(3);
    const events = await listProviderEvents(database.db, { executionId });
    expect(events).toMatchObject([
      { kind: 'fallback', provider: 'openai', model, errorClass: 'overloaded', executionId },
    ]);
  });

  it("never sends the operator's key when the owner's stored key can't be decrypted", async () => {
    const owner = await newOwner();
    await storeCredential(database.db, secretKeys, owner, { provider: 'openai', apiKey: OWNER_KEY });
    const model = freshModel();
    const policy = {
      chain: [
        { provider: 'openai' as const, model },
        { provider: 'mock' as const, model: 'echo' },
      ],
    };

    const otherKey = createSecretKeyring({ current: generateSecretKey() })!;
    const wrongKey = await client({ secretKeys: otherKey }).forOwner(owner).complete(ask, policy, context());
    expect(wrongKey.provider).toBe('mock');
    expect(wrongKey.attempts[0]).toMatchObject({ servedProvider: 'openai', errorClass: 'auth' });
    expect(wrongKey.attempts[0]!.errorMessage).toMatch(/stored openai key cannot be used: .*not configured/);

    const noKey = await failureOf(
      client({ secretKeys: null })
        .forOwner(owner)
        .complete(ask, { chain: [{ provider: 'openai', model }] }, context()),
    );
    expect(noKey.message).toMatch(/no SWARM_SECRET_KEY to decrypt it/);
    expect(noKey.attempts?.[0]).toMatchObject({ errorClass: 'auth' });
    expect(seen).toEqual([]);
  });

  it('never writes a key to the logs', async () => {
    respond = (_req, res) => answerError(res, 500, 'The server had an error', 'server_error');
    const owner = await newOwner();
    await storeCredential(database.db, secretKeys, owner, { provider: 'openai', apiKey: OWNER_KEY });
    const before = logLines.length;
    await failureOf(
      client()
        .forOwner(owner)
        .complete(
          ask,
          {
            chain: [
              { provider: 'openai', model: freshModel() },
              { provider: 'mock', model: 'fail:invalid' },
            ],
          },
          context(),
        ),
    );
    const logs = logLines.slice(before).join('');
    expect(logs).toContain('provider fallback');
    expect(logs).toContain('llm call failed');
    for (const key of [OWNER_KEY, ENV_KEY]) expect(logs).not.toContain(key);
  });

  it('reads keys, base URLs and stream settings from the parsed environment; production requires the secret key', () => {
    const base = { DATABASE_URL: 'postgres://localhost/swarm' };
    const env = parseRunnerEnv({
      ...base,
      OPENAI_API_KEY: 'sk-env',
      OPENAI_BASE_URL: 'http://gateway.internal/v1',
      OPENAI_STREAM: 'false',
      ANTHROPIC_API_KEY: '',
      GEMINI_API_KEY: 'g-env',
    });
    expect(llmProvidersFromEnv(env)).toEqual({
      openai: { apiKey: 'sk-env', baseUrl: 'http://gateway.internal/v1', stream: false },
      anthropic: { apiKey: undefined, baseUrl: undefined, stream: true },
      gemini: { apiKey: 'g-env', baseUrl: undefined, stream: true },
    });
    expect(() => parseRunnerEnv({ ...base, GEMINI_STREAM: 'nope' })).toThrow(
      /GEMINI_STREAM: must be true or false/,
    );
    expect(() => parseRunnerEnv({ ...base, OPENAI_BASE_URL: 'ftp://x' })).toThrow(
      /OPENAI_BASE_URL: must be an http\(s\) URL/,
    );
    expect(() => parseRunnerEnv({ ...base, NODE_ENV: 'production' })).toThrow(
      /SWARM_SECRET_KEY: required in production/,
    );
    expect(
      parseRunnerEnv({ ...base, NODE_ENV: 'production', SWARM_SECRET_KEY: generateSecretKey() }).NODE_ENV,
    ).toBe('production');
  });
});
