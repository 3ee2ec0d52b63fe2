/**
 * What the webhook test files share: an API server with a secret key and a small webhook body
 * limit, whose clock the tests can set (signature timestamps, secret grace, Retry-After follow it),
 * optionally an in-process runner (for `?wait`), and helpers to create a hooked workflow, send raw
 * HTTP calls and count a workflow's runs.
 */
import { generateSecretKey } from '@swarm/providers/store';
import { createRunner } from '@swarm/runner/testing';
import pino from 'pino';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { useApiServer } from '../src/testing.ts';

export const secretKey = generateSecretKey();
export const BODY_LIMIT = 128 * 1024;

/** The server's clock: real time unless a test sets it; every test starts on real time again. */
export interface TestClock {
  now(): number;
  /** Stops the clock at `ms` (since the epoch) until the test ends. */
  set(ms: number): void;
}

const node = (id: string, type: string, x: number, config: object = {}) => ({
  id,
  type,
  name: id,
  position: { x, y: 0 },
  config,
});

/** input → output, input `{ query: string }` required. */
export const echo = {
  nodes: [node('input', 'input', 0), node('output', 'output', 200)],
  edges: [{ id: 'e1', source: 'input', target: 'output' }],
  inputSchema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
};

/** A run that takes a minute (mock agent with a delay). */
export const slow = {
  nodes: [
    node('input', 'input', 0),
    node('wait', 'agent', 200, { role: 'waiter', provider: 'mock', model: 'delay:60000', prompt: 'x' }),
    node('output', 'output', 400),
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'wait' },
    { id: 'e2', source: 'wait', target: 'output' },
  ],
};

export function useWebhookApi(options: { runner?: boolean } = {}) {
  let frozenAt: number | null = null;
  const clock: TestClock = {
    now: () => frozenAt ?? Date.now(),
    set: (ms) => {
      frozenAt = ms;
    },
  };
  afterEach(() => {
    frozenAt = null;
  });
  // Every test signs up its own user: more than the default sign-ups per address and hour.
  const api = useApiServer({
    secretKey,
    webhookBodyLimitBytes: BODY_LIMIT,
    authLimits: { signupPerIp: 1000 },
    now: clock.now,
  });

  if (options.runner) {
    let runner: ReturnType<typeof createRunner> | undefined;
    beforeAll(async () => {
      runner = createRunner({
        databaseUrl: api.database.url,
        logger: pino({ level: 'silent' }),
        poolSize: 3,
        drainSeconds: 1,
        runConcurrency: 4,
        pollSeconds: 0.5,
        scheduler: false,
      });
      await runner.start();
    }, 60_000);
    afterAll(async () => {
      await runner?.stop();
    });
  }

  type Client = Awaited<ReturnType<typeof api.signUp>>['client'];

  async function setup(
    webhookOptions: Partial<Parameters<Client['webhooks']['create']['mutate']>[0]> = {},
    definition: object = echo,
  ) {
    const { client } = await api.signUp();
    const workflow = await client.workflows.create.mutate({
      name: 'Hooked',
      definition: definition as never,
    });
    const webhook = await client.webhooks.create.mutate({
      workflowId: workflow.id,
      auth: 'signature',
      ...webhookOptions,
    });
    return { client, workflow, webhook };
  }

  async function executionCount(workflowId: string): Promise<number> {
    const [row] = await api.database.sql<{ n: number }[]>`
      select count(*)::int as n from executions where workflow_id = ${workflowId}`;
    return row!.n;
  }

  return { api, clock, setup, executionCount };
}

export interface Sent {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Sent> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {}, headers: response.headers };
}
