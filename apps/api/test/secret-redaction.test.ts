/**
 * Secrets never persisted or logged in clear, end to end: a real API and a real runner (in this
 * process, built as their mains build them, loggers captured), the real `openai` SDK making the
 * call, and msw at the HTTP boundary answering 401 in OpenAI's wire format with the key echoed
 * back — as a misbehaving gateway does. Canary keys: one stored by a user through the API
 * (credential-shaped), one the operator's environment key (deliberately not credential-shaped, so
 * only redaction by value can catch it). Webhook secrets (signed and url-secret) are echoed by the
 * sender in a header, the query and the body, and copied into the run by the mapping.
 *
 * Then the canaries are searched for in every API response that could carry them, in every log
 * line of both processes, and in a `pg_dump` of the whole test database.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { redactingLoggerOptions } from '@swarm/engine';
import { createSecretKeyring, generateSecretKey } from '@swarm/providers/store';
import { createLlmClient, createRunner } from '@swarm/runner/testing';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { standardHeaders } from './standard-webhooks.ts';
import { openAiAgentWorkflow } from './workflows.ts';

const run = promisify(execFile);
const canary = () => randomBytes(12).toString('hex');
/** A user's stored OpenAI key: looks like one. */
const STORED_KEY = `sk-canary-${canary()}`;
/** The operator's OPENAI_API_KEY: looks like nothing in particular, so only its value can give it away. */
const ENV_KEY = `operator-canary-${canary()}`;
const secretKey = generateSecretKey();

/** Log lines of one process, as written (after the logger's hooks). */
function captureLines(lines: string[]) {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
}
const apiLines: string[] = [];
const runnerLines: string[] = [];
const api = useApiServer({
  secretKey,
  logger: pino(
    redactingLoggerOptions({ service: 'api', level: 'trace', secretKey }).options,
    captureLines(apiLines),
  ),
});

/** What OpenAI says to a wrong key — here with the whole key, as gateways and proxies do. */
const sentKeys: string[] = [];
const openai = setupServer(
  http.post('https://api.openai.com/v1/chat/completions', ({ request }) => {
    const key = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
    sentKeys.push(key);
    return HttpResponse.json(
      {
        error: {
          message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
      { status: 401, headers: { 'x-request-id': `req_${key}` } },
    );
  }),
);

let runner: ReturnType<typeof createRunner> | undefined;

beforeAll(async () => {
  // Only OpenAI is faked; the test's own calls to the API go through.
  openai.listen({ onUnhandledFrame: 'bypass' });
  const { options, redactor } = redactingLoggerOptions({ service: 'runner', level: 'trace', secretKey });
  const logger = pino(options, captureLines(runnerLines));
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
        redactor,
        secretKeys: createSecretKeyring({ current: secretKey }),
        providers: { openai: { apiKey: ENV_KEY } },
      }),
  });
  await runner.start();
}, 60_000);

afterAll(async () => {
  await runner?.stop();
  openai.close();
});

type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

const agentWorkflow = openAiAgentWorkflow('gpt-4o-mini');

const echoWorkflow = {
  nodes: [
    { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
    { id: 'output', type: 'output', name: 'Out', position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e1', source: 'input', target: 'output' }],
};

async function finished(client: Client, id: string) {
  await expect
    .poll(async () => (await client.runs.get.query({ id })).status, { timeout: 30_000, interval: 100 })
    .toMatch(/^(succeeded|failed|cancelled)$/);
  return client.runs.get.query({ id });
}

/** Every event `runs.events` sends for a finished run (the stream ends by itself). */
async function runEvents(client: Client, id: string): Promise<unknown[]> {
  const events: unknown[] = [];
  await new Promise<void>((resolve, reject) => {
    client.runs.events.subscribe(
      { id },
      { onData: (event) => events.push(event), onError: reject, onComplete: resolve },
    );
  });
  return events;
}

async function get(path: string, token: string): Promise<string> {
  const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status, path).toBe(200);
  return Buffer.from(await response.arrayBuffer()).toString('utf8');
}

/** The whole test database as SQL, by a pg_dump of the server's own major version. */
async function pgDump(): Promise<string> {
  const [row] = await api.database.sql<{ v: string }[]>`select current_setting('server_version_num') as v`;
  const major = Math.floor(Number(row!.v) / 10000);
  const candidates = [`/usr/lib/postgresql/${major}/bin/pg_dump`, 'pg_dump'];
  let lastError: unknown;
  for (const bin of candidates) {
    try {
      const { stdout: version } = await run(bin, ['--version']);
      if (!version.includes(` ${major}.`)) continue;
      const { stdout } = await run(bin, ['--no-owner', api.database.url], { maxBuffer: 512 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`no pg_dump of major version ${major} found (${String(lastError)})`);
}

function expectNoCanary(where: string, text: string, secrets: readonly string[]) {
  for (const secret of secrets) {
    if (text.includes(secret)) {
      const at = text.indexOf(secret);
      throw new Error(`${where} contains a secret in clear: …${text.slice(Math.max(0, at - 200), at + 80)}…`);
    }
  }
}

describe('secrets echoed back by a provider or a sender', () => {
  it('appear nowhere in clear: API responses, logs, or any table', async () => {
    // A user with a stored key, and one without (the operator's key is used for them).
    const stored = await api.signUp();
    await stored.client.providers.credentials.set.mutate({ provider: 'openai', apiKey: STORED_KEY });
    const operator = await api.signUp();

    const runs: Array<{ who: typeof stored; executionId: string; workflowId: string }> = [];
    for (const who of [stored, operator]) {
      const workflow = await who.client.workflows.create.mutate({
        name: 'Ask OpenAI',
        definition: agentWorkflow as never,
      });
      const { executionId } = await who.client.runs.start.mutate({
        workflowId: workflow.id,
        input: { q: 'hi' },
      });
      const done = await finished(who.client, executionId);
      expect(done.status).toBe('failed');
      runs.push({ who, executionId, workflowId: workflow.id });
    }
    // The real SDK sent each key, and the provider echoed it.
    expect(sentKeys).toContain(STORED_KEY);
    expect(sentKeys).toContain(ENV_KEY);

    // The failures still say what happened, with the key replaced (the first attempt is OpenAI's;
    // the model map then falls back to providers without keys).
    const openAiAttempt = async (who: typeof stored, id: string) => {
      const detail = await who.client.runs.get.query({ id });
      const attempts = detail.steps.find((s) => s.nodeId === 'ask')!.attempts;
      return attempts.find((a) => a.servedProvider === 'openai')!;
    };
    expect(await openAiAttempt(stored, runs[0]!.executionId)).toMatchObject({
      errorClass: 'auth',
      errorMessage: expect.stringContaining('Incorrect API key provided: [redacted]. You can find'),
    });
    expect(await openAiAttempt(operator, runs[1]!.executionId)).toMatchObject({
      errorClass: 'auth',
      errorMessage: expect.stringContaining('Incorrect API key provided: [redacted]. You can find'),
    });

    // Webhooks: signed and url-secret; the sender echoes the secret in a header, the query and the
    // body, and the mapping copies all of it into the run.
    const hookFlow = await stored.client.workflows.create.mutate({
      name: 'Hooked',
      definition: echoWorkflow as never,
    });
    const mapping = '{ "fromHeader": $headers."x-echo", "fromQuery": $query.echo, "body": $ }';
    const signed = await stored.client.webhooks.create.mutate({
      workflowId: hookFlow.id,
      auth: 'signature',
      mapping,
    });
    const byUrl = await stored.client.webhooks.create.mutate({
      workflowId: hookFlow.id,
      auth: 'url-secret',
      mapping,
    });
    const webhookSecrets = [signed.secret, byUrl.secret];
    const hookRuns: string[] = [];
    {
      const body = JSON.stringify({ secretCopy: signed.secret, note: `plain ${signed.secret}` });
      const response = await fetch(`${signed.url}?echo=${encodeURIComponent(signed.secret)}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-echo': signed.secret,
          ...standardHeaders(signed.secret, body),
        },
        body,
      });
      expect(response.status).toBe(202);
      hookRuns.push(((await response.json()) as { executionId: string }).executionId);
    }
    {
      const response = await fetch(`${byUrl.triggerUrl}?echo=${encodeURIComponent(byUrl.secret)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-echo': byUrl.secret },
        body: JSON.stringify({ secretCopy: byUrl.secret }),
      });
      expect(response.status).toBe(202);
      hookRuns.push(((await response.json()) as { executionId: string }).executionId);
    }
    // A refused call (wrong secret in the URL) is logged too.
    expect((await fetch(`${byUrl.url}/whsec_${'x'.repeat(32)}`, { method: 'POST', body: '{}' })).status).toBe(
      401,
    );
    for (const id of hookRuns) {
      const done = await finished(stored.client, id);
      expect(done.status).toBe('succeeded');
      expect(done.input).toMatchObject({ fromHeader: expect.stringContaining('[redacted]') });
    }

    const secrets = [STORED_KEY, ENV_KEY, ...webhookSecrets];
    // Every response that could carry them.
    const responses: Array<[string, unknown]> = [];
    for (const { who, executionId, workflowId } of runs) {
      responses.push(['runs.get', await who.client.runs.get.query({ id: executionId })]);
      responses.push(['runs.list', await who.client.runs.list.query({})]);
      responses.push(['runs.events', await runEvents(who.client, executionId)]);
      responses.push(['providers.events', await who.client.providers.events.query({})]);
      responses.push(['providers.health', await who.client.providers.health.query({})]);
      responses.push(['providers.credentials.list', await who.client.providers.credentials.list.query()]);
      responses.push(['analytics CSV', await get('/api/analytics/export.csv', who.token)]);
      responses.push([
        'workflow export',
        await get(
          `/api/workflows/${workflowId}/export?executions=true&schedules=true&webhooks=true`,
          who.token,
        ),
      ]);
    }
    for (const id of hookRuns) {
      responses.push(['runs.get (webhook)', await stored.client.runs.get.query({ id })]);
      responses.push(['runs.events (webhook)', await runEvents(stored.client, id)]);
    }
    for (const hook of [signed, byUrl]) {
      responses.push(['webhooks.logs', await stored.client.webhooks.logs.query({ id: hook.id })]);
      responses.push(['webhooks.list', await stored.client.webhooks.list.query({ workflowId: hookFlow.id })]);
    }
    responses.push([
      'workflow export (webhooks)',
      await get(`/api/workflows/${hookFlow.id}/export?executions=true&webhooks=true`, stored.token),
    ]);
    for (const [where, response] of responses) {
      expectNoCanary(where, typeof response === 'string' ? response : JSON.stringify(response), secrets);
    }
    // The provider events did record the fallback away from the failing key.
    expect(JSON.stringify(responses.filter(([w]) => w === 'providers.events'))).toContain(
      '"kind":"fallback"',
    );

    // Every log line of both processes (and they did log the failures).
    await runner!.stop();
    runner = undefined;
    expect(runnerLines.join('')).toContain('llm call failed');
    expect(apiLines.length).toBeGreaterThan(0);
    expectNoCanary('runner log', runnerLines.join(''), secrets);
    expectNoCanary('api log', apiLines.join(''), secrets);

    // Every table.
    const dump = await pgDump();
    expect(dump).toContain('execution_costs');
    expectNoCanary('pg_dump', dump, secrets);
    // …while the redacted failures are there.
    expect(dump).toContain('Incorrect API key provided: [redacted]');
  }, 120_000);

  it('are redacted from a workflow export by value, not only under credential header names', async () => {
    const { client, token } = await api.signUp();
    const key = `sk-proj-${canary()}${canary()}`;
    const workflow = await client.workflows.create.mutate({
      name: 'Calls out',
      definition: {
        nodes: [
          { id: 'input', type: 'input', name: 'In', position: { x: 0, y: 0 }, config: {} },
          {
            id: 'call',
            type: 'http',
            name: 'Call',
            position: { x: 200, y: 0 },
            config: {
              method: 'GET',
              url: 'https://api.example.com/things',
              headers: { 'X-Note': key, Authorization: 'Token abc', accept: 'application/json' },
            },
          },
        ],
        edges: [{ id: 'e1', source: 'input', target: 'call' }],
      } as never,
    });
    const text = await get(`/api/workflows/${workflow.id}/export`, token);
    expectNoCanary('workflow export', text, [key, 'Token abc']);
    const doc = JSON.parse(text) as {
      workflow: { nodes: Array<{ id: string; config: { headers?: unknown } }> };
    };
    expect(doc.workflow.nodes.find((n) => n.id === 'call')!.config.headers).toEqual({
      'X-Note': 'sk-proj-[redacted]',
      Authorization: '[redacted]',
      accept: 'application/json',
    });
    // The stored draft keeps its header: only what leaves is redacted.
    const draft = await client.workflows.get.query({ id: workflow.id });
    expect(JSON.stringify(draft)).toContain(key);
  });
});
