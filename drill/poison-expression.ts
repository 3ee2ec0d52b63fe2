/**
 * One tenant's hostile JSONata against everyone else. A victim sends a steady stream of ordinary
 * runs (input → transform → output) through the API; first alone (the same-run baseline), then while
 * an attacker keeps `poisonRuns` hostile runs and `poisonCalls` hostile webhook calls in flight at
 * every moment — expressions that block in one builtin call (`$pad` building 200 MB) or eat memory.
 * It passes when the victim's runs finish about as fast as before (p99 start→succeeded within 3× the
 * baseline), `/healthz` keeps answering (p99 < 50 ms), the API and runner processes grow by less than
 * 300 MB, every hostile run ends `failed` naming its limit after at most RUNNER_MAX_RUN_CLAIMS claims,
 * and every hostile call is answered 400 naming its limit.
 */
import { readFileSync } from 'node:fs';
import { createSwarmClient, type SwarmClient } from '@swarm/client';
import { generateSecretKey } from '@swarm/providers/store';
import { spawnRunner } from '@swarm/runner/testing';
import { signStandardWebhook } from '@swarm/webhooks';
import {
  type ApiProcess,
  Checks,
  type Drill,
  scratchDatabase,
  sleep,
  spawnApi,
  TERMINAL,
  waitUntil,
} from './lib.ts';

/**
 * The issue's `$pad` bomb (refused at once by the bounded `$pad`), one builtin call that runs for
 * minutes in little memory (`$distinct` compares every pair: the hard deadline ends its worker),
 * and one that eats memory (the heap cap ends its worker).
 */
const HOSTILE = [
  '$length($pad("", 200000000, "x"))',
  '$count($distinct([1..100000].{"a": $}))',
  '$count([1..100000].$uppercase($pad($string($), 1000000, "x")))',
];
const LIMIT = /ran longer than \d+ ms|more than the \d+ MB of memory|over the limit of \d+ characters/;
const MAX_CLAIMS = 3;

const node = (id: string, type: string, x: number, config: object = {}) => ({
  id,
  type,
  name: id,
  position: { x, y: 0 },
  config,
});
const throughTransform = (expression: string) => ({
  nodes: [
    node('input', 'input', 0),
    node('shape', 'transform', 200, { expression }),
    node('output', 'output', 400),
  ],
  edges: [
    { id: 'e1', source: 'input', target: 'shape' },
    { id: 'e2', source: 'shape', target: 'output' },
  ],
});

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Resident set size of a process, in MB (Linux). */
function rssMb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** The descendants of a process (its expression workers), Linux. */
function descendantPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendantPids(child)]);
}

type Size = {
  ordinaryPerSecond: number;
  seconds: number;
  poisonRuns: number;
  poisonCalls: number;
  /** 1: the latency bars decide too (`pnpm drill`); 0: only reported (the small run in `pnpm test`). */
  timingBars: number;
};

export const poisonExpression: Drill<Size> = {
  name: 'poison-expression',
  proves:
    "one tenant's blocking and memory-hungry expressions (runs and webhook mappings) fail alone: others' runs, /healthz and memory stay within bounds",
  size: { ordinaryPerSecond: 20, seconds: 20, poisonRuns: 5, poisonCalls: 5, timingBars: 1 },
  async run({ ordinaryPerSecond, seconds, poisonRuns, poisonCalls, timingBars }) {
    const checks = new Checks();
    const database = await scratchDatabase();
    let api: ApiProcess | undefined;
    let runner: Awaited<ReturnType<typeof spawnRunner>> | undefined;
    try {
      api = await spawnApi(database.url, { SWARM_SECRET_KEY: generateSecretKey(), LOG_LEVEL: 'warn' });
      runner = await spawnRunner(database.url, {
        RUNNER_MAX_RUN_CLAIMS: String(MAX_CLAIMS),
      });
      const signUp = async (who: string) => {
        const { token } = await createSwarmClient({ url: api!.url }).auth.signup.mutate({
          email: `${who}-${Date.now()}@example.com`,
          password: 'correct horse battery',
        });
        return createSwarmClient({ url: api!.url, token });
      };
      const victim = await signUp('victim');
      const attacker = await signUp('attacker');
      const ordinary = await victim.workflows.create.mutate({
        name: 'Ordinary',
        definition: throughTransform('{ "query": input.query, "length": $length(input.query) }') as never,
      });
      const hostileWorkflows = await Promise.all(
        HOSTILE.map((expression, i) =>
          attacker.workflows.create.mutate({
            name: `Hostile ${i}`,
            definition: throughTransform(expression) as never,
          }),
        ),
      );
      const hostileHooks = await Promise.all(
        HOSTILE.map((mapping) =>
          attacker.webhooks.create.mutate({
            workflowId: hostileWorkflows[0]!.id,
            auth: 'signature',
            mapping,
            rateLimitPerHour: 1_000_000,
          }),
        ),
      );

      // Probes for the whole drill: /healthz one request after another, RSS every 100 ms.
      let probing = true;
      const healthz: { at: number; ms: number }[] = [];
      const rss: { at: number; api: number; runner: number; workers: number }[] = [];
      const healthProbe = (async () => {
        while (probing) {
          const started = performance.now();
          const response = await fetch(`${api!.url}/healthz`).catch(() => null);
          healthz.push({
            at: Date.now(),
            ms: response?.ok ? performance.now() - started : Number.POSITIVE_INFINITY,
          });
          await sleep(20);
        }
      })();
      const rssProbe = (async () => {
        while (probing) {
          const pids = [...descendantPids(api!.child.pid), ...descendantPids(runner!.pid)];
          rss.push({
            at: Date.now(),
            api: rssMb(api!.child.pid),
            runner: rssMb(runner!.pid),
            workers: pids.reduce((sum, pid) => sum + rssMb(pid), 0),
          });
          await sleep(100);
        }
      })();

      /** Starts the victim's runs at a steady rate for `seconds`; returns their ids. */
      const ordinaryStream = async (client: SwarmClient): Promise<string[]> => {
        const ids: Promise<string>[] = [];
        const started = Date.now();
        for (let i = 0; i < ordinaryPerSecond * seconds; i++) {
          const due = started + (i * 1000) / ordinaryPerSecond;
          if (due > Date.now()) await sleep(due - Date.now());
          ids.push(
            client.runs.start
              .mutate({ workflowId: ordinary.id, input: { query: `q${i}` } })
              .then((r) => r.executionId),
          );
        }
        return Promise.all(ids);
      };

      const baselineStart = Date.now();
      const baselineRuns = await ordinaryStream(victim);
      const baselineEnd = Date.now();

      // The attack: keep `poisonRuns` hostile runs and `poisonCalls` hostile calls in flight.
      let attacking = true;
      const hostileRuns: string[] = [];
      const hostileCalls: { status: number; body: string }[] = [];
      // Each keeper starts at most one hostile run or call a second (about as long as one lasts before
      // it is stopped): refused at once, a keeper would otherwise spin and flood the API instead.
      const paced = async (attempt: () => Promise<void>) => {
        while (attacking) {
          const started = Date.now();
          await attempt();
          await sleep(Math.max(0, 1000 - (Date.now() - started)));
        }
      };
      const runKeeper = (k: number) =>
        paced(async () => {
          const { executionId } = await attacker.runs.start.mutate({
            workflowId: hostileWorkflows[k % hostileWorkflows.length]!.id,
            input: {},
          });
          hostileRuns.push(executionId);
          await waitUntil(
            async () => TERMINAL.includes((await attacker.runs.get.query({ id: executionId })).status),
            120_000,
            100,
          );
        });
      const callKeeper = (k: number) => {
        const hook = hostileHooks[k % hostileHooks.length]!;
        return paced(async () => {
          const body = JSON.stringify({ k });
          const id = `msg_${crypto.randomUUID()}`;
          const at = Math.floor(Date.now() / 1000);
          const response = await fetch(hook.url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'webhook-id': id,
              'webhook-timestamp': String(at),
              'webhook-signature': signStandardWebhook(hook.secret!, id, at, body),
            },
            body,
          });
          hostileCalls.push({ status: response.status, body: await response.text() });
        });
      };
      const attackStart = Date.now();
      const keepers = [
        ...Array.from({ length: poisonRuns }, (_, k) => runKeeper(k)),
        ...Array.from({ length: poisonCalls }, (_, k) => callKeeper(k)),
      ];
      // Let the first hostile work get going before measuring the victim under attack.
      await sleep(500);
      const attackedStart = Date.now();
      const attackedRuns = await ordinaryStream(victim);
      const attackedEnd = Date.now();
      attacking = false;
      await Promise.all(keepers);

      const allOrdinary = [...baselineRuns, ...attackedRuns];
      await waitUntil(async () => {
        const [row] = await database.sql<{ n: number }[]>`
          select count(*)::int as n from executions where id = any(${allOrdinary}::uuid[]) and status = any(${TERMINAL})`;
        return row!.n === allOrdinary.length;
      }, 120_000);
      probing = false;
      await Promise.all([healthProbe, rssProbe]);

      // Start → succeeded of the victim's runs, from the database's own clock.
      const latencies = async (ids: string[]) => {
        const rows = await database.sql<{ status: string; ms: number }[]>`
          select status, extract(epoch from (finished_at - created_at)) * 1000 as ms
          from executions where id = any(${ids}::uuid[])`;
        for (const row of rows)
          checks.check(row.status === 'succeeded', `an ordinary run ended ${row.status}`);
        return rows.map((row) => Number(row.ms));
      };
      const before = await latencies(baselineRuns);
      const during = await latencies(attackedRuns);
      // Where the time goes: waiting to be picked up, and the transform step itself.
      const breakdown = async (ids: string[]) => {
        const rows = await database.sql<{ pickup: number; step: number }[]>`
          select extract(epoch from (e.started_at - e.created_at)) * 1000 as pickup,
                 extract(epoch from (s.finished_at - s.started_at)) * 1000 as step
          from executions e join execution_steps s on s.execution_id = e.id and s.node_id = 'shape'
          where e.id = any(${ids}::uuid[])`;
        return {
          pickup: percentile(
            rows.map((r) => Number(r.pickup)),
            99,
          ),
          step: percentile(
            rows.map((r) => Number(r.step)),
            99,
          ),
        };
      };
      const [partsBefore, partsDuring] = [await breakdown(baselineRuns), await breakdown(attackedRuns)];
      const p99Before = percentile(before, 99);
      const p99During = percentile(during, 99);

      const hostileRows = await database.sql<{ status: string; claims: number; message: string | null }[]>`
        select status, run_attempt as claims, error->>'message' as message
        from executions where id = any(${hostileRuns}::uuid[])`;
      const healthDuring = healthz.filter((h) => h.at >= attackStart && h.at <= attackedEnd).map((h) => h.ms);
      const healthP99 = percentile(healthDuring, 99);
      const baseline = rss.filter((r) => r.at <= attackStart);
      const attacked = rss.filter((r) => r.at >= attackStart);
      const growth = (key: 'api' | 'runner') =>
        Math.max(...attacked.map((r) => r[key])) - Math.max(...baseline.map((r) => r[key]));
      const apiGrowth = growth('api');
      const runnerGrowth = growth('runner');
      const workersPeak = Math.max(0, ...rss.map((r) => r.workers));
      const maxClaims = Math.max(0, ...hostileRows.map((r) => r.claims));

      // Tests never assert timings (the suite shares a busy machine): there the bars are only reported.
      const timed = timingBars ? checks : new Checks();
      timed.check(
        p99During <= 3 * p99Before,
        `ordinary p99 start→succeeded ${p99During.toFixed(0)} ms under attack vs ${p99Before.toFixed(0)} ms before (> 3×)`,
      );
      timed.check(healthP99 < 50, `/healthz p99 ${healthP99.toFixed(1)} ms under attack (≥ 50 ms)`);
      checks.check(apiGrowth < 300, `API RSS grew ${apiGrowth.toFixed(0)} MB under attack (≥ 300 MB)`);
      checks.check(
        runnerGrowth < 300,
        `runner RSS grew ${runnerGrowth.toFixed(0)} MB under attack (≥ 300 MB)`,
      );
      checks.check(
        hostileRows.length === hostileRuns.length && hostileRuns.length > 0,
        'hostile runs went missing',
      );
      for (const row of hostileRows) {
        checks.check(row.status === 'failed', `a hostile run ended ${row.status}`);
        checks.check(
          LIMIT.test(row.message ?? ''),
          `a hostile run failed without naming its limit: ${row.message}`,
        );
        checks.check(row.claims <= MAX_CLAIMS, `a hostile run was claimed ${row.claims} times`);
      }
      checks.check(hostileCalls.length > 0, 'no hostile call was answered');
      for (const call of hostileCalls)
        checks.check(
          call.status === 400 && LIMIT.test(call.body),
          `a hostile call got ${call.status} ${call.body}`,
        );
      checks.check(
        baselineEnd - baselineStart > 0 && attackedStart > attackStart,
        'the phases did not run one after the other',
      );

      return {
        figures:
          `${before.length}+${during.length} ordinary runs, p99 start→succeeded ${p99Before.toFixed(0)} → ${p99During.toFixed(0)} ms ` +
          `(${(p99During / p99Before).toFixed(2)}×; p50 ${percentile(before, 50).toFixed(0)} → ${percentile(during, 50).toFixed(0)} ms; ` +
          `p99 pick-up ${partsBefore.pickup.toFixed(0)} → ${partsDuring.pickup.toFixed(0)} ms, transform step ${partsBefore.step.toFixed(0)} → ${partsDuring.step.toFixed(0)} ms); ` +
          `/healthz p99 ${healthP99.toFixed(1)} ms (${healthDuring.length} probes); ` +
          `RSS growth API ${apiGrowth.toFixed(0)} MB, runner ${runnerGrowth.toFixed(0)} MB (expression workers peak ${workersPeak.toFixed(0)} MB in all); ` +
          `${hostileRows.length} hostile runs ${hostileRows.filter((r) => r.status === 'failed').length} failed (max claims ${maxClaims}), ` +
          `${hostileCalls.length} hostile calls ${hostileCalls.filter((c) => c.status === 400).length}×400`,
        failures: checks.failures,
      };
    } finally {
      await runner?.child.kill('SIGTERM');
      await runner?.exited;
      await api?.stop();
      await database.drop();
      await database.stopServer();
    }
  },
};
