/**
 * Where B3's commits go: `pnpm exec tsx bench/trace-commits.ts [runs]` starts the API in this process
 * and one runner process on a scratch database with `log_statement = all`, starts `runs` (default
 * 50) runs of B3's workflow through the API one after another, then reads the server's log back and
 * prints each transaction kind per run with the process that ran it. Transactions the log cannot
 * show (a LISTENing backend consuming a NOTIFY) are the rest of `pg_stat_database.xact_commit`.
 * `… trace-commits.ts idle [seconds]` starts no runs and prints what the idle processes do per
 * second over `seconds` (default 20): the part of B4's CPU that is paid per second, not per run.
 *
 * Needs the local Postgres (`127.0.0.1:5432`) and its log readable at `TRACE_PG_LOG`
 * (default /var/log/postgresql/postgresql-15-main.log). A diagnostic, not a benchmark.
 */
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startApiServer } from '@swarm/api';
import { createSwarmClient } from '@swarm/client';
import { spawnRunner } from '@swarm/runner/testing';
import {
  agentWorkflowDefinition,
  PG_STATS_FLUSH_MS,
  scratchDatabase,
  signUpBenchUser,
  waitForFinishedRuns,
  xactCommits,
} from './lib.ts';

const IDLE = process.argv[2] === 'idle';
const RUNS = IDLE ? 0 : Number(process.argv[2] ?? 50);
const IDLE_SECONDS = Number(process.argv[3] ?? 20);
/** What the counts are divided by: runs, or seconds of idling. */
const PER = IDLE ? IDLE_SECONDS : RUNS;
const LOG = process.env.TRACE_PG_LOG ?? '/var/log/postgresql/postgresql-15-main.log';

/** A statement's first words, with literals and identifiers that vary per run taken out. */
function shape(statement: string): string {
  return statement
    .replace(/\s+/g, ' ')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b[0-9a-f]{8}-[0-9a-f-]{27}\b/g, '<uuid>')
    .replace(/\$\d+/g, '$')
    .slice(0, 110);
}

const { database } = await scratchDatabase();
const dbName = new URL(database.url).pathname.slice(1);
await database.sql.unsafe(`alter database "${dbName}" set log_statement = 'all'`);
const server = await startApiServer({ databaseUrl: database.url, logLevel: 'silent' });
const runner = await spawnRunner(database.url, { RUNNER_POLL_SECONDS: '2' });
try {
  const token = await signUpBenchUser(server.url, 'trace');
  const swarm = createSwarmClient({ url: server.url, token });
  const workflow = await swarm.workflows.create.mutate({
    name: 'trace',
    definition: agentWorkflowDefinition('echo'),
  });
  await sleep(PG_STATS_FLUSH_MS);
  const logFrom = statSync(LOG).size;
  const commitsBefore = await xactCommits(database.sql);
  for (let i = 0; i < RUNS; i++) {
    await swarm.runs.start.mutate({ workflowId: workflow.id, input: { query: `run ${i}` } });
  }
  if (IDLE) await sleep(IDLE_SECONDS * 1000);
  const waited = IDLE ? { polls: 0 } : await waitForFinishedRuns(database.sql, RUNS, 60_000, 100);
  await sleep(PG_STATS_FLUSH_MS);
  const commits = (await xactCommits(database.sql)) - commitsBefore - 1 - waited.polls;
  const [listeners] = (await database.sql`
    select count(*)::int as n from pg_stat_activity
    where datname = current_database() and query ilike 'listen%'`) as unknown as [{ n: number }];
  const apps = new Map<number, string>();
  for (const row of (await database.sql`
    select pid, application_name from pg_stat_activity where datname = current_database()`) as unknown as {
    pid: number;
    application_name: string;
  }[])
    apps.set(row.pid, row.application_name || '(unnamed)');

  // Statements per backend in log order; `begin … commit` is one transaction, anything else one each.
  const text = readFileSync(LOG, 'utf8').slice(logFrom);
  const open = new Map<number, string[]>();
  const transactions = new Map<string, number>();
  const linePattern = /^\S+ \S+ UTC \[(\d+)\] \S+@(\S+) LOG: {2}(?:statement|execute [^:]*): ([\s\S]*)$/;
  for (const entry of text.split(/\n(?=\d{4}-\d\d-\d\d )/)) {
    const m = linePattern.exec(entry);
    if (!m || m[2] !== dbName) continue;
    const pid = Number(m[1]);
    const statement = m[3]!.trim();
    if (/^select xact_commit|from executions$|count\(\*\) filter/.test(shape(statement))) continue;
    const lower = statement.toLowerCase();
    if (lower.startsWith('begin')) {
      open.set(pid, []);
      continue;
    }
    const inTx = open.get(pid);
    if (lower === 'commit' || lower === 'rollback') {
      if (inTx) {
        const key = `${apps.get(pid) ?? pid} tx: ${inTx.slice(0, 3).join(' ; ')}${inTx.length > 3 ? ` (+${inTx.length - 3})` : ''}`;
        transactions.set(key, (transactions.get(key) ?? 0) + 1);
        open.delete(pid);
      }
      continue;
    }
    if (inTx) inTx.push(shape(statement));
    else {
      const key = `${apps.get(pid) ?? pid}: ${shape(statement)}`;
      transactions.set(key, (transactions.get(key) ?? 0) + 1);
    }
  }
  const logged = [...transactions.values()].reduce((a, b) => a + b, 0);
  const unit = IDLE ? 'second idle' : 'run';
  console.log(
    `${IDLE ? `${IDLE_SECONDS} s idle` : `${RUNS} runs`}: ${(commits / PER).toFixed(2)} commits per ${unit} (xact_commit), ${(logged / PER).toFixed(2)} logged`,
  );
  for (const [key, count] of [...transactions].sort((a, b) => b[1] - a[1]))
    console.log(`${(count / PER).toFixed(2).padStart(6)}  ${key}`);
  console.log(
    `${((commits - logged) / PER).toFixed(2).padStart(6)}  not in the log (NOTIFY delivery to ${listeners!.n} listening sessions, …)`,
  );
} finally {
  runner.kill('SIGTERM');
  await runner.exited;
  await server.close();
  await database.drop();
}
