/**
 * A user's JSONata cannot stall the API: a webhook mapping (route, "send test") and the editor's
 * mapping preview that block in one builtin call or eat memory fail with an error naming the limit,
 * while the same API process keeps answering other requests and creates no run.
 */
import { generateSecretKey } from '@swarm/providers/store';
import { describe, expect, it } from 'vitest';
import { useApiServer } from '../src/testing.ts';
import { expectApiError } from './expect-error.ts';
import { standardHeaders } from './standard-webhooks.ts';

/** The expression that froze runners and the API: one `$pad` call building a 200 MB string. */
const PAD_BOMB = '$length($pad("", 200000000, "x"))';
/** One builtin call that runs for minutes in little memory (`$distinct` compares every pair). */
const BLOCKING = '$count($distinct([1..100000].{"a": $}))';
/** A hundred thousand distinct 1 MB strings: far past any worker's heap. */
const MEMORY_HUNGRY = '$count([1..100000].$uppercase($pad($string($), 1000000, "x")))';
const LIMIT = /ran longer than \d+ ms|more than the \d+ MB of memory|over the limit of \d+ characters/;

const api = useApiServer({
  secretKey: generateSecretKey(),
  authLimits: { signupPerIp: 1000 },
  expressionPool: { workers: 2, heapMb: 64 },
});

const echo = {
  nodes: [
    { id: 'input', type: 'input', name: 'input', position: { x: 0, y: 0 }, config: {} },
    { id: 'output', type: 'output', name: 'output', position: { x: 200, y: 0 }, config: {} },
  ],
  edges: [{ id: 'e1', source: 'input', target: 'output' }],
};

/**
 * Sends `hostile` and, while it is in flight, `probes` one after the other: every probe must be
 * answered before the hostile request is (the API's event loop was never blocked by it).
 */
async function whileInFlight<T>(hostile: Promise<T>, probe: () => Promise<unknown>, probes = 5) {
  let hostileDone = false;
  const settled = hostile.finally(() => {
    hostileDone = true;
  });
  // Handled now (read below): it may fail while the probes are still going.
  settled.catch(() => {});
  const answeredWhileInFlight: boolean[] = [];
  for (let i = 0; i < probes; i++) {
    await probe();
    answeredWhileInFlight.push(!hostileDone);
  }
  const [result] = await Promise.allSettled([settled]);
  return { result: result!, answeredWhileInFlight };
}

const healthz = async () => {
  const response = await fetch(`${api.url}/healthz`);
  expect(response.status).toBe(200);
};

describe('hostile expressions and the API', () => {
  for (const [name, hostile] of [
    ['200 MB $pad', PAD_BOMB],
    ['blocking', BLOCKING],
    ['memory-hungry', MEMORY_HUNGRY],
  ] as const) {
    it(`a ${name} webhook mapping is answered 400 naming the limit; /healthz answers meanwhile; no run`, async () => {
      const { client } = await api.signUp();
      const workflow = await client.workflows.create.mutate({ name: 'Hooked', definition: echo as never });
      const webhook = await client.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'signature',
        mapping: hostile,
      });
      const body = JSON.stringify({ hello: 'world' });
      const call = fetch(webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...standardHeaders(webhook.secret, body) },
        body,
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
      const { result, answeredWhileInFlight } = await whileInFlight(call, healthz);
      // The bounded `$pad` refuses the bomb at once; the others take their worker down meanwhile.
      if (hostile !== PAD_BOMB) expect(answeredWhileInFlight[0]).toBe(true);
      expect(result.status).toBe('fulfilled');
      const answer = (result as PromiseFulfilledResult<Awaited<typeof call>>).value;
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toMatch(LIMIT);

      // "Send test" goes the same way.
      await expectApiError(client.webhooks.test.mutate({ id: webhook.id, payload: {} }), 'BAD_REQUEST', {
        message: LIMIT,
      });
      const [row] = await api.database.sql<{ n: number }[]>`
        select count(*)::int as n from executions where workflow_id = ${workflow.id}`;
      expect(row!.n).toBe(0);
      const logs = await client.webhooks.logs.query({ id: webhook.id });
      expect(logs.items.map((log) => log.outcome)).toEqual(['invalid-input', 'invalid-input']);
    });

    it(`the mapping preview of a ${name} expression fails naming the limit while other calls are answered`, async () => {
      const { client } = await api.signUp();
      const preview = client.webhooks.previewMapping.mutate({ mapping: hostile, payload: { a: 1 } });
      const { result, answeredWhileInFlight } = await whileInFlight(preview, () => client.auth.me.query());
      // The bounded `$pad` refuses the bomb at once; the others take their worker down meanwhile.
      if (hostile !== PAD_BOMB) expect(answeredWhileInFlight[0]).toBe(true);
      expect(result.status).toBe('rejected');
      await expectApiError(preview, 'BAD_REQUEST', { message: LIMIT });
      // And an ordinary preview right after.
      expect(
        await client.webhooks.previewMapping.mutate({
          mapping: '{ "query": issue.title, "event": $headers."x-event" }',
          payload: { issue: { title: 'Bug' } },
          headers: { 'x-event': 'issues' },
        }),
      ).toEqual({ input: { query: 'Bug', event: 'issues' } });
    });
  }
});
