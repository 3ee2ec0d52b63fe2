/**
 * Restart Postgres under load. The drill runs an embedded Postgres of its own (never the machine's
 * shared server), the API and two runners as processes, and a steady stream of `runs.start` calls;
 * it stops Postgres for a few seconds and starts it again. Meanwhile the API must answer 503 (not
 * 500) and keep `/healthz` alive while the `health` procedure reports `db: false`; afterwards API
 * and runners must carry on by themselves, and every run the API accepted must finish.
 */
import path from 'node:path';
import { createSwarmClient } from '@swarm/client';
import { connectDatabase, ensureDatabase, migrateDatabase, startEmbeddedPostgres } from '@swarm/db';
import { killRunners, type RunnerProcess, spawnRunner } from '@swarm/runner/testing';
import postgres from 'postgres';
import {
  type ApiProcess,
  agentChain,
  Checks,
  type Drill,
  repoRoot,
  sleep,
  spawnApi,
  waitUntil,
} from './lib.ts';

interface Call {
  at: number;
  ms?: number;
  status: number;
  executionId?: string;
  retryAfter?: string | null;
}

/** Why a runner process ended: its exit, last error log line and last stderr output. */
function describeExit(runner: RunnerProcess): string {
  const lastError = runner.logs.findLast((l) => typeof l.level === 'number' && l.level >= 50);
  const err = lastError?.err as { message?: string } | undefined;
  const stderr = runner.stderr.join('').trim().split('\n').slice(0, 12).join(' / ');
  return `pid ${runner.pid} exit ${runner.child.signalCode ?? runner.child.exitCode}, last error "${lastError?.msg ?? ''}${err?.message ? `: ${err.message}` : ''}"${stderr ? `, stderr: ${stderr.slice(0, 1500)}` : ''}`;
}

export const postgresRestart: Drill<{ outageMs: number; loadMs: number; callers: number }> = {
  name: 'postgres-restart',
  proves:
    'a Postgres restart under load: API answers 503 (never 500) and stays live, API and runners recover alone, no accepted run lost',
  size: { outageMs: 5000, loadMs: 4000, callers: 4 },
  async run({ outageMs, loadMs, callers }) {
    const port = Number(process.env.SWARM_DRILL_PG_PORT ?? 54331);
    const dataDir = path.join(repoRoot, '.swarm', 'drill-postgres');
    let server = await startEmbeddedPostgres({ dataDir, port });
    const name = `swarm_drill_${Date.now()}`;
    await ensureDatabase(server.adminUrl, name);
    const url = server.urlFor(name);
    await migrateDatabase(url);
    const database = connectDatabase(url, { max: 2 });

    let api: ApiProcess | undefined;
    let runners: RunnerProcess[] = [];
    try {
      api = await spawnApi(url, { LOG_LEVEL: 'warn' });
      runners = await Promise.all([1, 2].map(() => spawnRunner(url)));
      const { token } = await createSwarmClient({ url: api.url }).auth.signup.mutate({
        email: `restart-${Date.now()}@example.com`,
        password: 'correct horse battery',
      });
      const client = createSwarmClient({ url: api.url, token });
      const workflow = await client.workflows.create.mutate({
        name: 'Through a restart',
        definition: agentChain(['delay:200', 'delay:200']) as never,
      });
      const checks = new Checks();

      // Steady load: `callers` clients starting runs back to back; a probe of liveness and health.
      const calls: Call[] = [];
      const probes: Array<{
        at: number;
        ms: number;
        healthz: number;
        db: boolean | null;
        status: number | string;
      }> = [];
      let loading = true;
      const apiUrl = api.url;
      const load = Array.from({ length: callers }, async () => {
        while (loading) {
          const at = Date.now();
          try {
            const response = await fetch(`${apiUrl}/trpc/runs.start`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              body: JSON.stringify({ json: { workflowId: workflow.id, input: { query: 'restart' } } }),
              signal: AbortSignal.timeout(30_000),
            });
            const body = (await response.json().catch(() => null)) as {
              result?: { data?: { json?: { executionId?: string } } };
            } | null;
            calls.push({
              at,
              ms: Date.now() - at,
              status: response.status,
              executionId: body?.result?.data?.json?.executionId,
              retryAfter: response.headers.get('retry-after'),
            });
          } catch {
            calls.push({ at, status: -1 });
          }
          await sleep(50);
        }
      });
      // Probes go on past the load until one that started after the restart has answered (a probe
      // sent during the outage can take its whole 5 s timeout), for at most 20 s.
      let upAt = Number.POSITIVE_INFINITY;
      const probe = (async () => {
        const answeredAfterRestart = () => probes.some((p) => p.at >= upAt && p.db !== null);
        let probeDeadline = Number.POSITIVE_INFINITY;
        while (loading || (!answeredAfterRestart() && Date.now() < probeDeadline)) {
          if (!loading && probeDeadline === Number.POSITIVE_INFINITY) probeDeadline = Date.now() + 20_000;
          const at = Date.now();
          const healthz = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).then(
            (r) => r.status,
            () => -1,
          );
          const health = await fetch(`${apiUrl}/trpc/health`, { signal: AbortSignal.timeout(5000) }).then(
            async (r) => {
              const body = (await r.json().catch(() => null)) as {
                result?: { data?: { json?: { db?: boolean } } };
              } | null;
              return { status: r.status, db: body?.result?.data?.json?.db ?? null };
            },
            (error: unknown) => ({ status: String((error as Error).name ?? error), db: null }),
          );
          probes.push({ at, ms: Date.now() - at, healthz, db: health.db, status: health.status });
          await sleep(250);
        }
      })();

      await sleep(loadMs);
      const stopAt = Date.now();
      await server.stop();
      const downAt = Date.now();
      await sleep(outageMs);
      const restartAt = Date.now();
      server = await startEmbeddedPostgres({ dataDir, port });
      upAt = Date.now();
      const recovered = await waitUntil(
        () => calls.some((c) => c.at >= upAt && c.status === 200),
        60_000,
        100,
      );
      checks.check(recovered, 'the API did not start a run within 60 s of Postgres coming back');
      const firstOk = calls.find((c) => c.at >= upAt && c.status === 200);
      await sleep(loadMs);
      loading = false;
      await Promise.all([...load, probe]);

      // Answers: only 200 and 503, ever; 503 with Retry-After; some 503s (the outage was seen).
      const byStatus = new Map<number, number>();
      for (const call of calls) byStatus.set(call.status, (byStatus.get(call.status) ?? 0) + 1);
      const statuses = [...byStatus].map(([s, n]) => `${s}×${n}`).join(' ');
      const slowest503 = Math.max(0, ...calls.filter((c) => c.status === 503).map((c) => c.ms ?? 0));
      const slowestProbe = Math.max(
        0,
        ...probes.filter((p) => p.at >= stopAt && p.at < upAt).map((p) => p.ms),
      );
      const other = calls.filter((c) => c.status !== 200 && c.status !== 503);
      checks.check(other.length === 0, `runs.start answers other than 200/503: ${statuses}`);
      const unavailable = calls.filter((c) => c.status === 503);
      checks.check(unavailable.length > 0, 'no 503 seen: the outage never reached a caller');
      checks.check(
        unavailable.every((c) => c.retryAfter),
        `${unavailable.filter((c) => !c.retryAfter).length} answers 503 without Retry-After`,
      );
      // From the stop request to the server being back (probes may take a while to answer then).
      const duringOutage = probes.filter((p) => p.at >= stopAt && p.at < upAt);
      checks.check(
        duringOutage.every((p) => p.healthz === 200),
        `/healthz not 200 during the outage: ${duringOutage.filter((p) => p.healthz !== 200).length} of ${duringOutage.length}`,
      );
      checks.check(
        duringOutage.some((p) => p.db === false),
        'the health procedure never reported db: false during the outage',
      );
      checks.check(
        probes.some((p) => p.at >= upAt && p.db === true),
        `the health procedure did not report db: true after the restart (answers after: ${probes
          .filter((p) => p.at >= upAt)
          .map((p) => `${p.status} in ${p.ms} ms`)
          .join(', ')})`,
      );

      // Nothing lost: every accepted run ends, and ends well; no run anywhere is left behind.
      const accepted = calls.filter((c) => c.status === 200 && c.executionId).map((c) => c.executionId!);
      const finished = async () => {
        const [row] = await database.sql<{ open: number }[]>`
          select count(*)::int as open from executions where status not in ('succeeded', 'failed', 'cancelled')`;
        return row!.open === 0;
      };
      const allDone = await waitUntil(finished, 120_000, 500);
      const rows = await database.sql<{ id: string; status: string; run_attempt: number; error: unknown }[]>`
        select id, status, run_attempt, error from executions`;
      const errorOf = new Map(rows.map((r) => [r.id, JSON.stringify(r.error)?.slice(0, 200)]));
      const statusOf = new Map(rows.map((r) => [r.id, r.status]));
      const missing = accepted.filter((id) => !statusOf.has(id));
      const notSucceeded = accepted.filter((id) => statusOf.has(id) && statusOf.get(id) !== 'succeeded');
      const open = rows.filter((r) => !['succeeded', 'failed', 'cancelled'].includes(r.status));
      checks.check(missing.length === 0, `${missing.length} accepted runs have no row`);
      checks.check(
        notSucceeded.length === 0,
        `accepted runs not succeeded: ${notSucceeded.length} (${notSucceeded
          .slice(0, 3)
          .map((id) => `${id}: ${statusOf.get(id)} ${errorOf.get(id)}`)
          .join(', ')})`,
      );
      checks.check(allDone && open.length === 0, `${open.length} runs still open 120 s after the restart`);
      const extra = rows.length - accepted.length;
      const crashed = runners.filter((r) => r.child.exitCode !== null || r.child.signalCode !== null);
      checks.check(
        crashed.length === 0,
        `${crashed.length} runners exited during the drill: ${crashed.map(describeExit).join('; ')}`,
      );
      checks.check(
        api.child.exitCode === null,
        `the API process exited during the drill (${api.child.signalCode ?? api.child.exitCode}): ${api.stderr.join('').trim().slice(-1200)}`,
      );

      const resumed = rows.filter((r) => r.run_attempt > 1).length;
      return {
        figures: `Postgres down ${((restartAt - stopAt) / 1000).toFixed(1)} s (stop took ${((downAt - stopAt) / 1000).toFixed(1)} s, start ${((upAt - restartAt) / 1000).toFixed(1)} s); runs.start ${statuses} (slowest 503 ${slowest503} ms, slowest probe while down ${slowestProbe} ms); first 200 ${firstOk ? ((firstOk.at - upAt) / 1000).toFixed(1) : '—'} s after start; /healthz ${duringOutage.filter((p) => p.healthz === 200).length}/${duringOutage.length} ok while down; health db ${probes.map((p) => (p.db === null ? '?' : p.db ? '1' : '0')).join('')}; ${accepted.length} accepted → ${accepted.length - missing.length - notSucceeded.length} succeeded, ${resumed} resumed, ${extra} unacknowledged rows`,
        failures: checks.failures,
      };
    } finally {
      await killRunners(runners);
      await api?.stop();
      await database.close();
      const admin = postgres(server.adminUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
      await admin.end({ timeout: 5 });
      await server.stop();
    }
  },
};
