/**
 * B7 — cron precision: 100 every-minute schedules for `B7_MINUTES` minutes (default 10, as the
 * bar in docs/benchmarks.md defines it) on three runner processes, one of them killed with
 * SIGKILL halfway through.
 *
 * Lateness of an occurrence = the moment a runner started its run (`executions.started_at`, set by
 * the runner's claim) − the scheduled instant (`schedule_fires.fire_at`), both on the database
 * clock. Missed: an expected minute with no started run. Duplicates: more than one first-attempt
 * run for one schedule and minute. Same-run baseline: one `pg_sleep(0)` round trip through the
 * same database, the floor any "start" could have.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import { spawnRunner } from '@swarm/runner/testing';
import { type Benchmark, type BenchResult, percentile, scratchDatabase, time } from './lib.ts';

const SCHEDULES = Number(process.env.B7_SCHEDULES ?? 100);
const MINUTES = Number(process.env.B7_MINUTES ?? 10);
const RUNNERS = 3;
const P99_BAR_MS = 1000;

export const b7: Benchmark = {
  id: 'B7',
  title: `cron precision: ${SCHEDULES} every-minute schedules, ${RUNNERS} runners, one SIGKILLed midway`,
  async run(): Promise<BenchResult> {
    const versions: Record<string, string> = {};
    const { database, postgresVersion } = await scratchDatabase();
    let server: Awaited<ReturnType<typeof startApiServer>> | undefined;
    const runners: Awaited<ReturnType<typeof spawnRunner>>[] = [];
    try {
      versions.postgres = postgresVersion;
      server = await startApiServer({ databaseUrl: database.url, logLevel: 'silent' });
      for (let i = 0; i < RUNNERS; i++) runners.push(await spawnRunner(database.url));
      const anonymous = createSwarmClient({ url: server.url });
      const { token } = await anonymous.auth.signup.mutate({
        email: `bench-b7-${Date.now()}@example.com`,
        password: 'correct horse battery',
      });
      const swarm = createSwarmClient({ url: server.url, token });
      const workflow = await swarm.workflows.create.mutate({
        name: 'B7 cron',
        definition: {
          nodes: [
            { id: 'input', type: 'input', name: 'Input', position: { x: 0, y: 0 }, config: {} },
            { id: 'output', type: 'output', name: 'Output', position: { x: 200, y: 0 }, config: {} },
          ],
          edges: [{ id: 'e1', source: 'input', target: 'output' }],
        },
      });
      // The window starts at the next whole minute, so every schedule owns the same occurrences.
      // (drizzle's client hands timestamps over as text; epoch ms are unambiguous.)
      const [{ now }] = (await database.sql`select extract(epoch from now()) * 1000 as now`) as unknown as [
        { now: string },
      ];
      const firstMinute = Math.ceil((Number(now) + 15_000) / 60_000) * 60_000;
      for (let i = 0; i < SCHEDULES; i++)
        await swarm.schedules.create.mutate({
          workflowId: workflow.id,
          cron: '* * * * *',
          timezone: 'UTC',
          overlap: 'allow',
          missed: 'none',
        });
      const windowStart = new Date(firstMinute);
      const windowEnd = new Date(firstMinute + (MINUTES - 1) * 60_000);
      const killAt = firstMinute + Math.floor(MINUTES / 2) * 60_000 + 20_000;
      await sleep(Math.max(0, killAt - Date.now()));
      runners[0]?.kill('SIGKILL');
      await sleep(Math.max(0, windowEnd.getTime() + 20_000 - Date.now()));

      const rows = (await database.sql`
        select f.schedule_id, extract(epoch from f.fire_at) * 1000 as fire_at, f.outcome,
          extract(epoch from f.created_at) * 1000 as fired_at,
          extract(epoch from e.started_at) * 1000 as started_at
        from schedule_fires f
        left join executions e on e.schedule_fire_id = f.id and e.trigger_attempt = 1
        where f.fire_at between ${windowStart.toISOString()} and ${windowEnd.toISOString()}`) as unknown as {
        schedule_id: string;
        fire_at: string;
        outcome: string;
        fired_at: string;
        started_at: string | null;
      }[];
      const perOccurrence = new Map<string, number>();
      const lateness: number[] = [];
      const fireLateness: number[] = [];
      for (const row of rows) {
        const key = `${row.schedule_id}@${row.fire_at}`;
        perOccurrence.set(key, (perOccurrence.get(key) ?? 0) + 1);
        fireLateness.push(Number(row.fired_at) - Number(row.fire_at));
        if (row.started_at !== null) lateness.push(Number(row.started_at) - Number(row.fire_at));
      }
      lateness.sort((a, b) => a - b);
      fireLateness.sort((a, b) => a - b);
      const expected = SCHEDULES * MINUTES;
      const duplicates = [...perOccurrence.values()].filter((n) => n > 1).length;
      const missed = expected - lateness.length;
      const roundTrip = await time(() => database.sql`select pg_sleep(0)`, 200);
      const p99 = percentile(lateness, 99);
      const baselineName = 'database round trip (pg_sleep(0))';
      return {
        parameters: {
          schedules: SCHEDULES,
          minutes: MINUTES,
          runners: RUNNERS,
          killed: 'runner 1 at mid-window +20 s',
        },
        versions,
        rows: [
          {
            name: baselineName,
            samples: roundTrip.samples.length,
            p50Ms: roundTrip.p50,
            p95Ms: roundTrip.p95,
            baseline: null,
            ratio: null,
            bar: null,
            met: null,
          },
          {
            name: 'occurrence written (fire row − scheduled instant)',
            samples: fireLateness.length,
            p50Ms: percentile(fireLateness, 50),
            p95Ms: percentile(fireLateness, 95),
            p99Ms: percentile(fireLateness, 99),
            baseline: baselineName,
            ratio: percentile(fireLateness, 50) / roundTrip.p50,
            bar: null,
            met: null,
          },
          {
            name: 'lateness (run start − scheduled instant)',
            samples: lateness.length,
            p50Ms: percentile(lateness, 50),
            p95Ms: percentile(lateness, 95),
            p99Ms: p99,
            baseline: baselineName,
            ratio: percentile(lateness, 50) / roundTrip.p50,
            bar: `p99 ≤ ${P99_BAR_MS} ms; 0 missed, 0 duplicate`,
            met: p99 <= P99_BAR_MS && missed === 0 && duplicates === 0,
          },
        ],
        notes: [
          `expected ${expected} occurrences; started ${lateness.length}; missed ${missed}; duplicates ${duplicates}; max lateness ${lateness.at(-1)?.toFixed(0) ?? '—'} ms`,
        ],
      };
    } finally {
      for (const runner of runners) runner.kill('SIGTERM');
      await Promise.all(runners.map((r) => r.exited));
      await server?.close().catch(() => {});
      await database.drop().catch(() => {});
    }
  },
};
