/**
 * A burst of webhook deliveries at the API process, Standard Webhooks signed, as a flaky sender
 * produces them: mostly new messages, some retries of messages already delivered (same
 * `webhook-id`), some forged. Every new message makes exactly one run; every retry answers the
 * first delivery's run and makes none; every forgery answers 401 and makes none.
 */
import { createSwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import { signStandardWebhook } from '@swarm/webhooks';
import { type ApiProcess, Checks, type Drill, scratchDatabase, spawnApi } from './lib.ts';

type Kind = 'good' | 'replay' | 'bad';
interface Outcome {
  status: number;
  executionId?: string;
  duplicate?: boolean;
}

/** A deterministic shuffle (so a failing burst can be run again the same way). */
function shuffled<T>(items: T[], seed = 42): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export const webhookBurst: Drill<{ requests: number; concurrency: number }> = {
  name: 'webhook-burst',
  proves:
    'under a burst with 10% replays and 10% forgeries: one run per new message, none for replays or forgeries',
  size: { requests: 2000, concurrency: 50 },
  async run({ requests, concurrency }) {
    const database = await scratchDatabase();
    let api: ApiProcess | undefined;
    try {
      api = await spawnApi(database.url, { SWARM_SECRET_KEY: generateSecretKey(), LOG_LEVEL: 'warn' });
      const { token } = await createSwarmClient({ url: api.url }).auth.signup.mutate({
        email: `burst-${Date.now()}@example.com`,
        password: 'correct horse battery',
      });
      const client = createSwarmClient({ url: api.url, token });
      const workflow = await client.workflows.create.mutate({
        name: 'Burst',
        definition: {
          nodes: [
            { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
            { id: 'output', type: 'output', name: 'Output', position: { x: 200, y: 0 }, config: {} },
          ],
          edges: [{ id: 'e1', source: 'input', target: 'output' }],
        },
      });
      const webhook = await client.webhooks.create.mutate({
        workflowId: workflow.id,
        auth: 'signature',
        rateLimitPerHour: 1_000_000,
      });
      const secret = webhook.secret!;
      const forger = `whsec_${Buffer.from('not the secret, 32 bytes long!!!').toString('base64')}`;
      const url = `${api.url}/webhooks/${webhook.id}`;

      // The first tenth are new messages so every replay has an earlier delivery to repeat.
      const tenth = Math.max(1, Math.round(requests / 10));
      const kinds: Kind[] = [
        ...Array<Kind>(tenth).fill('good'),
        ...shuffled([
          ...Array<Kind>(requests - 3 * tenth).fill('good'),
          ...Array<Kind>(tenth).fill('replay'),
          ...Array<Kind>(tenth).fill('bad'),
        ]),
      ];
      const messageIds = kinds.map((_, i) => `msg_drill_${i}`);
      const outcomes: Array<Promise<Outcome> | undefined> = [];
      const replayOf = new Map<number, number>();
      let seed = 7;
      const earlierGood = (i: number) => {
        for (;;) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          const j = seed % Math.max(1, i - concurrency);
          if (kinds[j] === 'good') return j;
        }
      };

      async function send(i: number): Promise<Outcome> {
        let index = i;
        if (kinds[i] === 'replay') {
          index = earlierGood(i);
          replayOf.set(i, index);
          await outcomes[index]; // the first delivery was answered before the retry is sent
        }
        const id = messageIds[index]!;
        const body = JSON.stringify({ query: `message ${index}` });
        const at = Math.floor(Date.now() / 1000);
        const signature = signStandardWebhook(kinds[i] === 'bad' ? forger : secret, id, at, body);
        const response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'webhook-id': kinds[i] === 'bad' ? `msg_forged_${i}` : id,
            'webhook-timestamp': String(at),
            'webhook-signature': signature,
          },
          body,
        });
        const answer = (await response.json().catch(() => ({}))) as Omit<Outcome, 'status'>;
        return { status: response.status, ...answer };
      }

      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < kinds.length) {
            const i = next++;
            outcomes[i] = send(i).catch((error: Error) => ({ status: -1, executionId: error.message }));
            await outcomes[i];
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const results = await Promise.all(outcomes as Promise<Outcome>[]);

      const checks = new Checks();
      const few = (list: number[]) =>
        `${list.length} (e.g. ${list
          .slice(0, 3)
          .map((i) => `#${i} → ${results[i]!.status}`)
          .join(', ')})`;
      const goods = kinds.flatMap((k, i) => (k === 'good' ? [i] : []));
      const replays = kinds.flatMap((k, i) => (k === 'replay' ? [i] : []));
      const bads = kinds.flatMap((k, i) => (k === 'bad' ? [i] : []));
      const goodWrong = goods.filter((i) => results[i]!.status !== 202 || !results[i]!.executionId);
      checks.check(goodWrong.length === 0, `new messages not answered 202 with a run: ${few(goodWrong)}`);
      const goodRuns = new Set(goods.map((i) => results[i]!.executionId));
      checks.check(
        goodRuns.size === goods.length,
        `${goods.length} new messages got ${goodRuns.size} distinct runs`,
      );
      const replayWrong = replays.filter((i) => {
        const r = results[i]!;
        return r.status !== 200 || !r.duplicate || r.executionId !== results[replayOf.get(i)!]!.executionId;
      });
      checks.check(
        replayWrong.length === 0,
        `replays not answered 200 with the first delivery's run: ${few(replayWrong)}`,
      );
      const badWrong = bads.filter((i) => results[i]!.status !== 401);
      checks.check(badWrong.length === 0, `forgeries not answered 401: ${few(badWrong)}`);

      const [rows] = await database.sql<{ runs: number; distinct_ids: number }[]>`
        select count(*)::int as runs, count(distinct id)::int as distinct_ids
        from executions where workflow_id = ${workflow.id}`;
      checks.check(
        rows!.runs === goods.length,
        `${rows!.runs} runs in the database for ${goods.length} new messages`,
      );
      const [calls] = await database.sql<{ accepted: number; duplicate: number; rejected: number }[]>`
        select count(*) filter (where outcome = 'accepted')::int as accepted,
               count(*) filter (where outcome = 'duplicate')::int as duplicate,
               count(*) filter (where outcome = 'rejected-signature')::int as rejected
        from webhook_logs where webhook_id = ${webhook.id}`;
      checks.check(
        calls!.accepted === goods.length &&
          calls!.duplicate === replays.length &&
          calls!.rejected === bads.length,
        `call log says ${calls!.accepted} accepted / ${calls!.duplicate} duplicate / ${calls!.rejected} rejected, expected ${goods.length} / ${replays.length} / ${bads.length}`,
      );

      return {
        figures: `${requests} requests at ${concurrency} in flight, ${(requests / seconds).toFixed(0)}/s: ${goods.length} new → ${rows!.runs} runs, ${replays.length} replays → ${replays.length - replayWrong.length} answered the first run, ${bads.length} forged → ${bads.length - badWrong.length}×401`,
        failures: checks.failures,
      };
    } finally {
      await api?.stop();
      await database.drop();
    }
  },
};
